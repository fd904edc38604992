//go:build linux

package udp

import (
	"net/netip"
	"testing"

	"golang.org/x/sys/unix"
)

func TestSockaddrRoundTrip(t *testing.T) {
	for _, c := range []struct {
		in     string
		family int
		want   string // the canonical key decode returns
	}{
		{"10.1.2.3:5405", unix.AF_INET, "10.1.2.3:5405"},
		{"[::ffff:10.1.2.3]:5405", unix.AF_INET, "10.1.2.3:5405"},
		{"10.1.2.3:65535", unix.AF_INET6, "10.1.2.3:65535"}, // v4-mapped on the wire
		{"[2001:db8::1]:1", unix.AF_INET6, "[2001:db8::1]:1"},
		{"[fe80::1%1]:5405", unix.AF_INET6, "[fe80::1]:5405"}, // zone dropped
	} {
		ap := netip.MustParseAddrPort(c.in)
		var sa sockaddr
		n, err := encodeSockaddr(&sa, ap, c.family)
		if err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		got, ok := decodeSockaddr(&sa, n)
		if !ok || got.String() != c.want {
			t.Errorf("%s (family %d): decoded %v %v, want %s", c.in, c.family, got, ok, c.want)
		}
		if got != addrKey(ap) {
			t.Errorf("%s: decoded %v is not the table key %v", c.in, got, addrKey(ap))
		}
		if allocs := testing.AllocsPerRun(100, func() { got, _ = decodeSockaddr(&sa, n) }); allocs != 0 {
			t.Errorf("decodeSockaddr allocates %v", allocs)
		}
	}
	var sa sockaddr
	if _, ok := decodeSockaddr(&sa, 0); ok {
		t.Error("decoded an empty sockaddr")
	}
	sa.Family = unix.AF_INET6
	if _, ok := decodeSockaddr(&sa, unix.SizeofSockaddrInet4); ok {
		t.Error("decoded a short sockaddr_in6")
	}
}
