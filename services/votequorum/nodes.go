package votequorum

import (
	"cmp"
	"slices"
)

// Node states (VOTEQUORUM_NODESTATE_*), as GETINFO and the quorum
// notification report them.
const (
	NodeMember  uint32 = 1
	NodeDead    uint32 = 2
	NodeLeaving uint32 = 3
)

// Node flags carried by NODEINFO.
const (
	flagQuorate        uint32 = 1
	flagLeaving        uint32 = 2
	flagWFAStatus      uint32 = 4
	flagFirst          uint32 = 8
	flagQdevRegistered uint32 = 16
	flagQdevAlive      uint32 = 32
	flagQdevCastVote   uint32 = 64
	flagQdevMasterWins uint32 = 128
	qdeviceFlagsAll           = flagQdevRegistered | flagQdevAlive | flagQdevCastVote | flagQdevMasterWins
)

const (
	qdeviceNodeID uint32 = 0       // the quorum device's pseudo node
	maxNodes             = 384 + 1 // corosync's PROCESSOR_COUNT_MAX, and us
)

// node is one node votequorum knows of (corosync's cluster_node).
type node struct {
	id       uint32
	state    uint32
	votes    uint32
	expected uint32
	flags    uint32
}

// find returns the node with id: us, the qdevice for id 0, else from the
// list.
func (e *Engine) find(id uint32) *node {
	switch id {
	case e.us.id:
		return e.us
	case qdeviceNodeID:
		return &e.qdev
	}
	i, ok := slices.BinarySearchFunc(e.nodes, id, func(n *node, id uint32) int { return cmp.Compare(n.id, id) })
	if !ok {
		return nil
	}
	return e.nodes[i]
}

// add creates a node (state 0 until its NODEINFO sets it) in id order.
// When the table is full a DEAD node's slot is reused, as corosync does;
// nil if there is none.
func (e *Engine) add(id uint32) *node {
	if len(e.nodes) >= maxNodes {
		i := slices.IndexFunc(e.nodes, func(n *node) bool { return n.state == NodeDead })
		if i < 0 {
			return nil
		}
		e.nodes = slices.Delete(e.nodes, i, i+1)
	}
	n := &node{id: id}
	i, _ := slices.BinarySearchFunc(e.nodes, id, func(n *node, id uint32) int { return cmp.Compare(n.id, id) })
	e.nodes = slices.Insert(e.nodes, i, n)
	return n
}

// totals counts the MEMBER nodes and their votes, plus the qdevice when
// it has votes (corosync's get_total_votes).
func (e *Engine) totals() (votes, members uint32) {
	for _, n := range e.nodes {
		if n.state == NodeMember {
			votes += n.votes
			members++
		}
	}
	if e.qdev.votes > 0 {
		votes += e.qdev.votes
		members++
	}
	return votes, members
}

// setMembersExpected sets the expected votes of every MEMBER node (0:
// nothing).
func (e *Engine) setMembersExpected(expected uint32) {
	if expected == 0 {
		return
	}
	for _, n := range e.nodes {
		if n.state == NodeMember {
			n.expected = expected
		}
	}
}

// memberPresent reports whether the node with id is a MEMBER.
func (e *Engine) memberPresent(id int64) bool {
	for _, n := range e.nodes {
		if n.state == NodeMember && int64(n.id) == id {
			return true
		}
	}
	return false
}
