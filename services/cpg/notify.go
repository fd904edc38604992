package cpg

import "github.com/gorosync/gorosync/services/cserror"

// Events to the local connections: group confchgs (TOTEM_SPEC §8.4) and
// the model-v1 totem confchg.

// confchg sends g's CONFCHG event to its local members: the member list
// is g's processes less left; left and joined as given. Each receiving
// connection's transition counter moves. Then every connection that asked
// for the initial totem confchg at its join and has not had it gets it.
func (e *Engine) confchg(g *group, left, joined []Address) {
	members := 0
	for _, m := range g.members {
		if !inAddrs(left, m.nodeid, m.pid) {
			members++
		}
	}
	size := ConfchgSize + AddressSize*(members+len(left)+len(joined))
	b := e.eventBuf(size)
	PutResHeader(b, ResConfchg, size, cserror.OK)
	copy(b[EvGroupOff:], g.mar[:])
	le.PutUint32(b[160:], uint32(members))
	le.PutUint32(b[168:], uint32(len(joined)))
	le.PutUint32(b[176:], uint32(len(left)))
	off := ConfchgSize
	for _, m := range g.members {
		if !inAddrs(left, m.nodeid, m.pid) {
			putAddress(b[off:], Address{NodeID: m.nodeid, PID: m.pid})
			off += AddressSize
		}
	}
	for _, lists := range [2][]Address{left, joined} {
		for _, a := range lists {
			putAddress(b[off:], a)
			off += AddressSize
		}
	}
	e.one[0] = b
	for _, d := range g.locals {
		if d.receives() {
			_ = d.conn.EventParts(e.one[:]...)
			d.transitions++
		}
	}
	e.one[0] = nil
	e.initialTotemConfchg()
}

func inAddrs(list []Address, nodeid, pid uint32) bool {
	for _, a := range list {
		if a.NodeID == nodeid && a.PID == pid {
			return true
		}
	}
	return false
}

// eventBuf returns a zeroed scratch buffer of n bytes.
func (e *Engine) eventBuf(n int) []byte {
	if cap(e.evBuf) < n {
		e.evBuf = make([]byte, n, max(n, 4096))
	}
	b := e.evBuf[:n]
	clear(b)
	return b
}

// initialTotemConfchg sends the totem confchg of the last completed sync
// to connections that joined with FlagInitialTotemConf and have not had it
// (corosync sends it after the first group confchg processed once the
// join was requested, usually the joiner's own).
func (e *Engine) initialTotemConfchg() {
	for _, d := range e.cpds {
		if d.flags&FlagInitialTotemConf != 0 && !d.initialTotemSent && d.state != stateUnjoined {
			d.initialTotemSent = true
			e.totemConfchg(d)
		}
	}
}

// totemConfchg sends one connection the TOTEM_CONFCHG event of the last
// completed sync: its ring id and members.
func (e *Engine) totemConfchg(d *cpd) {
	if d.conn == nil || d.finalized {
		return
	}
	members := e.sync.syncedMembers
	size := TotemConfchgSize + 4*len(members)
	b := e.eventBuf(size)
	PutResHeader(b, ResTotemConfchg, size, cserror.OK)
	le.PutUint32(b[24:], e.sync.syncedRing.Rep)
	le.PutUint64(b[32:], e.sync.syncedRing.Seq)
	le.PutUint32(b[40:], uint32(len(members)))
	for i, m := range members {
		le.PutUint32(b[44+4*i:], m)
	}
	e.one[0] = b
	_ = d.conn.EventParts(e.one[:]...)
	e.one[0] = nil
}
