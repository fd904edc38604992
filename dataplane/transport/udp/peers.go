package udp

import (
	"fmt"
	"net/netip"
	"slices"
)

// peerTable is the link's fixed view of the nodelist, built once in New.
type peerTable struct {
	ids   []uint32         // node ids, ascending
	addrs []netip.AddrPort // as given, index-aligned with ids
	// byID and byAddr answer Send's and Recv's questions with one map
	// lookup each. byAddr is keyed by the canonical form of addrKey, so a
	// v4-mapped source on a dual-stack socket finds its IPv4 entry.
	byID   map[uint32]int32
	byAddr map[netip.AddrPort]uint32
	// bcast lists the indices a Broadcast goes to (every peer but self);
	// self holds each index once so that a unicast is the slice
	// self[i:i+1] and needs no allocation.
	bcast []int32
	self  []int32
}

// addrKey is the canonical form of a peer's address: IPv4 unmapped, no
// zone. Recv produces the same form from a raw sockaddr.
func addrKey(ap netip.AddrPort) netip.AddrPort {
	return netip.AddrPortFrom(ap.Addr().Unmap().WithZone(""), ap.Port())
}

// newPeerTable checks the peer list against the local address: every peer
// must be reachable from a socket of the local address's family.
func newPeerTable(cfg Config) (peerTable, error) {
	t := peerTable{
		byID:   make(map[uint32]int32, len(cfg.Peers)),
		byAddr: make(map[netip.AddrPort]uint32, len(cfg.Peers)),
	}
	local := cfg.Local.Addr()
	for id := range cfg.Peers {
		t.ids = append(t.ids, id)
	}
	slices.Sort(t.ids)
	for i, id := range t.ids {
		ap := cfg.Peers[id]
		a := ap.Addr()
		switch {
		case id == 0:
			return t, fmt.Errorf("udp: peer %v has node id 0 (reserved for Broadcast)", ap)
		case !a.IsValid() || ap.Port() == 0:
			return t, fmt.Errorf("udp: peer %d has no usable address (%v)", id, ap)
		case local.Is4() && !a.Unmap().Is4():
			return t, fmt.Errorf("udp: peer %d (%v) is IPv6 but the local address %v is IPv4", id, ap, local)
		case local.Is6() && a.Unmap().Is4() && !local.IsUnspecified():
			// Only a socket bound to :: may send to v4-mapped addresses.
			return t, fmt.Errorf("udp: peer %d (%v) is IPv4 but the local address %v is IPv6 (only :: serves both)", id, ap, local)
		}
		key := addrKey(ap)
		if other, dup := t.byAddr[key]; dup {
			return t, fmt.Errorf("udp: peers %d and %d share the address %v", other, id, ap)
		}
		t.addrs = append(t.addrs, ap)
		t.byID[id] = int32(i)
		t.byAddr[key] = id
		t.self = append(t.self, int32(i))
		if id != cfg.LocalNodeID && key != addrKey(cfg.Local) {
			t.bcast = append(t.bcast, int32(i))
		}
	}
	return t, nil
}
