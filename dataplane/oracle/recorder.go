package oracle

// Recorder collects one Log per node while the simulator runs. It copies
// every slice it is handed (the simulator reuses its buffers) into a shared
// slab so that recording a delivery costs an append, not an allocation.
//
// A Recorder is not safe for concurrent use; the simulator is single-threaded.
type Recorder struct {
	logs []Log
	// ids mirrors logs[i].Node; a linear scan over a few nodes beats a map.
	ids  []uint32
	byID map[uint32]int // only built once there are many nodes
	slab []uint32       // backing store for copied node lists
	// faults is the cluster-wide fault log (partitions, cuts, heals): it belongs
	// to no node, and the liveness checks need it on one clock with the logs.
	faults []Event
}

// slabChunk is how many node ids one slab allocation holds.
const slabChunk = 4096

// manyNodes is where node lookup switches from a scan to a map.
const manyNodes = 32

// NewRecorder starts an empty log for each node, in the given order (Check
// reports in log order, so a fixed order keeps reports reproducible). A node
// not listed here gets a log on its first event.
func NewRecorder(nodes []uint32) *Recorder {
	r := &Recorder{}
	for _, n := range nodes {
		r.log(n)
	}
	return r
}

// log returns the log of node, creating it on first use.
func (r *Recorder) log(node uint32) *Log {
	if r.byID != nil {
		if i, ok := r.byID[node]; ok {
			return &r.logs[i]
		}
	} else {
		for i, id := range r.ids {
			if id == node {
				return &r.logs[i]
			}
		}
	}
	r.logs = append(r.logs, Log{Node: node})
	r.ids = append(r.ids, node)
	if r.byID != nil || len(r.ids) > manyNodes {
		if r.byID == nil {
			r.byID = make(map[uint32]int, 2*len(r.ids))
			for i, id := range r.ids {
				r.byID[id] = i
			}
		} else {
			r.byID[node] = len(r.ids) - 1
		}
	}
	return &r.logs[len(r.logs)-1]
}

// clone copies s into the slab. The result is capped so that an append by a
// reader can never overwrite a neighbour. Empty input gives nil.
func (r *Recorder) clone(s []uint32) []uint32 {
	if len(s) == 0 {
		return nil
	}
	if len(s) > cap(r.slab)-len(r.slab) {
		n := slabChunk
		if len(s) > n {
			n = len(s)
		}
		r.slab = make([]uint32, 0, n)
	}
	start := len(r.slab)
	r.slab = append(r.slab, s...)
	return r.slab[start:len(r.slab):len(r.slab)]
}

// Conf records a configuration change delivered to node.
func (r *Recorder) Conf(node uint32, time int64, kind ConfKind, ring RingID, members, left, joined []uint32) {
	l := r.log(node)
	l.Events = append(l.Events, Event{
		Kind: EventConf, Time: time, Conf: kind, Ring: ring,
		Members: r.clone(members), Left: r.clone(left), Joined: r.clone(joined),
	})
}

// Send records that node's multicast of msgID was accepted.
func (r *Recorder) Send(node uint32, time int64, msgID uint64, safe bool) {
	l := r.log(node)
	l.Events = append(l.Events, Event{Kind: EventSend, Time: time, MsgID: msgID, Sender: node, Safe: safe})
}

// Deliver records that node delivered msgID, told that sender sent it.
// heldBy is only kept for safe messages; the copy is sorted because it is a
// set and the SAFE check then runs as a merge.
func (r *Recorder) Deliver(node uint32, time int64, sender uint32, msgID uint64, safe bool, heldBy []uint32) {
	l := r.log(node)
	var held []uint32
	if safe {
		held = r.clone(heldBy)
		sortSmall(held)
	}
	l.Events = append(l.Events, Event{Kind: EventDeliver, Time: time, MsgID: msgID, Sender: sender, Safe: safe, HeldBy: held})
}

// Crash records that node's process died; its next events, if any, belong
// to a new incarnation.
func (r *Recorder) Crash(node uint32, time int64) {
	l := r.log(node)
	l.Events = append(l.Events, Event{Kind: EventCrash, Time: time})
}

// Leave records that node shut down cleanly (it multicast a LEAVE); its
// next events, if any, belong to a new incarnation.
func (r *Recorder) Leave(node uint32, time int64) {
	l := r.log(node)
	l.Events = append(l.Events, Event{Kind: EventLeave, Time: time})
}

// Restart records that node's process starts again. After Crash or Leave it
// dates the new incarnation's start (which the liveness checks count as a
// membership fault); on a running node it also ends the old one.
func (r *Recorder) Restart(node uint32, time int64) {
	l := r.log(node)
	l.Events = append(l.Events, Event{Kind: EventRestart, Time: time})
}

// Partition records that from time on only nodes in the same group can
// exchange frames; a node in no group is isolated. Each group is copied
// and sorted.
func (r *Recorder) Partition(time int64, groups [][]uint32) {
	gs := make([][]uint32, len(groups))
	for i, g := range groups {
		gs[i] = r.clone(g)
		sortSmall(gs[i])
	}
	r.faults = append(r.faults, Event{Kind: EventPartition, Time: time, Groups: gs})
}

// Cut records that from time on frames from node from to node to are lost
// (the other direction is untouched), until the next Partition or Heal.
func (r *Recorder) Cut(time int64, from, to uint32) {
	r.faults = append(r.faults, Event{Kind: EventCut, Time: time, Link: [2]uint32{from, to}})
}

// Disturb records a passing disturbance of the network (a burst of loss):
// timed liveness is not judged across it.
func (r *Recorder) Disturb(time int64) {
	r.faults = append(r.faults, Event{Kind: EventDisturb, Time: time})
}

// Heal records that from time on every node reaches every other.
func (r *Recorder) Heal(time int64) {
	r.faults = append(r.faults, Event{Kind: EventHeal, Time: time})
}

// Faults returns the cluster-wide fault log, for Options.Faults. Like Logs,
// it shares storage with the Recorder.
func (r *Recorder) Faults() []Event {
	return r.faults[:len(r.faults):len(r.faults)]
}

// Logs returns the logs, one per node in first-seen order. The result
// shares event storage with the Recorder: record nothing more once it has
// been handed to Check.
func (r *Recorder) Logs() []Log {
	out := make([]Log, len(r.logs))
	copy(out, r.logs)
	return out
}
