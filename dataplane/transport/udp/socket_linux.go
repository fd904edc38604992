//go:build linux

package udp

import (
	"fmt"
	"net/netip"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/gorosync/gorosync/dataplane/transport"
)

// sysState is the socket and every array the kernel reads or writes, all
// sized in open and never reallocated (the kernel holds raw pointers to
// them for the length of each call).
type sysState struct {
	fd     int // -1 once closed
	family int

	// Receive: slot i of a recvmmsg batch is rhdr[i], which points at
	// riov[i] (pointed in turn at the pool buffer lent for this call,
	// rslot[i]) and at rname[i] for the source address.
	rhdr  []unix.Mmsghdr
	riov  []unix.Iovec
	rname []sockaddr
	rslot []int32
	// With UDP GRO (gro.go) each slot has two iovecs, the second on its
	// overflow area in rover, and a control buffer in rctl.
	gro         bool
	groReserve  int // buffers Recv keeps out of the slots: 1 with GRO
	riovPerSlot int
	rover       []byte
	rctl        []byte
	// The last recvmmsg's slots not yet handed up: rnext..rn. rseg > 0:
	// slot rnext is a coalesced datagram of rsize-byte segments from
	// rfrom, whose segment rseg-1 is the next to hand up.
	rnext, rn, rseg, rsize int
	rfrom                  uint32

	// Send: a frame's slot is siov[slot], pointed at the caller's bytes
	// for the length of the call; each destination adds an shdr entry naming that iovec (or a
	// run of consecutive ones, with a UDP_SEGMENT control message) and the
	// peer's prebuilt sockaddr (peerSA).
	shdr      []unix.Mmsghdr
	siov      []unix.Iovec
	nsegs     []int32 // datagrams per shdr entry (more than one: GSO)
	scmsg     []byte  // one UDP_SEGMENT control message per shdr entry
	nhdr      int     // shdr entries filled
	nslot     int     // send slots filled
	congested bool    // the socket said EAGAIN during this Send: drop the rest
	peerSA    []sockaddr
	peerSALen []uint32
}

// open creates the socket, binds it, and preallocates the arrays.
func (s *sysState) open(t *Transport, cfg Config) error {
	s.fd = -1
	s.family = unix.AF_INET
	if cfg.Local.Addr().Is6() {
		s.family = unix.AF_INET6
	}
	s.alloc(t, cfg)
	for i, ap := range t.peers.addrs {
		n, err := encodeSockaddr(&s.peerSA[i], ap, s.family)
		if err != nil {
			return fmt.Errorf("udp: peer %d: %w", t.peers.ids[i], err)
		}
		s.peerSALen[i] = n
	}
	fd, err := unix.Socket(s.family, unix.SOCK_DGRAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_UDP)
	if err != nil {
		return fmt.Errorf("udp: socket: %w", err)
	}
	if err := s.setup(fd, t, cfg); err != nil {
		unix.Close(fd)
		return err
	}
	s.fd = fd
	t.gso = !cfg.NoGSO && gsoAvailable(fd)
	if !cfg.NoGRO && cfg.RecvBuffers > 1 && groAvailable(fd) {
		s.gro, s.groReserve, s.riovPerSlot = true, 1, 2
		s.initGRO(t.batch, t.mtu)
	}
	t.gsoMaxBytes = maxPayload4
	if s.family == unix.AF_INET6 {
		t.gsoMaxBytes = maxPayload6
	}
	return nil
}

func (s *sysState) setup(fd int, t *Transport, cfg Config) error {
	if s.family == unix.AF_INET6 && cfg.Local.Addr().IsUnspecified() {
		// Bound to ::, the socket serves IPv4 peers through v4-mapped
		// addresses, whatever net.ipv6.bindv6only says.
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, 0); err != nil {
			return fmt.Errorf("udp: IPV6_V6ONLY: %w", err)
		}
	}
	if n := cfg.SocketBufferBytes; n > 0 {
		// Best effort: the FORCE variants pass net.core.[rw]mem_max when
		// privileged; otherwise the kernel clamps the plain ones.
		if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, n) != nil {
			_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, n)
		}
		if unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, n) != nil {
			_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, n)
		}
	}
	var sa sockaddr
	n, err := encodeSockaddr(&sa, cfg.Local, s.family)
	if err != nil {
		return err
	}
	if err := bind(fd, &sa, n); err != nil {
		return fmt.Errorf("udp: bind %v: %w", cfg.Local, err)
	}
	// Learn the port the kernel chose if Local asked for port 0.
	n = uint32(unsafe.Sizeof(sa))
	if err := getsockname(fd, &sa, &n); err != nil {
		return fmt.Errorf("udp: getsockname: %w", err)
	}
	if ap, ok := decodeSockaddr(&sa, n); ok {
		t.local = netip.AddrPortFrom(cfg.Local.Addr(), ap.Port())
	}
	return nil
}

// bind and getsockname take our raw sockaddr directly: unix.Bind wants a
// unix.Sockaddr interface value, and we already have the bytes.
func bind(fd int, sa *sockaddr, n uint32) error {
	_, _, e := unix.Syscall(unix.SYS_BIND, uintptr(fd), uintptr(unsafe.Pointer(sa)), uintptr(n))
	if e != 0 {
		return e
	}
	return nil
}

func getsockname(fd int, sa *sockaddr, n *uint32) error {
	_, _, e := unix.Syscall(unix.SYS_GETSOCKNAME, uintptr(fd), uintptr(unsafe.Pointer(sa)), uintptr(unsafe.Pointer(n)))
	if e != 0 {
		return e
	}
	return nil
}

// alloc builds the arrays and wires their fixed pointers once.
func (s *sysState) alloc(t *Transport, cfg Config) {
	b := cfg.Batch
	s.rhdr = make([]unix.Mmsghdr, b)
	s.riov = make([]unix.Iovec, 2*b) // room for GRO's two per slot
	s.riovPerSlot = 1
	s.rname = make([]sockaddr, b)
	s.rslot = make([]int32, b)
	for i := range s.rhdr {
		h := &s.rhdr[i].Hdr
		h.Name = (*byte)(unsafe.Pointer(&s.rname[i]))
		h.Iov = &s.riov[i]
		h.SetIovlen(1)
		s.riov[i].SetLen(cfg.MTU)
	}

	s.shdr = make([]unix.Mmsghdr, b)
	s.siov = make([]unix.Iovec, b)
	s.nsegs = make([]int32, b)
	s.initGSOCmsgs(b)

	s.peerSA = make([]sockaddr, len(t.peers.addrs))
	s.peerSALen = make([]uint32, len(t.peers.addrs))
}

// Fd is the socket, for epoll; -1 after Close.
func (t *Transport) Fd() int { return t.sys.fd }

// Close closes the socket. Frames still lent stay readable (the pool is
// ordinary memory) but cannot be refilled; later calls return
// transport.ErrClosed.
func (t *Transport) Close() error {
	if t.sys.fd < 0 {
		return transport.ErrClosed
	}
	fd := t.sys.fd
	t.sys.fd = -1
	if err := unix.Close(fd); err != nil {
		return fmt.Errorf("udp: close: %w", err)
	}
	return nil
}
