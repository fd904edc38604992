package udp

import (
	"errors"
	"fmt"
	"net/netip"
)

// Defaults for the zero values of Config.
const (
	DefaultMTU               = 1500    // corosync's netmtu default
	DefaultBatch             = 64      // frames per recvmmsg/sendmmsg
	DefaultRecvBuffers       = 1024    // receive pool size
	DefaultSocketBufferBytes = 4 << 20 // SO_RCVBUF and SO_SNDBUF
)

// maxBatch is the kernel's UIO_MAXIOV: recvmmsg and sendmmsg silently cap
// vlen there, so a larger batch would only waste preallocated headers.
const maxBatch = 1024

// maxRecvBuffers keeps buffer handles well inside int32.
const maxRecvBuffers = 1 << 20

// Largest UDP payloads: 65535 less the IPv4 (20) or IPv6 (0, the IPv6
// header is not counted in its payload length) and UDP (8) headers.
const (
	maxPayload4 = 65535 - 20 - 8
	maxPayload6 = 65535 - 8
)

// Config describes one link.
type Config struct {
	// Local is the address and port the socket binds to. An IPv6 address
	// (other than a v4-mapped one) makes an AF_INET6 socket.
	Local netip.AddrPort
	// Peers maps node ids to their addresses; it may include this node
	// (LocalNodeID), which Broadcast skips. Node id 0 is reserved for
	// Broadcast and unknown senders.
	Peers map[uint32]netip.AddrPort
	// LocalNodeID is this node's id.
	LocalNodeID uint32
	// MTU is the largest frame, in bytes, sent or received (UDP payload).
	// Send refuses larger frames; larger datagrams are dropped on receipt.
	// Default 1500.
	MTU int
	// Batch is the number of frames per recvmmsg/sendmmsg. Default 64,
	// at most 1024.
	Batch int
	// RecvBuffers is the receive pool size: how many frames Recv can lend
	// out at once. Default 1024.
	RecvBuffers int
	// SocketBufferBytes is asked for as SO_RCVBUF and SO_SNDBUF (with the
	// FORCE variants first, so a privileged process gets it beyond the
	// sysctl limits). Best effort. Default 4 MiB.
	SocketBufferBytes int
	// BlockUnlisted drops frames from addresses not in Peers (corosync's
	// block_unlisted_ips, which corosync turns on by default: a config
	// loader should set it). When false such frames are handed up with
	// From = 0. Either way they are counted.
	BlockUnlisted bool
	// NoGSO sends every datagram as its own message. By default a run of
	// frames of one size to one peer is one message the kernel segments
	// (UDP GSO), where the kernel has it; the datagrams on the wire are
	// the same either way.
	NoGSO bool
	// NoGRO receives every datagram on its own. By default the socket
	// takes a GSO message (or datagrams a NIC coalesced) whole (UDP GRO)
	// and Recv cuts it into its frames, where the kernel has it.
	NoGRO bool
}

// withDefaults fills zero values and checks what does not need a socket.
func (c Config) withDefaults() (Config, error) {
	if c.MTU == 0 {
		c.MTU = DefaultMTU
	}
	if c.Batch == 0 {
		c.Batch = DefaultBatch
	}
	if c.RecvBuffers == 0 {
		c.RecvBuffers = DefaultRecvBuffers
	}
	if c.SocketBufferBytes == 0 {
		c.SocketBufferBytes = DefaultSocketBufferBytes
	}
	if !c.Local.Addr().IsValid() {
		return c, errors.New("udp: no local address")
	}
	// A v4-mapped local address is an IPv4 link: use an AF_INET socket so
	// that IPv4 peers need no dual-stack socket.
	if c.Local.Addr().Is4In6() {
		c.Local = netip.AddrPortFrom(c.Local.Addr().Unmap(), c.Local.Port())
	}
	maxMTU := maxPayload4
	if c.Local.Addr().Is6() {
		maxMTU = maxPayload6
	}
	switch {
	case c.MTU < 1 || c.MTU > maxMTU:
		return c, fmt.Errorf("udp: MTU %d out of range 1..%d", c.MTU, maxMTU)
	case c.Batch < 1 || c.Batch > maxBatch:
		return c, fmt.Errorf("udp: Batch %d out of range 1..%d", c.Batch, maxBatch)
	case c.RecvBuffers < 1 || c.RecvBuffers > maxRecvBuffers:
		return c, fmt.Errorf("udp: RecvBuffers %d out of range 1..%d", c.RecvBuffers, maxRecvBuffers)
	case c.SocketBufferBytes < 0:
		return c, fmt.Errorf("udp: SocketBufferBytes %d is negative", c.SocketBufferBytes)
	}
	return c, nil
}
