package cfg

import (
	"net/netip"
	"slices"
)

// nodeStatus is the daemon's view of nodeid, or the udpu-style derived one.
func (e *Engine) nodeStatus(nodeid uint32) (NodeStatus, bool) {
	if e.cfg.NodeStatus != nil {
		return e.cfg.NodeStatus(nodeid)
	}
	return e.derivedStatus(nodeid)
}

// derivedStatus is what corosync 3.1.7 reports for udpu (totemsrp fills
// reachable from its membership, totemudpu the one link).
func (e *Engine) derivedStatus(nodeid uint32) (NodeStatus, bool) {
	n, ok := e.node(nodeid)
	if !ok {
		return NodeStatus{}, false
	}
	st := NodeStatus{NodeID: nodeid}
	st.Reachable = nodeid == e.cfg.NodeID || slices.Contains(e.members(), nodeid)
	for l, a := range n.Addrs {
		if !a.IsValid() {
			continue
		}
		st.Links[l] = LinkStatus{Enabled: true, Connected: st.Reachable, MTU: e.cfg.MTU, Src: a.String()}
	}
	return st, true
}

// ringStatus describes each link of the local node: its name and one
// character per nodelist node in ascending id ('n' for this node, '?'
// when the link layer does not know the node).
func (e *Engine) ringStatus() []RingStatus {
	me, ok := e.node(e.cfg.NodeID)
	if !ok {
		return nil
	}
	ids := e.nodeIDs()
	statuses := make([]NodeStatus, len(ids))
	known := make([]bool, len(ids))
	for i, id := range ids {
		if id != e.cfg.NodeID {
			statuses[i], known[i] = e.nodeStatus(id)
		}
	}
	var rings []RingStatus
	for l, a := range me.Addrs {
		if !a.IsValid() {
			continue
		}
		s := make([]byte, len(ids))
		for i, id := range ids {
			switch {
			case id == e.cfg.NodeID:
				s[i] = 'n'
			case !known[i]:
				s[i] = '?'
			default:
				s[i] = statusChar(statuses[i].Links[l])
			}
		}
		rings = append(rings, RingStatus{Name: ringName(l, a), Status: string(s)})
	}
	return rings
}

// nodeAddrs lists nodeid's link addresses in link order (0 = this node),
// those of the first address's family only: the reply has one family.
func (e *Engine) nodeAddrs(nodeid uint32) []netip.Addr {
	if nodeid == 0 {
		nodeid = e.cfg.NodeID
	}
	n, ok := e.node(nodeid)
	if !ok {
		return nil
	}
	var out []netip.Addr
	for _, a := range n.Addrs {
		a = a.Unmap()
		if a.IsValid() && (len(out) == 0 || a.Is4() == out[0].Is4()) {
			out = append(out, a)
		}
	}
	return out
}
