package coroparse

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// ErrNoLocalNode and ErrAmbiguousLocalNode are wrapped by LocalNode's errors.
var (
	ErrNoLocalNode        = errors.New("coroparse: this host is not in the nodelist")
	ErrAmbiguousLocalNode = errors.New("coroparse: more than one nodelist entry is this host")
)

// LocalNode finds this node in the nodelist. With explicit ≠ 0 (the
// daemon's -n flag, or totem.nodeid) it is the node with that id. Otherwise
// it is the one node with a ringX_addr among local, the addresses of this
// host's interfaces (corosync also matches node names against the host
// name; callers that want that resolve names first). Addresses compare
// without their zones, IPv4-mapped IPv6 as IPv4.
func LocalNode(nodes []Node, local []netip.Addr, explicit uint32) (index int, err error) {
	if explicit != 0 {
		for i, nd := range nodes {
			if nd.NodeID == explicit {
				return i, nil
			}
		}
		return -1, fmt.Errorf("%w: no node has nodeid %d", ErrNoLocalNode, explicit)
	}
	mine := make(map[netip.Addr]bool, len(local))
	for _, a := range local {
		mine[a.Unmap().WithZone("")] = true
	}
	index = -1
	var why []string
	for i, nd := range nodes {
		for l := range nd.Addrs {
			a := nodeAddr(nd, l)
			if !a.IsValid() || !mine[a] {
				continue
			}
			if index >= 0 && index != i {
				return -1, fmt.Errorf("%w: node %d (nodeid %d, %s) and node %d (nodeid %d, %s) both have addresses of this host; name the local node by its nodeid",
					ErrAmbiguousLocalNode, index, nodes[index].NodeID, why[0], i, nd.NodeID, a)
			}
			if index < 0 {
				why = append(why, a.String())
			}
			index = i
		}
	}
	if index < 0 {
		addrs := make([]string, len(local))
		for i, a := range local {
			addrs[i] = a.String()
		}
		return -1, fmt.Errorf("%w: no ringX_addr is one of this host's addresses (%s)", ErrNoLocalNode, strings.Join(addrs, ", "))
	}
	return index, nil
}

// nodeAddr is a node's resolved address on link l, or its literal address.
func nodeAddr(nd Node, l int) netip.Addr {
	a := nd.IPs[l]
	if !a.IsValid() && nd.Addrs[l] != "" {
		a, _ = netip.ParseAddr(nd.Addrs[l])
	}
	return a.Unmap().WithZone("")
}

// SetLocal records that this node is Nodes[index] and adds the keys
// corosync sets once it found itself: nodelist.local_node_pos and, for every
// link of the local node, totem.interface.L.bindnetaddr (its ringL_addr).
func (c *Config) SetLocal(index int) error {
	if index < 0 || index >= len(c.Nodes) {
		return fmt.Errorf("coroparse: local node %d is not in the nodelist of %d nodes", index, len(c.Nodes))
	}
	c.Local = index
	c.Keys["nodelist.local_node_pos"] = Uint(U32, uint64(index))
	nd := c.Nodes[index]
	for l, addr := range nd.Addrs {
		if addr == "" {
			continue
		}
		key := "totem.interface." + strconv.Itoa(l) + ".bindnetaddr"
		c.Keys[key] = Str(addr)
		delete(c.Lines, key)
		for i := range c.Totem.Interfaces {
			if c.Totem.Interfaces[i].Link == l {
				c.Totem.Interfaces[i].Bindnetaddr = addr
			}
		}
	}
	return nil
}
