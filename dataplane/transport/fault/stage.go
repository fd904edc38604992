package fault

import (
	"errors"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/gorosync/gorosync/dataplane/transport"
)

// Stats count what the stage did. Every frame from the inner transport is
// exactly one of Dropped, Passed (handed up at once, in the inner's buffer
// or, for an unencodable handle, a slot) or held; a held frame counts in
// Delayed, Reordered or both.
type Stats struct {
	Passed     uint64 // frames handed up as they came
	Dropped    uint64 // frames lost on purpose
	Duplicated uint64 // frames whose copy was scheduled
	Delayed    uint64 // frames held for DelayNs plus jitter
	Reordered  uint64 // frames held back for reordering
	Overflow   uint64 // frames a fault was not applied to: every slot was busy
}

// counters publish Stats to other goroutines.
type counters struct {
	passed, dropped, duplicated, delayed, reordered, overflow atomic.Uint64
}

// Stage is a transport.Transport that injects the faults of its Config
// into the frames it receives from an inner transport.
type Stage struct {
	inner  transport.Transport
	cfg    Config
	now    func() int64
	rng    *rand.Rand
	sl     slots
	seq    uint64 // arrival order of the last frame pulled from the inner
	passed uint64 // the highest seq handed up; 0 none
	err    error  // an inner Recv error held back while frames were handed up
	closed bool
	tally  Stats // the loop goroutine's counts, published after each Recv
	stats  counters
}

var _ transport.Transport = (*Stage)(nil)

// New wraps inner in a stage with cfg's faults; it allocates every slot.
func New(inner transport.Transport, cfg Config) (*Stage, error) {
	if inner == nil {
		return nil, errors.New("fault: no inner transport")
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	mtu := inner.MTU()
	if mtu <= 0 {
		return nil, errors.New("fault: the inner transport's MTU is not positive")
	}
	s := &Stage{
		inner: inner,
		cfg:   cfg,
		now:   cfg.Now,
		rng:   rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		sl:    newSlots(cfg.Slots, mtu),
	}
	if s.now == nil {
		start := time.Now()
		s.now = func() int64 { return int64(time.Since(start)) }
	}
	return s, nil
}

// Stats returns the stage's counters. Safe from any goroutine.
func (s *Stage) Stats() Stats {
	return Stats{
		Passed:     s.stats.passed.Load(),
		Dropped:    s.stats.dropped.Load(),
		Duplicated: s.stats.duplicated.Load(),
		Delayed:    s.stats.delayed.Load(),
		Reordered:  s.stats.reordered.Load(),
		Overflow:   s.stats.overflow.Load(),
	}
}

func (s *Stage) publish() {
	s.stats.passed.Store(s.tally.Passed)
	s.stats.dropped.Store(s.tally.Dropped)
	s.stats.duplicated.Store(s.tally.Duplicated)
	s.stats.delayed.Store(s.tally.Delayed)
	s.stats.reordered.Store(s.tally.Reordered)
	s.stats.overflow.Store(s.tally.Overflow)
}

// Send passes the batch to the inner transport.
func (s *Stage) Send(frames []transport.Outgoing) error { return s.inner.Send(frames) }

// Fd is the inner transport's descriptor. It does not become readable when
// a held frame falls due: the caller must poll Recv (the daemon's loop does
// at least every millisecond).
func (s *Stage) Fd() int { return s.inner.Fd() }

// MTU is the inner transport's.
func (s *Stage) MTU() int { return s.inner.MTU() }

// Close closes the inner transport; held frames are forgotten and Recv
// returns transport.ErrClosed.
func (s *Stage) Close() error {
	s.closed = true
	return s.inner.Close()
}

// Recv hands up the held frames that are due, in due order, then pulls new
// frames from the inner transport into the rest of frames and applies the
// faults to them. A frame held, dropped or copied is released to the inner
// at once.
func (s *Stage) Recv(frames []transport.Received) (int, error) {
	if s.closed {
		return 0, transport.ErrClosed
	}
	if err := s.err; err != nil {
		s.err = nil
		return 0, err
	}
	now := s.now()
	k := s.drain(frames, now)
	if k < len(frames) {
		m, err := s.inner.Recv(frames[k:])
		switch {
		case err != nil && k > 0:
			s.err = err // hand up what was drained; the error comes next
		case err != nil:
			s.publish()
			return 0, err
		default:
			k = s.admit(frames, k, k+m, now)
		}
	}
	s.publish()
	return k, nil
}

// drain hands up the held frames due at now into frames and returns how
// many. A copy scheduled while draining waits for the next Recv.
func (s *Stage) drain(frames []transport.Received, now int64) int {
	s.promote(now)
	limit := s.sl.ord // heap entries from here on are newer than this Recv
	k := 0
	for k < len(frames) {
		i, ok := s.sl.top()
		if !ok {
			break
		}
		m := &s.sl.meta[i]
		if m.due > now || m.ord >= limit {
			break // the heap's order puts every other entry later still
		}
		s.sl.pop()
		s.lend(&frames[k], i)
		k++
		s.handedUp(m.seq)
		if m.copy >= 0 {
			s.sl.push(m.copy, now+s.cfg.DelayNs)
			m.copy = -1
		}
	}
	return k
}

// promote moves the reordered frames that may go now onto the heap: those
// whose delay is over and that a later frame has passed, and those that
// waited ReorderHoldNs.
func (s *Stage) promote(now int64) {
	w := s.sl.wait[:0]
	for _, i := range s.sl.wait {
		m := &s.sl.meta[i]
		if now >= m.until || now >= m.ready && s.passed > m.seq {
			s.sl.push(i, now)
		} else {
			w = append(w, i) // in place: w is never longer than wait
		}
	}
	s.sl.wait = w
}

// admit applies the faults to frames[lo:hi], just pulled from the inner,
// and compacts the ones handed up now to frames[lo:]; it returns the end.
func (s *Stage) admit(frames []transport.Received, lo, hi int, now int64) int {
	w := lo
	for r := lo; r < hi; r++ {
		f := frames[r]
		s.seq++
		// Every frame draws the same numbers, so that a frame's fate
		// depends only on the seed and its place in the input.
		lose := s.roll(s.cfg.LossPercent)
		dup := s.roll(s.cfg.DuplicatePercent)
		reorder := s.roll(s.cfg.ReorderPercent)
		delay := s.cfg.DelayNs
		if s.cfg.DelayJitterNs > 0 {
			delay += s.rng.Int64N(s.cfg.DelayJitterNs + 1)
		}
		if lose {
			s.tally.Dropped++
			s.inner.Release(frames[r : r+1])
			continue
		}
		overflow := false
		cp := int32(-1)
		if dup {
			if i, ok := s.sl.get(f.Data, f.From, s.seq, slotCopy); ok {
				cp = i
				s.tally.Duplicated++
			} else {
				overflow = true
			}
		}
		if reorder || delay > 0 {
			if i, ok := s.sl.get(f.Data, f.From, s.seq, slotHeld); ok {
				s.sl.meta[i].copy = cp
				if reorder {
					m := &s.sl.meta[i]
					m.state, m.ready, m.until = slotWaiting, now+delay, now+delay+s.cfg.ReorderHoldNs
					s.sl.wait = append(s.sl.wait, i) // never grows
					s.tally.Reordered++
				} else {
					s.sl.push(i, now+delay)
				}
				if delay > 0 {
					s.tally.Delayed++
				}
				if overflow {
					s.tally.Overflow++
				}
				s.inner.Release(frames[r : r+1])
				continue
			}
			overflow = true
		}
		if overflow {
			s.tally.Overflow++
		}
		// Hand it up now.
		if h := f.Handle(); h >= -1<<30 && h < 1<<30 {
			frames[w] = f
			frames[w].SetHandle(h * 2)
		} else if i, ok := s.sl.get(f.Data, f.From, s.seq, slotHeld); ok {
			s.lend(&frames[w], i)
			s.inner.Release(frames[r : r+1])
		} else {
			// Neither encodable nor copyable: lost (never happens with a
			// transport whose handles fit in 31 bits).
			s.tally.Overflow++
			s.tally.Dropped++
			s.inner.Release(frames[r : r+1])
			if cp >= 0 {
				s.sl.push(cp, now+s.cfg.DelayNs)
			}
			continue
		}
		w++
		s.tally.Passed++
		s.handedUp(s.seq)
		if cp >= 0 {
			s.sl.push(cp, now+s.cfg.DelayNs)
		}
	}
	return w
}

// roll is true with probability percent/100.
func (s *Stage) roll(percent float64) bool { return s.rng.Float64()*100 < percent }

// lend hands up slot i in f.
func (s *Stage) lend(f *transport.Received, i int32) {
	s.sl.meta[i].state = slotLent
	*f = transport.Received{Data: s.sl.data(i), From: s.sl.meta[i].from}
	f.SetHandle(i*2 + 1)
}

func (s *Stage) handedUp(seq uint64) { s.passed = max(s.passed, seq) }

// released is what Release leaves in a frame: handle -1 is odd and names
// no slot, so releasing it again changes nothing.
func released(f *transport.Received) {
	*f = transport.Received{}
	f.SetHandle(-1)
}

// Release gives frames back to their owners: slots to the stage, the
// inner's buffers (in runs, with their own handles) to the inner. Any
// sub-slice of what Recv returned may be released, in any order. The
// frames are cleared.
func (s *Stage) Release(frames []transport.Received) {
	for r := 0; r < len(frames); {
		if h := frames[r].Handle(); h&1 != 0 {
			s.sl.put(h >> 1) // a foreign or double release changes nothing
			released(&frames[r])
			r++
			continue
		}
		e := r
		for ; e < len(frames) && frames[e].Handle()&1 == 0; e++ {
			frames[e].SetHandle(frames[e].Handle() >> 1)
		}
		s.inner.Release(frames[r:e])
		for j := r; j < e; j++ {
			released(&frames[j])
		}
		r = e
	}
}
