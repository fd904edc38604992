package oracle

import "slices"

// world builds membership logs that satisfy every safety invariant: it
// remembers each running node's ring so that form can write the TRANS and
// REG lists E4 and E6 demand. It records no messages.
type world struct {
	r   *Recorder
	cur map[uint32]wring // running nodes that are in a ring
	seq uint64
}

type wring struct {
	id      RingID
	members []uint32
}

func newWorld(nodes []uint32) *world {
	return &world{r: NewRecorder(nodes), cur: map[uint32]wring{}}
}

// form has nodes install one new ring at time t.
func (w *world) form(t int64, nodes ...uint32) RingID {
	members := slices.Clone(nodes)
	slices.Sort(members)
	w.seq++
	id := RingID{Rep: members[0], Seq: w.seq}
	type conf struct{ trans, left, joined []uint32 }
	confs := make([]conf, len(members))
	for i, p := range members {
		old, ok := w.cur[p]
		if !ok {
			confs[i] = conf{joined: members} // first ring of an incarnation
			continue
		}
		var cf conf
		for _, q := range members {
			if o, ok := w.cur[q]; ok && o.id == old.id {
				cf.trans = append(cf.trans, q)
			} else {
				cf.joined = append(cf.joined, q)
			}
		}
		for _, q := range old.members {
			if !slices.Contains(cf.trans, q) {
				cf.left = append(cf.left, q)
			}
		}
		confs[i] = cf
	}
	for i, p := range members {
		w.r.Conf(p, t, Transitional, id, confs[i].trans, confs[i].left, nil)
		w.r.Conf(p, t, Regular, id, members, nil, confs[i].joined)
		w.cur[p] = wring{id, members}
	}
	return id
}

func (w *world) crash(node uint32, t int64) {
	w.r.Crash(node, t)
	delete(w.cur, node)
}

func (w *world) leave(node uint32, t int64) {
	w.r.Leave(node, t)
	delete(w.cur, node)
}

func (w *world) restart(node uint32, t int64) {
	w.r.Restart(node, t)
	delete(w.cur, node)
}

// converged reports whether nodes already share one ring of exactly them.
func (w *world) converged(nodes []uint32) bool {
	first, ok := w.cur[nodes[0]]
	if !ok || !slices.Equal(first.members, nodes) {
		return false
	}
	for _, p := range nodes[1:] {
		if o, ok := w.cur[p]; !ok || o.id != first.id {
			return false
		}
	}
	return true
}
