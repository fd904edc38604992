//go:build linux

package udp

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"unsafe"

	"golang.org/x/sys/unix"
)

// sockaddr holds either a sockaddr_in or a sockaddr_in6: the larger of the
// two, reinterpreted by family. One per receive slot and one per peer, so
// neither recvmmsg nor sendmmsg needs an address built per call.
type sockaddr = unix.RawSockaddrInet6

// The kernel writes and reads ports in network byte order; reading the two
// bytes one by one keeps the code endian-neutral.
func getPort(p *uint16) uint16 {
	b := (*[2]byte)(unsafe.Pointer(p))
	return uint16(b[0])<<8 | uint16(b[1])
}

func setPort(p *uint16, port uint16) {
	b := (*[2]byte)(unsafe.Pointer(p))
	b[0], b[1] = byte(port>>8), byte(port)
}

// decodeSockaddr turns what recvmmsg wrote into the canonical form of
// addrKey: IPv4 (also from a v4-mapped IPv6 source), no zone. netip.Addr
// is a value type and AddrFrom4/AddrFrom16 fill it from arrays, so this
// allocates nothing; the zone (scope id) is left out on purpose, because
// building a zoned Addr interns a string.
func decodeSockaddr(sa *sockaddr, n uint32) (netip.AddrPort, bool) {
	switch sa.Family {
	case unix.AF_INET:
		if n < unix.SizeofSockaddrInet4 {
			return netip.AddrPort{}, false
		}
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrPortFrom(netip.AddrFrom4(sa4.Addr), getPort(&sa4.Port)), true
	case unix.AF_INET6:
		if n < unix.SizeofSockaddrInet6 {
			return netip.AddrPort{}, false
		}
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), getPort(&sa.Port)), true
	}
	return netip.AddrPort{}, false
}

// encodeSockaddr builds the sockaddr for ap on a socket of family (IPv4
// addresses become v4-mapped on an AF_INET6 socket) and returns its length.
// It runs in New only.
func encodeSockaddr(sa *sockaddr, ap netip.AddrPort, family int) (uint32, error) {
	*sa = sockaddr{}
	a := ap.Addr()
	if family == unix.AF_INET {
		sa4 := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		sa4.Family = unix.AF_INET
		setPort(&sa4.Port, ap.Port())
		sa4.Addr = a.Unmap().As4()
		return unix.SizeofSockaddrInet4, nil
	}
	sa.Family = unix.AF_INET6
	setPort(&sa.Port, ap.Port())
	sa.Addr = a.As16() // As16 of an IPv4 address is its v4-mapped form
	if z := a.Zone(); z != "" {
		id, err := zoneIndex(z)
		if err != nil {
			return 0, err
		}
		sa.Scope_id = id
	}
	return unix.SizeofSockaddrInet6, nil
}

// zoneIndex resolves an IPv6 zone (an interface name or number) to the
// scope id the kernel wants for link-local addresses.
func zoneIndex(zone string) (uint32, error) {
	if n, err := strconv.ParseUint(zone, 10, 32); err == nil {
		return uint32(n), nil
	}
	ifi, err := net.InterfaceByName(zone)
	if err != nil {
		return 0, fmt.Errorf("udp: zone %q: %w", zone, err)
	}
	return uint32(ifi.Index), nil
}
