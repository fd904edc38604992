// Package servicetest owns a deterministic virtual-synchrony bus for
// testing service engines without a network: every node's Host sends into
// the bus, the bus delivers each message in one total order to the members
// of the sender's configuration, and configuration changes (form, crash,
// partition) arrive as totem would give them, transitional then regular.
// It is the services' simulator: seeded by construction (no goroutines, no
// clock but the bus's), so a failing run replays exactly.
package servicetest

import (
	"fmt"
	"slices"

	"github.com/gorosync/gorosync/services"
)

// Node is one node on the bus.
type Node struct {
	ID     uint32
	Host   *services.Host
	bus    *Bus
	up     bool
	conf   []uint32 // members of its current configuration
	ring   services.RingID
	outbox [][]byte
}

// Bus connects nodes. NowNs is the clock every Host sees.
type Bus struct {
	NowNs int64
	nodes []*Node
	seq   uint64
	// Trace, if set, gets one line per delivery and configuration change.
	Trace func(format string, args ...any)
}

// New returns an empty bus.
func New() *Bus { return &Bus{} }

// Add builds a node whose host runs engines (made fresh by the caller).
func (b *Bus) Add(id uint32, engines ...services.Engine) (*Node, error) {
	n := &Node{ID: id, bus: b, up: true}
	h, err := services.New(services.Config{
		NodeID:  id,
		Engines: engines,
		Now:     func() int64 { return b.NowNs },
		Send: func(msg []byte, _ bool) error {
			if !n.up {
				return fmt.Errorf("node %d is down", id)
			}
			n.outbox = append(n.outbox, slices.Clone(msg))
			return nil
		},
	})
	if err != nil {
		return nil, err
	}
	n.Host = h
	if i := slices.IndexFunc(b.nodes, func(o *Node) bool { return o.ID == id }); i >= 0 {
		b.nodes[i] = n // a restart: the old incarnation is gone
	} else {
		b.nodes = append(b.nodes, n)
	}
	return n, nil
}

// Node returns the node with id.
func (b *Bus) Node(id uint32) *Node {
	for _, n := range b.nodes {
		if n.ID == id {
			return n
		}
	}
	return nil
}

// Up reports whether the node runs (not crashed).
func (n *Node) Up() bool { return n.up }

// Crash stops a node at once: its unsent messages are lost and it takes no
// part in later configurations. The others notice at the next Form.
func (b *Bus) Crash(id uint32) {
	if n := b.Node(id); n != nil {
		n.up, n.outbox = false, nil
	}
}

// Form installs one configuration of exactly the up nodes among ids. Each
// node's pending messages are delivered first in its old configuration (as
// EVS delivers them before the change). Nodes not in ids keep their own
// configuration, so forming {1,2} and then {3} partitions a cluster.
func (b *Bus) Form(ids ...uint32) {
	b.flush()
	var members []uint32
	for _, id := range ids {
		if n := b.Node(id); n != nil && n.up {
			members = append(members, id)
		}
	}
	slices.Sort(members)
	if len(members) == 0 {
		return
	}
	b.seq += 4
	ring := services.RingID{Rep: members[0], Seq: b.seq}
	for _, id := range members {
		n := b.Node(id)
		var trans, left, joined []uint32
		for _, m := range n.conf {
			if slices.Contains(members, m) {
				trans = append(trans, m)
			} else {
				left = append(left, m)
			}
		}
		for _, m := range members {
			if !slices.Contains(n.conf, m) {
				joined = append(joined, m)
			}
		}
		if len(trans) == 0 {
			trans = []uint32{id}
		}
		b.trace("node %d: transitional %v", id, trans)
		n.Host.Conf(services.ConfChange{Kind: services.Transitional, Ring: ring, Members: trans, Left: left})
		b.trace("node %d: regular %v ring %d.%d", id, members, ring.Rep, ring.Seq)
		n.Host.Conf(services.ConfChange{Kind: services.Regular, Ring: ring, Members: slices.Clone(members), Joined: joined})
		n.conf, n.ring = slices.Clone(members), ring
	}
}

// Step polls every up host once, advancing the clock by stepNs, then
// delivers every queued message. It returns how many were delivered.
func (b *Bus) Step(stepNs int64) int {
	b.NowNs += stepNs
	for _, n := range b.nodes {
		if n.up {
			n.Host.Poll()
		}
	}
	return b.flush()
}

// Run steps (1 ms each) until nothing is sent for quietSteps steps in a row
// or maxSteps steps ran; it returns the steps run.
func (b *Bus) Run(maxSteps, quietSteps int) int {
	quiet := 0
	for i := range maxSteps {
		if b.Step(1_000_000) == 0 {
			quiet++
			if quiet >= quietSteps {
				return i + 1
			}
		} else {
			quiet = 0
		}
	}
	return maxSteps
}

// flush delivers queued messages in one total order: senders in turn, each
// sender's messages in its order, to the up members of its configuration.
// A node that has not formed a configuration yet keeps its messages.
func (b *Bus) flush() int {
	total := 0
	for round := 0; round < 1000; round++ {
		moved := 0
		for _, n := range b.nodes {
			if !n.up || len(n.outbox) == 0 || len(n.conf) == 0 {
				continue
			}
			msg := n.outbox[0]
			n.outbox = n.outbox[1:]
			b.deliver(n, msg)
			moved++
		}
		if moved == 0 {
			return total
		}
		total += moved
	}
	return total
}

func (b *Bus) deliver(from *Node, msg []byte) {
	for _, m := range from.conf {
		to := b.Node(m)
		if to == nil || !to.up || to.ring != from.ring {
			continue
		}
		to.Host.Deliver(from.ID, msg)
	}
}

func (b *Bus) trace(format string, args ...any) {
	if b.Trace != nil {
		b.Trace(format, args...)
	}
}
