//go:build linux

package udp

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/gorosync/gorosync/dataplane/transport"
)

// Send copies each frame once into a send slot and queues one datagram per
// destination; a full header array or a full set of slots is flushed with
// one sendmmsg, and whatever is left at the end with one more. It never
// waits: once the socket is full the rest of the batch is dropped and
// counted, since totem retransmits what is lost. Network errors to one
// peer (no route, a firewall) drop that datagram and are counted, not
// returned, because they say nothing about the other peers. Send returns
// ErrFrameTooBig or ErrUnknownPeer (the first met) for the caller's own
// mistakes, after sending the rest, and the errno of a broken socket.
func (t *Transport) Send(frames []transport.Outgoing) error {
	s := &t.sys
	if s.fd < 0 {
		return transport.ErrClosed
	}
	var err error
	s.nhdr, s.nslot, s.congested = 0, 0, false
	for i := range frames {
		f := &frames[i]
		if len(f.Data) > t.mtu {
			t.tally.TxTooBig++
			err = first(err, ErrFrameTooBig)
			continue
		}
		dests := t.peers.bcast
		if f.To != transport.Broadcast {
			p, ok := t.peers.byID[f.To]
			if !ok {
				t.tally.Errors++
				err = first(err, ErrUnknownPeer)
				continue
			}
			dests = t.peers.self[p : p+1]
		}
		if len(dests) == 0 {
			continue
		}
		if s.congested {
			t.tally.TxDropped += uint64(len(dests))
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
		s.nslot++
		iov := &s.siov[slot]
		copy(s.sbuf[slot*t.mtu:], f.Data)
		iov.SetLen(len(f.Data))
		for _, p := range dests {
			if s.nhdr == t.batch {
				// The current slot stays valid: flush sends what
				// points at it before anything overwrites it.
				err = first(err, t.flush())
			}
			if s.congested {
				t.tally.TxDropped++
				continue
			}
			h := &s.shdr[s.nhdr].Hdr
			h.Name = (*byte)(unsafe.Pointer(&s.peerSA[p]))
			h.Namelen = s.peerSALen[p]
			h.Iov = iov
			s.nhdr++
		}
	}
	err = first(err, t.flush())
	t.stats.add(&t.tally)
	return err
}

// flush hands the queued datagrams to the kernel. sendmmsg stops at the
// first datagram it cannot send and reports the error only if that was the
// first of the call, so after a short count the next call starts at the
// failed datagram and learns why.
func (t *Transport) flush() error {
	s := &t.sys
	hdrs := s.shdr[:s.nhdr]
	s.nhdr = 0
	for len(hdrs) > 0 {
		if s.congested {
			t.tally.TxDropped += uint64(len(hdrs))
			return nil
		}
		n, errno := sendmmsgFunc(s.fd, hdrs)
		switch errno {
		case 0:
			if n == 0 { // not expected; never spin on it
				s.congested = true
				continue
			}
			t.tally.TxFrames += uint64(n)
			hdrs = hdrs[n:]
		case unix.EINTR:
		case unix.EAGAIN, unix.ENOBUFS:
			s.congested = true
		case unix.EBADF, unix.ENOTSOCK, unix.EFAULT, unix.EINVAL:
			// The socket or our arrays are broken: no datagram will go.
			t.tally.Errors++
			t.tally.TxDropped += uint64(len(hdrs))
			return errno
		default:
			// This destination is unreachable for now; the others may
			// not be.
			t.tally.Errors++
			t.tally.TxDropped++
			hdrs = hdrs[1:]
		}
	}
	return nil
}

// first keeps the first error of a batch.
func first(err, next error) error {
	if err != nil {
		return err
	}
	return next
}
