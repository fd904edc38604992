package oracle

import "slices"

// checkLiveness runs the progress checks the run's Options allow.
func (c *checker) checkLiveness() {
	if c.opt.StableRing {
		c.checkStable()
	}
	if c.opt.Drained {
		c.checkSelfDelivery()
		if c.opt.StableRing {
			c.checkAllDelivered()
		}
	}
	if c.opt.Bounds != nil {
		c.checkTimed(*c.opt.Bounds)
	}
}

// checkStable is L5: nothing but the start-up TRANS(∅)+REG, the same REG
// everywhere, holding every node that logged anything, and no crash.
func (c *checker) checkStable() {
	var ref *node
	var all []uint32
	for i := range c.nodes {
		if len(c.nodes[i].log.Events) > 0 {
			all = append(all, c.nodes[i].id)
		}
	}
	slices.Sort(all)
	for i := range c.nodes {
		n := &c.nodes[i]
		if len(n.log.Events) == 0 {
			continue
		}
		if n.stopped {
			c.rep.add("L5", n.id, 0, "crashed, left or restarted in a run expected to keep a stable ring")
		}
		if n.confBad || n.confs != 2 {
			c.rep.add("L5", n.id, 0, "%d configuration events, expected exactly the start-up TRANS then REG", n.confs)
		}
		if n.firstReg == nil {
			continue
		}
		if ref == nil {
			ref = n
			for _, id := range all {
				if !contains(n.firstReg.Members, id) {
					c.rep.add("L5", n.id, 0, "stable ring %v members %v lack node %d", n.firstReg.Ring, n.firstReg.Members, id)
				}
			}
			continue
		}
		if n.firstReg.Ring != ref.firstReg.Ring || !slices.Equal(n.firstReg.Members, ref.firstReg.Members) {
			c.rep.add("L5", n.id, 0, "installed ring %v members %v, node %d ring %v members %v", n.firstReg.Ring, n.firstReg.Members, ref.id, ref.firstReg.Ring, ref.firstReg.Members)
		}
	}
}

// checkSelfDelivery is L1: a message sent in a node's last incarnation,
// which did not end in a crash or leave, reached the node itself. Messages
// sent before a stop may be lost with the process's queue.
func (c *checker) checkSelfDelivery() {
	for i := range c.nodes {
		n := &c.nodes[i]
		if n.downAtEnd {
			continue
		}
		for _, id := range n.sends {
			m := &c.msgs[id]
			if m.sendInc == n.inc && n.pos[id] < 0 {
				c.rep.add("L1", n.id, m.id, "sent at t=%d (event %d) and never delivered to the sender", m.sendTime, m.sendEv)
			}
		}
	}
}

// checkAllDelivered is the stable-ring half of L1: with no membership
// change, every node that never stopped delivers every message that a live
// node sent or that anybody delivered. Messages of stopped (crashed, left)
// senders that nobody delivered died with the sender's queue.
func (c *checker) checkAllDelivered() {
	for i := range c.nodes {
		n := &c.nodes[i]
		if n.stopped || len(n.log.Events) == 0 {
			continue
		}
		for id := range c.msgs {
			m := &c.msgs[id]
			if m.sendLog < 0 || n.pos[id] >= 0 || m.sendLog == int32(i) {
				continue // unknown (E8), delivered, or the sender's own (L1 above)
			}
			if m.delivered > 0 || !c.nodes[m.sendLog].stopped {
				c.rep.add("L1", n.id, m.id, "stable ring drained: msg %d from node %d never delivered here", m.id, c.nodes[m.sendLog].id)
			}
		}
	}
}
