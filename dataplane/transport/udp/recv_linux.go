//go:build linux

package udp

import (
	"golang.org/x/sys/unix"

	"github.com/gorosync/gorosync/dataplane/transport"
)

// Recv lends up to len(frames) received frames; 0 when nothing is waiting.
// Each recvmmsg asks for as many frames as fit in frames, the batch and the
// free pool; Recv calls again only while the kernel filled the whole
// request, so an idle socket costs one system call.
func (t *Transport) Recv(frames []transport.Received) (int, error) {
	s := &t.sys
	if s.fd < 0 {
		return 0, transport.ErrClosed
	}
	got := 0
	var err error
	for got < len(frames) {
		want := min(len(frames)-got, t.batch, len(t.pool.free))
		if want == 0 {
			if got == 0 {
				err = ErrNoBuffers
			}
			break
		}
		for i := range want {
			b := t.pool.get()
			s.rslot[i] = b
			s.riov[i].Base = &t.pool.slab[int(b)*t.pool.size]
			s.rhdr[i].Hdr.Namelen = uint32(unix.SizeofSockaddrInet6)
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
		got += t.accept(frames[got:], n)
		if n < want {
			break
		}
	}
	t.tally.RxFrames += uint64(got)
	t.stats.add(&t.tally)
	return got, err
}

// accept turns the first n slots of a recvmmsg batch into frames, giving
// back the buffers of those it drops, and returns how many it kept.
func (t *Transport) accept(frames []transport.Received, n int) int {
	s := &t.sys
	k := 0
	for i := range n {
		h := &s.rhdr[i]
		b := s.rslot[i]
		// A datagram longer than the buffer arrives cut, with MSG_TRUNC:
		// a part of a totem frame is worse than none.
		if h.Hdr.Flags&unix.MSG_TRUNC != 0 {
			t.tally.RxTooBig++
			t.pool.put(b)
			continue
		}
		var from uint32
		ap, ok := decodeSockaddr(&s.rname[i], h.Hdr.Namelen)
		if ok {
			from, ok = t.peers.byAddr[ap]
		}
		if !ok {
			t.tally.RxUnlisted++
			if t.block {
				t.tally.RxDroppedUnlisted++
				t.pool.put(b)
				continue
			}
		}
		f := &frames[k]
		f.Data = t.pool.buf(b, int(h.Len))
		f.From = from
		f.SetHandle(b + 1)
		k++
	}
	return k
}
