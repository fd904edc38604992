package cfg

import (
	"net/netip"
	"strconv"

	"github.com/gorosync/gorosync/services/cserror"
)

// MaxLinks is the number of links a node may have (knet's, corosync's
// CFG_MAX_LINKS): ring0_addr … ring7_addr.
const MaxLinks = 8

// Node is one nodelist entry as the daemon resolved it.
type Node struct {
	ID   uint32
	Name string
	// Addrs holds the node's address on each link; an invalid Addr means
	// the node has no such link.
	Addrs [MaxLinks]netip.Addr
}

// LinkStatus is one link's state towards a node (corosync's
// corosync_knet_link_status_v1).
type LinkStatus struct {
	Enabled      bool   // configured and admin-enabled
	Connected    bool   // carries data (local view)
	DynConnected bool   // activated by the remote's dynamic address
	MTU          uint32 // bytes of payload the link carries
	Src, Dst     string // addresses as text, at most 255 bytes each
}

// NodeStatus is what NODESTATUSGET reports about one node (corosync's
// corosync_cfg_node_status_v1).
type NodeStatus struct {
	NodeID                          uint32
	Reachable, Remote, External     bool
	OnwireMin, OnwireMax, OnwireVer uint8
	Links                           [MaxLinks]LinkStatus
}

// RingStatus is one link of RINGSTATUSGET: Name is "<link> <local
// address>", Status one character per known node in ascending node id.
type RingStatus struct {
	Name, Status string
}

func b2u(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// EncodeNodeStatus writes a complete v1 NODESTATUSGET reply (4200 bytes)
// into b.
func EncodeNodeStatus(b []byte, st NodeStatus) []byte {
	b = b[:NodeStatusResSize]
	clear(b)
	PutResHeader(b, ResNodeStatusGet, NodeStatusResSize, cserror.OK)
	ns := b[nodeStatusOff:]
	le.PutUint32(ns[0:], NodeStatusV1)
	le.PutUint32(ns[4:], st.NodeID)
	ns[8], ns[9], ns[10] = b2u(st.Reachable), b2u(st.Remote), b2u(st.External)
	ns[11], ns[12], ns[13] = st.OnwireMin, st.OnwireMax, st.OnwireVer
	for i, l := range st.Links {
		lb := ns[linkStatusOff+i*linkStatusSize:][:linkStatusSize]
		lb[0], lb[1], lb[2] = b2u(l.Enabled), b2u(l.Connected), b2u(l.DynConnected)
		le.PutUint32(lb[4:], l.MTU)
		putCString(lb[8:8+hostLen], l.Src)
		putCString(lb[8+hostLen:8+2*hostLen], l.Dst)
	}
	return b
}

// DecodeNodeStatus reads a NODESTATUSGET reply: the header's error, and on
// OK the v1 structure. A reply too short for its version is ErrLibrary;
// a version other than 1 ErrNotSupported (as libcfg decides).
func DecodeNodeStatus(b []byte) (NodeStatus, Error) {
	var st NodeStatus
	_, _, e, ok := ResHeader(b)
	if !ok {
		return st, cserror.ErrLibrary
	}
	if e != cserror.OK {
		return st, e
	}
	if len(b) < nodeStatusVersionRes {
		return st, cserror.ErrLibrary
	}
	ns := b[nodeStatusOff:]
	if le.Uint32(ns) != NodeStatusV1 {
		return st, cserror.ErrNotSupported
	}
	if len(b) < NodeStatusResSize {
		return st, cserror.ErrLibrary
	}
	st.NodeID = le.Uint32(ns[4:])
	st.Reachable, st.Remote, st.External = ns[8] != 0, ns[9] != 0, ns[10] != 0
	st.OnwireMin, st.OnwireMax, st.OnwireVer = ns[11], ns[12], ns[13]
	for i := range st.Links {
		lb := ns[linkStatusOff+i*linkStatusSize:][:linkStatusSize]
		st.Links[i] = LinkStatus{
			Enabled: lb[0] != 0, Connected: lb[1] != 0, DynConnected: lb[2] != 0,
			MTU: le.Uint32(lb[4:]),
			Src: cString(lb[8 : 8+hostLen]), Dst: cString(lb[8+hostLen : 8+2*hostLen]),
		}
	}
	return st, cserror.OK
}

// EncodeRingStatus writes a complete RINGSTATUSGET reply (10272 bytes)
// with at most MaxInterfaces links into b. A name or status too long for
// its field is corosync's CS_ERR_NAME_TOO_LONG.
func EncodeRingStatus(b []byte, rings []RingStatus) []byte {
	b = b[:RingStatusResSize]
	clear(b)
	e := cserror.OK
	n := min(len(rings), MaxInterfaces)
	for i, r := range rings[:n] {
		if len(r.Name) >= ringNameLen || len(r.Status) >= ringStatusLen {
			e = cserror.ErrNameTooLong
			break
		}
		putCString(b[ringNamesOff+i*ringNameLen:][:ringNameLen], r.Name)
		putCString(b[ringStatusOff+i*ringStatusLen:][:ringStatusLen], r.Status)
	}
	PutResHeader(b, ResRingStatusGet, RingStatusResSize, e)
	le.PutUint32(b[ResHeaderSize:], uint32(n))
	return b
}

// DecodeRingStatus reads a RINGSTATUSGET reply.
func DecodeRingStatus(b []byte) ([]RingStatus, Error) {
	_, _, e, ok := ResHeader(b)
	if !ok || len(b) < RingStatusResSize {
		return nil, cserror.ErrLibrary
	}
	if e != cserror.OK {
		return nil, e
	}
	n := int(le.Uint32(b[ResHeaderSize:]))
	if n > MaxInterfaces {
		return nil, cserror.ErrLibrary
	}
	rings := make([]RingStatus, n)
	for i := range rings {
		rings[i].Name = cString(b[ringNamesOff+i*ringNameLen:][:ringNameLen])
		rings[i].Status = cString(b[ringStatusOff+i*ringStatusLen:][:ringStatusLen])
	}
	return rings, cserror.OK
}

// EncodeNodeAddrs writes a GET_NODE_ADDRS reply into b (which must hold
// 32 + 16·len(addrs) bytes): the family is the first address's; no
// addresses is CS_ERR_NOT_EXIST, as corosync answers for an unknown node.
func EncodeNodeAddrs(b []byte, addrs []netip.Addr) []byte {
	size := NodeAddrsResSize + addrLen*len(addrs)
	b = b[:size]
	clear(b)
	e := cserror.OK
	if len(addrs) == 0 {
		e = cserror.ErrNotExist
	} else {
		fam := AFInet
		if !addrs[0].Unmap().Is4() {
			fam = AFInet6
		}
		le.PutUint32(b[24:], fam)
		le.PutUint32(b[28:], uint32(len(addrs)))
		for i, a := range addrs {
			raw := a.Unmap().AsSlice()
			copy(b[NodeAddrsResSize+i*addrLen:][:addrLen], raw)
		}
	}
	PutResHeader(b, ResGetNodeAddrs, size, e)
	return b
}

// DecodeNodeAddrs reads a GET_NODE_ADDRS reply as libcfg does: an
// all-zero slot is an unused address and is skipped.
func DecodeNodeAddrs(b []byte) ([]netip.Addr, Error) {
	_, size, e, ok := ResHeader(b)
	if !ok || size < NodeAddrsResSize {
		return nil, cserror.ErrLibrary
	}
	if e != cserror.OK {
		return nil, e
	}
	fam, n := le.Uint32(b[24:]), int(le.Uint32(b[28:]))
	if n < 0 || n > (size-NodeAddrsResSize)/addrLen {
		return nil, cserror.ErrLibrary
	}
	var out []netip.Addr
	for i := range n {
		raw := b[NodeAddrsResSize+i*addrLen:][:addrLen]
		var a netip.Addr
		switch fam {
		case AFInet:
			a = netip.AddrFrom4([4]byte(raw[:4]))
		case AFInet6:
			a = netip.AddrFrom16([16]byte(raw))
		default:
			return nil, cserror.ErrLibrary
		}
		if a.IsUnspecified() {
			continue
		}
		out = append(out, a)
	}
	return out, cserror.OK
}

// statusChar is one node's character in a RINGSTATUSGET status string.
func statusChar(l LinkStatus) byte {
	return '0' + (b2u(l.Enabled) | b2u(l.Connected)<<1 | b2u(l.DynConnected)<<2)
}

// ringName is "<link> <address>" as corosync names a link.
func ringName(link int, addr netip.Addr) string {
	return strconv.Itoa(link) + " " + addr.String()
}
