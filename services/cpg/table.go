package cpg

import (
	"bytes"
	"cmp"
	"slices"
)

// entry is one process of a group (corosync's process_info). seq is the
// insertion order: corosync's list keeps entries with equal (nodeid, pid)
// in the order they were added, which iteration shows.
type entry struct {
	nodeid, pid uint32
	seq         uint64
}

// group is one process group: its members (sorted by nodeid, pid; unique)
// and the local connections whose group it is.
type group struct {
	name    string
	mar     [NameSize]byte // the name as mar_cpg_name_t, for events
	exec    []byte         // the name as exec messages carry it
	members []entry
	locals  []*cpd
}

// table is the cluster-wide process table of this node.
type table struct {
	groups map[string]*group
	seq    uint64
}

func (t *table) init() { t.groups = map[string]*group{} }

// lookup finds the group named name (no allocation).
func (t *table) lookup(name []byte) *group { return t.groups[string(name)] }

// ensure finds or creates the group named name.
func (t *table) ensure(name []byte) *group {
	if g := t.groups[string(name)]; g != nil {
		return g
	}
	g := &group{name: string(name)}
	PutName(g.mar[:], name)
	g.exec = appendName(nil, name)
	t.groups[g.name] = g
	return g
}

// gc drops a group nobody is in and no connection names.
func (t *table) gc(g *group) {
	if len(g.members) == 0 && len(g.locals) == 0 {
		delete(t.groups, g.name)
	}
}

// find returns the index of (nodeid, pid) in g.members, or where it
// would go.
func (g *group) find(nodeid, pid uint32) (int, bool) {
	lo, hi := 0, len(g.members)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		e := g.members[m]
		if e.nodeid < nodeid || (e.nodeid == nodeid && e.pid < pid) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	ok := lo < len(g.members) && g.members[lo].nodeid == nodeid && g.members[lo].pid == pid
	return lo, ok
}

// hasNode tells whether some process of nodeid is in g.
func (g *group) hasNode(nodeid uint32) bool {
	i, _ := g.find(nodeid, 0)
	return i < len(g.members) && g.members[i].nodeid == nodeid
}

// insert adds (nodeid, pid) to g; false if it is there already.
func (t *table) insert(g *group, nodeid, pid uint32) bool {
	i, ok := g.find(nodeid, pid)
	if ok {
		return false
	}
	t.seq++
	g.members = slices.Insert(g.members, i, entry{nodeid: nodeid, pid: pid, seq: t.seq})
	return true
}

// removeAt drops g.members[i].
func (g *group) removeAt(i int) { g.members = slices.Delete(g.members, i, i+1) }

// sorted returns the groups in ascending name order (bytewise).
func (t *table) sorted() []*group {
	out := make([]*group, 0, len(t.groups))
	for _, g := range t.groups {
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b *group) int { return bytes.Compare([]byte(a.name), []byte(b.name)) })
	return out
}

// Entry is one process of the table, as iteration and Snapshot give it.
type Entry struct {
	Group  string
	NodeID uint32
	PID    uint32
}

// global returns every entry in corosync's process_info order: by
// nodeid, pid, then insertion.
func (t *table) global() []Entry {
	type ranked struct {
		Entry
		seq uint64
	}
	var all []ranked
	for _, g := range t.groups {
		for _, m := range g.members {
			all = append(all, ranked{Entry{g.name, m.nodeid, m.pid}, m.seq})
		}
	}
	slices.SortFunc(all, func(a, b ranked) int {
		switch {
		case a.NodeID != b.NodeID:
			return cmp.Compare(a.NodeID, b.NodeID)
		case a.PID != b.PID:
			return cmp.Compare(a.PID, b.PID)
		}
		return cmp.Compare(a.seq, b.seq)
	})
	out := make([]Entry, len(all))
	for i, r := range all {
		out[i] = r.Entry
	}
	return out
}

// iterationList is what ITERATIONINITIALIZE snapshots, in the order
// corosync 3.1.7 returns it: walking process_info, an entry of a group not
// seen yet goes to the front, an entry of a known group right after that
// group's first entry (so groups appear newest-first, and within a group
// the first entry is followed by the rest in reverse order). NAME_ONLY
// keeps one entry per group with nodeid and pid 0; ONE_GROUP only name's.
func (t *table) iterationList(typ IterType, name string) []Entry {
	var out []Entry
	for _, e := range t.global() {
		switch typ {
		case IterNameOnly:
			if slices.ContainsFunc(out, func(o Entry) bool { return o.Group == e.Group }) {
				continue
			}
			e.NodeID, e.PID = 0, 0
		case IterOneGroup:
			if e.Group != name {
				continue
			}
		}
		i := slices.IndexFunc(out, func(o Entry) bool { return o.Group == e.Group })
		out = slices.Insert(out, i+1, e) // i = -1: the front
	}
	return out
}

// Snapshot returns every process of the table in corosync's process_info
// order (for tools and tests).
func (e *Engine) Snapshot() []Entry { return e.procs.global() }

// Members returns the processes of group name, sorted by node and pid.
func (e *Engine) Members(name []byte) []Address {
	g := e.procs.lookup(name)
	if g == nil {
		return nil
	}
	out := make([]Address, len(g.members))
	for i, m := range g.members {
		out[i] = Address{NodeID: m.nodeid, PID: m.pid}
	}
	return out
}
