package wire

// The two fixed-size messages.
const (
	MergeDetectSize     = HeaderSize + 4 + ringIDSize // 29
	TokenHoldCancelSize = HeaderSize + ringIDSize     // 25
)

// MergeDetect (type 2) is multicast by an idle representative so that other
// partitions notice a foreign ring and merge. Wire order after the header:
// system_from, ring_id.
type MergeDetect struct {
	Header
	SystemFrom uint32
	RingID     RingID
}

// Size returns the encoded size of m.
func (m *MergeDetect) Size() int { return MergeDetectSize }

// Encode writes m into b and returns the number of bytes written.
func (m *MergeDetect) Encode(b []byte) (int, error) {
	if len(b) < MergeDetectSize {
		return 0, errShortBuffer(TypeMergeDetect.String(), len(b), MergeDetectSize)
	}
	w := m.Header.put(b[:MergeDetectSize], TypeMergeDetect)
	w.u32(m.SystemFrom)
	w.ringID(m.RingID)
	return MergeDetectSize, nil
}

// Decode parses a memb_merge_detect frame into m. On error m is left
// unchanged.
func (m *MergeDetect) Decode(b []byte) error {
	h, r, err := decodeHeader(b, TypeMergeDetect)
	if err != nil {
		return err
	}
	if err := checkExact("memb_merge_detect", len(b), MergeDetectSize); err != nil {
		return err
	}
	from := r.u32()
	*m = MergeDetect{Header: h, SystemFrom: from, RingID: r.ringID()}
	return nil
}

// TokenHoldCancel (type 5) asks the representative of RingID to release a
// token it is holding because the ring was idle. Wire order after the
// header: ring_id.
type TokenHoldCancel struct {
	Header
	RingID RingID
}

// Size returns the encoded size of m.
func (m *TokenHoldCancel) Size() int { return TokenHoldCancelSize }

// Encode writes m into b and returns the number of bytes written.
func (m *TokenHoldCancel) Encode(b []byte) (int, error) {
	if len(b) < TokenHoldCancelSize {
		return 0, errShortBuffer(TypeTokenHoldCancel.String(), len(b), TokenHoldCancelSize)
	}
	w := m.Header.put(b[:TokenHoldCancelSize], TypeTokenHoldCancel)
	w.ringID(m.RingID)
	return TokenHoldCancelSize, nil
}

// Decode parses a token_hold_cancel frame into m. On error m is left
// unchanged.
func (m *TokenHoldCancel) Decode(b []byte) error {
	h, r, err := decodeHeader(b, TypeTokenHoldCancel)
	if err != nil {
		return err
	}
	if err := checkExact("token_hold_cancel", len(b), TokenHoldCancelSize); err != nil {
		return err
	}
	*m = TokenHoldCancel{Header: h, RingID: r.ringID()}
	return nil
}
