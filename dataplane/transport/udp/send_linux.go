//go:build linux

package udp

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/gorosync/gorosync/dataplane/transport"
)

// Send points a send slot at each frame and queues one message per
// destination; a full header array or a full set of slots is flushed with
// one sendmmsg, and whatever is left at the end with one more. With UDP GSO
// (see gso.go) a run of consecutive frames of one length to the same
// destination is one message of several datagrams. Send never waits: once
// the socket is full the rest of the batch is dropped and counted, since
// totem retransmits what is lost. Network errors to one peer (no route, a
// firewall) drop that message and are counted, not returned, because they
// say nothing about the other peers. Send returns ErrFrameTooBig or
// ErrUnknownPeer (the first met) for the caller's own mistakes, after
// sending the rest, and the errno of a broken socket.
func (t *Transport) Send(frames []transport.Outgoing) error {
	s := &t.sys
	if s.fd < 0 {
		return transport.ErrClosed
	}
	var err error
	s.nhdr, s.nslot, s.congested = 0, 0, false
	for i := 0; i < len(frames); {
		f := &frames[i]
		dests, ferr := t.dests(f)
		if ferr != nil || len(dests) == 0 {
			err = first(err, ferr)
			i++
			continue
		}
		if s.congested {
			t.tally.TxDropped += uint64(len(dests))
			i++
			continue
		}
		// Slots are free again once no queued header points at them.
		if s.nhdr == 0 {
			s.nslot = 0
		} else if s.nslot == t.batch {
			err = first(err, t.flush())
			s.nslot = 0
		}
		slot := s.nslot
		segs, segBytes := t.slotRun(frames[i:])
		i += segs
		for _, p := range dests {
			if s.nhdr == t.batch {
				// The run's slots stay valid: flush sends what points
				// at them before anything overwrites them.
				err = first(err, t.flush())
			}
			if s.congested {
				t.tally.TxDropped += uint64(segs)
				continue
			}
			t.queue(p, slot, segs, segBytes)
		}
	}
	err = first(err, t.flush())
	t.stats.add(&t.tally)
	return err
}

// dests is where frame f goes, or why it goes nowhere (counted).
func (t *Transport) dests(f *transport.Outgoing) ([]int32, error) {
	if len(f.Data) > t.mtu {
		t.tally.TxTooBig++
		return nil, ErrFrameTooBig
	}
	if f.To == transport.Broadcast {
		return t.peers.bcast, nil
	}
	p, ok := t.peers.byID[f.To]
	if !ok {
		t.tally.Errors++
		return nil, ErrUnknownPeer
	}
	return t.peers.self[p : p+1], nil
}

// slotRun points consecutive free slots at the run starting at frames[0]
// and returns its length in frames and the length of each but the last.
// The slots point at the caller's bytes: sendmmsg copies them into the
// kernel before Send returns, so no copy of ours is needed.
func (t *Transport) slotRun(frames []transport.Outgoing) (segs, segBytes int) {
	s := &t.sys
	segs = t.runLen(frames, t.batch-s.nslot)
	for k := range segs {
		iov := &s.siov[s.nslot]
		s.nslot++
		iov.Base = nil
		if d := frames[k].Data; len(d) > 0 {
			iov.Base = &d[0]
		}
		iov.SetLen(len(frames[k].Data))
	}
	return segs, len(frames[0].Data)
}

// queue adds one message to peer p made of segs slots from slot on: a
// plain datagram, or with more than one segment a GSO message the kernel
// cuts into datagrams of segBytes.
func (t *Transport) queue(p int32, slot, segs, segBytes int) {
	s := &t.sys
	h := &s.shdr[s.nhdr].Hdr
	h.Name = (*byte)(unsafe.Pointer(&s.peerSA[p]))
	h.Namelen = s.peerSALen[p]
	h.Iov = &s.siov[slot]
	h.SetIovlen(segs)
	h.Control = nil
	h.SetControllen(0)
	if segs > 1 {
		c := s.gsoCmsg(s.nhdr, segBytes)
		h.Control = &c[0]
		h.SetControllen(len(c))
	}
	s.nsegs[s.nhdr] = int32(segs)
	s.nhdr++
}

// flush hands the queued messages to the kernel. sendmmsg stops at the
// first message it cannot send and reports the error only if that was the
// first of the call, so after a short count the next call starts at the
// failed message and learns why.
func (t *Transport) flush() error {
	s := &t.sys
	hdrs := s.shdr[:s.nhdr]
	segs := s.nsegs[:s.nhdr]
	s.nhdr = 0
	for len(hdrs) > 0 {
		if s.congested {
			t.tally.TxDropped += sum(segs)
			return nil
		}
		n, errno := sendmmsgFunc(s.fd, hdrs)
		switch {
		case errno == 0:
			if n == 0 { // not expected; never spin on it
				s.congested = true
				continue
			}
			t.tally.TxFrames += sum(segs[:n])
			t.tally.TxGSO += gsoCount(segs[:n])
			hdrs, segs = hdrs[n:], segs[n:]
		case errno == unix.EINTR:
		case errno == unix.EAGAIN || errno == unix.ENOBUFS:
			s.congested = true
		case segs[0] > 1 && gsoRefused(errno):
			// The path cannot segment (no checksum offload, a route
			// MTU below the segment): send datagrams one by one from
			// now on; totem retransmits this message's frames.
			if t.gso {
				t.gso = false
				t.tally.GSOOff++
			}
			t.tally.TxDropped += uint64(segs[0])
			hdrs, segs = hdrs[1:], segs[1:]
		case errno == unix.EBADF || errno == unix.ENOTSOCK || errno == unix.EFAULT || errno == unix.EINVAL:
			// The socket or our arrays are broken: no datagram will go.
			t.tally.Errors++
			t.tally.TxDropped += sum(segs)
			return errno
		default:
			// This destination is unreachable for now; the others may
			// not be.
			t.tally.Errors++
			t.tally.TxDropped += uint64(segs[0])
			hdrs, segs = hdrs[1:], segs[1:]
		}
	}
	return nil
}

func sum(segs []int32) uint64 {
	var n uint64
	for _, k := range segs {
		n += uint64(k)
	}
	return n
}

func gsoCount(segs []int32) uint64 {
	var n uint64
	for _, k := range segs {
		if k > 1 {
			n++
		}
	}
	return n
}

// first keeps the first error of a batch.
func first(err, next error) error {
	if err != nil {
		return err
	}
	return next
}
