//go:build linux

package udp

import (
	"golang.org/x/sys/unix"

	"github.com/gorosync/gorosync/dataplane/transport"
)

// Recv lends up to len(frames) received frames; 0 when nothing is waiting.
// It first hands up what the previous call's datagrams still hold (a
// coalesced datagram can carry more frames than the caller had room for),
// then receives more. Each recvmmsg asks for as many datagrams as fit in
// frames, the batch and the free pool; Recv calls again only while the
// kernel filled the whole request, so an idle socket costs one system call.
func (t *Transport) Recv(frames []transport.Received) (int, error) {
	s := &t.sys
	if s.fd < 0 {
		return 0, transport.ErrClosed
	}
	got := t.accept(frames)
	var err error
	for got < len(frames) && s.rnext == s.rn {
		// With GRO one buffer stays out of the slots, so a coalesced
		// datagram can always hand up a frame: were every free buffer in
		// a slot, it could wait for a Release that never comes.
		want := min(len(frames)-got, t.batch, len(t.pool.free)-s.groReserve)
		if want <= 0 {
			if got == 0 {
				err = ErrNoBuffers
			}
			break
		}
		for i := range want {
			b := t.pool.get()
			s.rslot[i] = b
			s.riov[i*s.riovPerSlot].Base = &t.pool.slab[int(b)*t.pool.size]
			h := &s.rhdr[i].Hdr
			h.Namelen = uint32(unix.SizeofSockaddrInet6)
			if s.gro {
				h.SetControllen(groCmsgSpace)
			}
		}
		n, errno := recvmmsg(s.fd, s.rhdr[:want])
		for i := n; i < want; i++ {
			t.pool.put(s.rslot[i]) // lent for nothing
		}
		if errno != 0 {
			if errno == unix.EINTR {
				continue
			}
			if errno != unix.EAGAIN {
				t.tally.Errors++
				err = errno
			}
			break
		}
		s.rnext, s.rn, s.rseg = 0, n, 0
		got += t.accept(frames[got:])
		if n < want {
			break
		}
	}
	if got == 0 && err == nil && s.rnext < s.rn && len(frames) > 0 {
		err = ErrNoBuffers // a coalesced datagram waits for buffers
	}
	t.tally.RxFrames += uint64(got)
	t.stats.add(&t.tally)
	return got, err
}

// accept turns the received datagrams not yet handed up (slots rnext..rn
// of the last recvmmsg) into frames, giving back the buffers of those it
// drops, and returns how many frames it filled. It stops early only when
// frames is full or a coalesced datagram needs a buffer the pool lacks.
func (t *Transport) accept(frames []transport.Received) int {
	s := &t.sys
	k := 0
	for s.rnext < s.rn && k < len(frames) {
		i := s.rnext
		if s.rseg > 0 { // a coalesced datagram, part handed up
			k += t.splitGRO(i, frames[k:])
			if s.rseg > 0 {
				break // frames full, or the pool empty
			}
			continue
		}
		from, ok := t.admit(i)
		if !ok {
			t.pool.put(s.rslot[i])
			s.rnext++
			continue
		}
		h := &s.rhdr[i]
		if seg := s.groSegment(i); seg > 0 && int(h.Len) > seg {
			if seg > t.mtu {
				t.tally.RxTooBig++
				t.pool.put(s.rslot[i])
				s.rnext++
				continue
			}
			t.tally.RxGRO++
			s.rfrom, s.rsize, s.rseg = from, seg, 1
			continue // split at the top of the loop
		}
		if int(h.Len) > t.mtu {
			t.tally.RxTooBig++
			t.pool.put(s.rslot[i])
			s.rnext++
			continue
		}
		b := s.rslot[i]
		f := &frames[k]
		f.Data = t.pool.buf(b, int(h.Len))
		f.From = from
		f.SetHandle(b + 1)
		k++
		s.rnext++
	}
	return k
}

// admit checks slot i's datagram: whole, and from a peer (or not, when
// unlisted senders are let through, From 0). Drops are counted.
func (t *Transport) admit(i int) (from uint32, ok bool) {
	s := &t.sys
	h := &s.rhdr[i]
	// A datagram longer than the buffers arrives cut, with MSG_TRUNC: a
	// part of a totem frame is worse than none.
	if h.Hdr.Flags&unix.MSG_TRUNC != 0 {
		t.tally.RxTooBig++
		return 0, false
	}
	ap, ok := decodeSockaddr(&s.rname[i], h.Hdr.Namelen)
	if ok {
		from, ok = t.peers.byAddr[ap]
	}
	if !ok {
		t.tally.RxUnlisted++
		if t.block {
			t.tally.RxDroppedUnlisted++
			return 0, false
		}
	}
	return from, true
}
