//go:build linux

package udp

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/gorosync/gorosync/dataplane/transport"
)

// UDP generic receive offload (Linux 5.0): with UDP_GRO set, the kernel
// queues a sender's GSO message (or datagrams a NIC coalesced) as one
// buffer and says the segment size in a control message, instead of cutting
// it into datagrams at the socket. A slot's first iovec is its pool buffer
// (MTU bytes: an ordinary datagram lands there and is lent as it is); the
// second is the slot's overflow area, where the rest of a coalesced one
// lands. Each segment of a coalesced datagram is copied into its own pool
// buffer, the slot's buffer held until the last is out (the caller may
// release a frame while later segments are still to be copied out of it).

// groOverflowBytes is the second iovec: with the first, a whole UDP payload.
const groOverflowBytes = 65536

// groCmsgSpace is the control room per slot: UDP_GRO's int, with margin.
var groCmsgSpace = 2 * unix.CmsgSpace(4)

// initGRO gives every receive slot its overflow iovec and control buffer.
func (s *sysState) initGRO(batch, mtu int) {
	s.rover = make([]byte, batch*groOverflowBytes)
	s.rctl = make([]byte, batch*groCmsgSpace)
	for i := range batch {
		h := &s.rhdr[i].Hdr
		h.Iov = &s.riov[2*i]
		h.SetIovlen(2)
		s.riov[2*i].SetLen(mtu)
		over := &s.riov[2*i+1]
		over.Base = &s.rover[i*groOverflowBytes]
		over.SetLen(groOverflowBytes)
		h.Control = &s.rctl[i*groCmsgSpace]
	}
}

// groSegment is slot i's segment size when its datagram came coalesced, 0
// when it did not (no UDP_GRO control message).
func (s *sysState) groSegment(i int) int {
	if !s.gro {
		return 0
	}
	h := &s.rhdr[i].Hdr
	n := min(int(h.Controllen), groCmsgSpace) // the kernel's word, checked
	ctl := s.rctl[i*groCmsgSpace : i*groCmsgSpace+n]
	for len(ctl) >= unix.CmsgLen(0) {
		c := (*unix.Cmsghdr)(unsafe.Pointer(&ctl[0]))
		n := int(c.Len)
		if n < unix.CmsgLen(0) || n > len(ctl) {
			return 0
		}
		if c.Level == unix.SOL_UDP && c.Type == unix.UDP_GRO && n >= unix.CmsgLen(4) {
			return int(*(*int32)(unsafe.Pointer(&ctl[unix.CmsgLen(0)])))
		}
		ctl = ctl[min(len(ctl), unix.CmsgSpace(n-unix.CmsgLen(0))):]
	}
	return 0
}

// splitGRO hands up slot i's segments from rseg-1 on, as many as frames
// and the pool allow, and returns how many. Once the last is out the slot
// is done: its buffer goes back to the pool and rnext moves on.
func (t *Transport) splitGRO(i int, frames []transport.Received) int {
	s := &t.sys
	total := int(s.rhdr[i].Len)
	k := 0
	for {
		off := (s.rseg - 1) * s.rsize
		if off >= total {
			t.pool.put(s.rslot[i])
			s.rnext++
			s.rseg = 0
			return k
		}
		if k == len(frames) || len(t.pool.free) == 0 {
			return k // the rest waits for room, or for Release
		}
		n := min(s.rsize, total-off)
		b := t.pool.get()
		t.copyOut(t.pool.buf(b, n), i, off)
		f := &frames[k]
		f.Data = t.pool.buf(b, n)
		f.From = s.rfrom
		f.SetHandle(b + 1)
		k++
		s.rseg++
	}
}

// copyOut fills dst from slot i's datagram at offset off: the pool buffer
// holds its first MTU bytes, the overflow area the rest.
func (t *Transport) copyOut(dst []byte, i, off int) {
	s := &t.sys
	if off < t.mtu {
		first := t.pool.buf(s.rslot[i], t.mtu)
		c := copy(dst, first[off:])
		dst, off = dst[c:], t.mtu
	}
	if len(dst) > 0 {
		o := i*groOverflowBytes + off - t.mtu
		copy(dst, s.rover[o:o+len(dst)])
	}
}

// groAvailable turns UDP_GRO on; false where the kernel lacks it.
func groAvailable(fd int) bool {
	return unix.SetsockoptInt(fd, unix.SOL_UDP, unix.UDP_GRO, 1) == nil
}
