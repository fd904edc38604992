package link

import "sync/atomic"

// PeerLinkStatus is one (peer, link) as Status saw it.
type PeerLinkStatus struct {
	Peer uint32
	Link int
	// Up: the link carries traffic to the peer (Heard and PeerHears).
	Up bool
	// Heard: this node hears the peer on the link (nothing missed for
	// PingTimeoutNs, or PongCount pongs since it was).
	Heard bool
	// PeerHears: the peer's last heartbeat said it hears this node.
	PeerHears bool
	// RxFrames and TxFrames count data frames (not heartbeats) received
	// from and handed to the link's transport for the peer.
	RxFrames, TxFrames       uint64
	PingsSent, PongsReceived uint64
	PingsReceived, PongsSent uint64
	// Downs and Ups count the transitions of Up.
	Downs, Ups uint64
	// RTTNs is the last round trip measured by a ping, 0 before the first.
	RTTNs int64
}

// pairCounters are what Status reads of a pair: written by the token loop,
// read from any goroutine.
type pairCounters struct {
	up, heard, reported              atomic.Bool
	rx, tx, pingsSent, pongsRecv     atomic.Uint64
	pingsRecv, pongsSent, downs, ups atomic.Uint64
	rtt                              atomic.Int64
}

// Status returns every (peer, link), by peer id then link number. Safe
// from any goroutine; each field is current, the set is not one instant.
func (l *Links) Status() []PeerLinkStatus {
	out := make([]PeerLinkStatus, 0, len(l.pairs))
	for p := range l.peers {
		for s := range l.links {
			c := &l.pair(p, s).pub
			out = append(out, PeerLinkStatus{
				Peer:          l.peers[p].id,
				Link:          l.links[s].num,
				Up:            c.up.Load(),
				Heard:         c.heard.Load(),
				PeerHears:     c.reported.Load(),
				RxFrames:      c.rx.Load(),
				TxFrames:      c.tx.Load(),
				PingsSent:     c.pingsSent.Load(),
				PongsReceived: c.pongsRecv.Load(),
				PingsReceived: c.pingsRecv.Load(),
				PongsSent:     c.pongsSent.Load(),
				Downs:         c.downs.Load(),
				Ups:           c.ups.Load(),
				RTTNs:         c.rtt.Load(),
			})
		}
	}
	return out
}

// LinksStats count what no single (peer, link) owns.
type LinksStats struct {
	Malformed      uint64 // heartbeats dropped: bad length, fields, link number or sender
	UnknownSenders uint64 // well-formed heartbeats from node ids not in Peers
	UnknownDest    uint64 // frames given to Send for node ids not in Peers
	TooBig         uint64 // frames given to Send over the MTU
	Reserved       uint64 // frames given to Send starting with a heartbeat type byte
	SendErrors     uint64 // errors from a link's Send
	RecvErrors     uint64 // errors from a link's Recv
	BadHandles     uint64 // frames Release could not route to a link
}

type linksCounters struct {
	malformed, unknownSenders, unknownDest, tooBig atomic.Uint64
	reserved, sendErrors, recvErrors, badHandles   atomic.Uint64
}

// Stats returns the layer's own counters. Safe from any goroutine.
func (l *Links) Stats() LinksStats {
	c := &l.stats
	return LinksStats{
		Malformed:      c.malformed.Load(),
		UnknownSenders: c.unknownSenders.Load(),
		UnknownDest:    c.unknownDest.Load(),
		TooBig:         c.tooBig.Load(),
		Reserved:       c.reserved.Load(),
		SendErrors:     c.sendErrors.Load(),
		RecvErrors:     c.recvErrors.Load(),
		BadHandles:     c.badHandles.Load(),
	}
}
