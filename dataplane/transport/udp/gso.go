//go:build linux

package udp

import (
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/gorosync/gorosync/dataplane/transport"
)

// UDP generic segmentation offload (Linux 4.18): one sendmsg carries a run
// of datagrams of one size to one destination, and the kernel walks its
// UDP, IP, veth and bridge code once for the run instead of once per
// datagram; the datagrams are cut apart at the device, or at the receiving
// socket on a local path. On the wire they are ordinary datagrams, so peers
// see exactly what they would without it. A fragmented cpg message is a run
// of full-size frames, which is where the kernel's per-frame work dominated.

// gsoMaxSegments is the most datagrams one message may carry: the kernel's
// UDP_MAX_SEGMENTS, 64 before Linux 6.9 (later kernels allow more).
const gsoMaxSegments = 64

// runLen is how many frames from frames[0] on go as one message: frames
// with the same destination, all as long as the first but the last, which
// may be shorter; at most room, gsoMaxSegments, and a UDP payload's worth.
func (t *Transport) runLen(frames []transport.Outgoing, room int) int {
	if !t.gso {
		return 1
	}
	to, size := frames[0].To, len(frames[0].Data)
	total, n := size, 1
	for n < len(frames) && n < room && n < gsoMaxSegments {
		g := len(frames[n].Data)
		if frames[n].To != to || g == 0 || g > size || total+g > t.gsoMaxBytes {
			break
		}
		total += g
		n++
		if g < size {
			break // only the last datagram may be shorter
		}
	}
	return n
}

// gsoCmsgSpace is the room for one UDP_SEGMENT control message (a uint16).
var gsoCmsgSpace = unix.CmsgSpace(2)

// initGSOCmsgs writes the fixed part of every header's control message.
func (s *sysState) initGSOCmsgs(n int) {
	s.scmsg = make([]byte, n*gsoCmsgSpace)
	for i := range n {
		h := (*unix.Cmsghdr)(unsafe.Pointer(&s.scmsg[i*gsoCmsgSpace]))
		h.Level = unix.SOL_UDP
		h.Type = unix.UDP_SEGMENT
		h.SetLen(unix.CmsgLen(2))
	}
}

// gsoCmsg is header i's control message set to cut datagrams of size bytes.
func (s *sysState) gsoCmsg(i, size int) []byte {
	c := s.scmsg[i*gsoCmsgSpace : (i+1)*gsoCmsgSpace]
	*(*uint16)(unsafe.Pointer(&c[unix.CmsgLen(0)])) = uint16(size)
	return c
}

// gsoRefused says whether a GSO message's errno means the path cannot do
// GSO (EIO: the device has no checksum offload; EINVAL: a segment over the
// route's MTU; EMSGSIZE, EOPNOTSUPP) rather than that the socket is broken.
func gsoRefused(errno unix.Errno) bool {
	switch errno {
	case unix.EIO, unix.EINVAL, unix.EMSGSIZE, unix.EOPNOTSUPP:
		return true
	}
	return false
}

// gsoAvailable asks the kernel whether the socket knows UDP_SEGMENT.
func gsoAvailable(fd int) bool {
	_, err := unix.GetsockoptInt(fd, unix.SOL_UDP, unix.UDP_SEGMENT)
	return err == nil
}
