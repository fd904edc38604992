//go:build linux

package udp

import (
	"encoding/binary"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// groCmsg is a UDP_GRO control message saying segments of size bytes.
func groCmsg(size int32) []byte {
	b := make([]byte, unix.CmsgSpace(4))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.Level, h.Type = unix.SOL_UDP, unix.UDP_GRO
	h.SetLen(unix.CmsgLen(4))
	binary.NativeEndian.PutUint32(b[unix.CmsgLen(0):], uint32(size))
	return b
}

// groSegment reads the kernel's control messages: whatever the bytes and
// the length claimed, it reads inside the slot's buffer (out of it would
// panic) and finds a segment size only within the claimed length.
func FuzzGROSegment(f *testing.F) {
	f.Add(groCmsg(1400), uint16(unix.CmsgSpace(4)))
	f.Add(groCmsg(1400), uint16(200)) // a length beyond the buffer
	f.Add(groCmsg(1400)[:10], uint16(10))
	f.Add(append(make([]byte, unix.CmsgSpace(0)), groCmsg(7)...), uint16(48))
	f.Add([]byte{}, uint16(0))
	f.Fuzz(func(t *testing.T, data []byte, ctlLen uint16) {
		var s sysState
		s.gro = true
		s.rhdr = make([]unix.Mmsghdr, 2)
		s.rctl = make([]byte, 2*groCmsgSpace)
		copy(s.rctl[groCmsgSpace:], data) // slot 1: slot 0 must not be read
		s.rhdr[1].Hdr.SetControllen(int(ctlLen))
		seg := s.groSegment(1)
		if seg != 0 && int(ctlLen) < unix.CmsgLen(4) {
			t.Fatalf("segment %d from a control length of %d", seg, ctlLen)
		}
	})
}

func TestGROSegment(t *testing.T) {
	var s sysState
	s.gro = true
	s.rhdr = make([]unix.Mmsghdr, 1)
	s.rctl = make([]byte, groCmsgSpace)
	for _, c := range []struct {
		name string
		ctl  []byte
		n    int
		want int
	}{
		{"gro", groCmsg(1400), unix.CmsgSpace(4), 1400},
		{"none", nil, 0, 0},
		{"cut short", groCmsg(1400), unix.CmsgLen(4) - 1, 0},
		{"other type", func() []byte { b := groCmsg(9); b[unix.CmsgLen(0)-4] = 1; return b }(), unix.CmsgSpace(4), 0},
	} {
		clear(s.rctl)
		copy(s.rctl, c.ctl)
		s.rhdr[0].Hdr.SetControllen(c.n)
		if got := s.groSegment(0); got != c.want {
			t.Errorf("%s: segment %d, want %d", c.name, got, c.want)
		}
	}
}
