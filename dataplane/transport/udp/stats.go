package udp

import "sync/atomic"

// Stats are a link's counters since New. A Broadcast counts once per peer
// it goes to: the counters are about datagrams, not calls.
type Stats struct {
	RxFrames          uint64 // frames handed up by Recv
	TxFrames          uint64 // datagrams the kernel accepted
	RxUnlisted        uint64 // datagrams from addresses not in Peers (dropped or not)
	RxDroppedUnlisted uint64 // of those, dropped because BlockUnlisted is set
	RxTooBig          uint64 // datagrams over the MTU, dropped
	TxTooBig          uint64 // frames over the MTU refused by Send
	TxDropped         uint64 // datagrams not sent: socket full (EAGAIN) or a network error
	Errors            uint64 // system call errors, unknown node ids, bad Release handles
	TxGSO             uint64 // messages of more than one datagram (UDP GSO) the kernel accepted
	GSOOff            uint64 // 1 once the path refused a GSO message and GSO was turned off
	RxGRO             uint64 // coalesced datagrams (UDP GRO) received and cut into frames
}

// counters are written by the token loop once per call (not per frame) and
// may be read by any goroutine, hence atomics.
type counters struct {
	rxFrames, txFrames, rxUnlisted, rxDroppedUnlisted atomic.Uint64
	rxTooBig, txTooBig, txDropped, errors             atomic.Uint64
	txGSO, gsoOff, rxGRO                              atomic.Uint64
}

// add adds a call's tally; zero fields cost no atomic operation.
func (c *counters) add(s *Stats) {
	for _, f := range [...]struct {
		c *atomic.Uint64
		n uint64
	}{
		{&c.rxFrames, s.RxFrames}, {&c.txFrames, s.TxFrames},
		{&c.rxUnlisted, s.RxUnlisted}, {&c.rxDroppedUnlisted, s.RxDroppedUnlisted},
		{&c.rxTooBig, s.RxTooBig}, {&c.txTooBig, s.TxTooBig},
		{&c.txDropped, s.TxDropped}, {&c.errors, s.Errors},
		{&c.txGSO, s.TxGSO}, {&c.gsoOff, s.GSOOff}, {&c.rxGRO, s.RxGRO},
	} {
		if f.n != 0 {
			f.c.Add(f.n)
		}
	}
	*s = Stats{}
}

func (c *counters) load() Stats {
	return Stats{
		RxFrames:          c.rxFrames.Load(),
		TxFrames:          c.txFrames.Load(),
		RxUnlisted:        c.rxUnlisted.Load(),
		RxDroppedUnlisted: c.rxDroppedUnlisted.Load(),
		RxTooBig:          c.rxTooBig.Load(),
		TxTooBig:          c.txTooBig.Load(),
		TxDropped:         c.txDropped.Load(),
		Errors:            c.errors.Load(),
		TxGSO:             c.txGSO.Load(),
		GSOOff:            c.gsoOff.Load(),
		RxGRO:             c.rxGRO.Load(),
	}
}
