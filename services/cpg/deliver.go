package cpg

import "github.com/gorosync/gorosync/services/cserror"

// Exec message handlers: they run on every node, in the agreed order.

// onProcJoin: a process joined. The joiner's own connection moves to
// JOIN_COMPLETED before the confchg goes out, so it receives its own join.
func (e *Engine) onProcJoin(from uint32, m procMsg) {
	g := e.procs.ensure(m.name)
	if !e.procs.insert(g, from, m.pid) {
		return // a duplicate: corosync ignores it too
	}
	if from == e.nodeID() {
		for _, d := range g.locals {
			if d.pid == m.pid && d.state == stateJoinStarted {
				d.state = stateJoinCompleted
			}
		}
	}
	e.confchg(g, nil, []Address{{NodeID: from, PID: m.pid, Reason: ReasonJoin}})
}

// onProcLeave: a process left (LEAVE) or its client went (PROCDOWN). The
// confchg reaches the leaver too; then, as cpg_leave(3) documents (and
// unlike corosync 3.1.7, whose reset never runs), the leaver's connection
// is UNJOINED again: it receives nothing more of the group and may join
// again.
func (e *Engine) onProcLeave(from uint32, m procMsg) {
	g := e.procs.lookup(m.name)
	if g == nil {
		return
	}
	i, ok := g.find(from, m.pid)
	if !ok {
		return // not a member (a duplicate leave): nothing changes
	}
	e.confchg(g, []Address{{NodeID: from, PID: m.pid, Reason: m.reason}}, nil)
	g.removeAt(i)
	if from == e.nodeID() && m.reason == ReasonLeave {
		for j := 0; j < len(g.locals); j++ {
			d := g.locals[j]
			if d.pid == m.pid && d.state == stateLeaveStarted {
				e.unjoin(d)
				j--
			}
		}
	}
	e.procs.gc(g)
}

// unjoin makes a connection UNJOINED and takes it off its group.
func (e *Engine) unjoin(d *cpd) {
	g := d.group
	d.state, d.group, d.pid = stateUnjoined, nil, 0
	if g == nil {
		return
	}
	for i, x := range g.locals {
		if x == d {
			g.locals = append(g.locals[:i], g.locals[i+1:]...)
			break
		}
	}
	e.procs.gc(g)
}

// onMcast delivers a message to the group's local members (one event per
// member connection, the sender's own included).
func (e *Engine) onMcast(from uint32, msg []byte) {
	m, ok := decodeMcast(msg)
	if !ok {
		e.badMessage(from, fnMcast)
		return
	}
	g := e.receivers(from, m.name)
	if g == nil {
		return
	}
	h := e.ev[:DeliverSize]
	PutResHeader(h, ResDeliver, DeliverSize+len(m.payload), cserror.OK)
	copy(h[EvGroupOff:], g.mar[:])
	le.PutUint64(h[160:], uint64(len(m.payload)))
	le.PutUint64(h[168:], uint64(from))
	le.PutUint64(h[176:], uint64(m.pid))
	e.fanOut(g, h, m.payload)
}

// onPartial delivers one fragment of a large message; the clients'
// libraries reassemble them per sender.
func (e *Engine) onPartial(from uint32, msg []byte) {
	m, ok := decodePartial(msg)
	if !ok {
		e.badMessage(from, fnPartialMcast)
		return
	}
	g := e.receivers(from, m.name)
	if g == nil {
		return
	}
	h := e.ev[:PartialDeliverSize]
	PutResHeader(h, ResPartialDeliver, PartialDeliverSize+len(m.payload), cserror.OK)
	copy(h[EvGroupOff:], g.mar[:])
	le.PutUint64(h[160:], uint64(m.msglen))
	le.PutUint64(h[168:], uint64(len(m.payload)))
	le.PutUint64(h[176:], uint64(from))
	le.PutUint64(h[184:], uint64(m.pid))
	le.PutUint64(h[192:], uint64(m.typ))
	e.fanOut(g, h, m.payload)
}

// receivers is the group named name if a message from node from is
// delivered to it here: nil when no local member receives, or when no
// process of the sender's node is in the group here (corosync's "unknown
// node", counted).
func (e *Engine) receivers(from uint32, name []byte) *group {
	g := e.procs.lookup(name)
	if g == nil || !e.anyReceiver(g) {
		return nil
	}
	if !g.hasNode(from) {
		e.stats.UnknownNode++
		return nil
	}
	return g
}

func (e *Engine) anyReceiver(g *group) bool {
	for _, d := range g.locals {
		if d.receives() {
			return true
		}
	}
	return false
}

// fanOut sends header+payload to every receiving local member.
func (e *Engine) fanOut(g *group, h, payload []byte) {
	e.evParts[0], e.evParts[1] = h, payload
	for _, d := range g.locals {
		if d.receives() {
			_ = d.conn.EventParts(e.evParts[:]...)
		}
	}
	e.evParts[0], e.evParts[1] = nil, nil
}
