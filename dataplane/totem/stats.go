package totem

// Stats are monotonically increasing counters, the raw material of the
// runtime.totem.* statistics keys.
type Stats struct {
	TokensRx, TokensTx, TokenRetransmits uint64
	TokenHoldReleases                    uint64 // held tokens sent on when the hold timer expired
	TokensDiscarded                      uint64 // wrong state, foreign ring or duplicate token_seq
	TokensCorrupt                        uint64 // right ring, impossible seq/aru: dropped
	McastTx, McastRx, McastRetx          uint64
	McastDropped                         uint64 // outside the window, duplicate or oversized
	ForeignMcasts                        uint64
	DecodeErrors                         uint64
	HoldCancelTx, HoldCancelRx           uint64
	TokenLosses                          uint64
	FailedToReceive                      uint64
	Delivered                            uint64
	FrameBuffers                         uint64 // frame buffers ever created (grows only to the largest backlog)

	// Membership.
	GatherEntered, RecoveryEntered, OperationalEntered uint64
	ConsensusTimeouts                                  uint64
	JoinTx, JoinRx, CommitTokensTx, MergeDetectTx      uint64
	RecoveryOriginated                                 uint64 // old-ring messages re-broadcast in RECOVERY
}
