package oracle

// Hand-built logs shared by the tests.

var (
	all123 = []uint32{1, 2, 3}
	ringS  = RingID{Rep: 1, Seq: 4} // the stable ring
)

// start records the start-up configuration of §4.1: TRANS with empty lists,
// then REG with joined = members.
func start(r *Recorder, c *clock, node uint32, ring RingID, members []uint32) {
	r.Conf(node, c.now(), Transitional, ring, nil, nil, nil)
	r.Conf(node, c.now(), Regular, ring, members, nil, members)
}

// deliverAll delivers msg to every node in nodes, in that order.
func deliverAll(r *Recorder, c *clock, nodes []uint32, sender uint32, msg uint64, safe bool) {
	for _, n := range nodes {
		var held []uint32
		if safe {
			held = all123
		}
		r.Deliver(n, c.now(), sender, msg, safe, held)
	}
}

// cleanStable is a 3-node stable ring: nodes 1, 2, 3 send 101, 102 / 201 /
// 301, 302(safe); everyone delivers 101, 201, 301, 102, 302; then node 2,
// having delivered all of them, sends 202 and everyone delivers it.
func cleanStable() []Log {
	var c clock
	r := NewRecorder(all123)
	for _, n := range all123 {
		start(r, &c, n, ringS, all123)
	}
	r.Send(1, c.now(), 101, false)
	r.Send(1, c.now(), 102, false)
	r.Send(2, c.now(), 201, false)
	r.Send(3, c.now(), 301, false)
	r.Send(3, c.now(), 302, true)
	for _, m := range []struct {
		id     uint64
		sender uint32
		safe   bool
	}{{101, 1, false}, {201, 2, false}, {301, 3, false}, {102, 1, false}, {302, 3, true}} {
		deliverAll(r, &c, all123, m.sender, m.id, m.safe)
	}
	r.Send(2, c.now(), 202, false)
	deliverAll(r, &c, all123, 2, 202, false)
	return r.Logs()
}

// Rings of the membership scenario.
var (
	r1 = RingID{1, 1} // {1,2,3}
	r2 = RingID{1, 2} // {1,2} after 3 is cut off
	r3 = RingID{3, 2} // {3} alone
	r4 = RingID{1, 4} // merge {1,2,3}
	r5 = RingID{2, 5} // 2 alone after its restart
	r6 = RingID{1, 6} // {1,3} after 2 crashed
	r7 = RingID{1, 7} // merge {1,2,3}
)

// cleanScenario is a run with membership changes that satisfies every
// invariant: a partition of node 3 (with a transitional delivery at 1 and
// 2), a merge, a crash and restart of node 2, and a second merge.
func cleanScenario() []Log {
	var c clock
	r := NewRecorder(all123)
	for _, n := range all123 {
		start(r, &c, n, r1, all123)
	}
	// R1: order m1, m2, m3, m4.
	r.Send(1, c.now(), 1, false)
	r.Send(2, c.now(), 2, false)
	r.Send(3, c.now(), 3, false)
	r.Send(1, c.now(), 4, false)
	deliverAll(r, &c, all123, 1, 1, false)
	deliverAll(r, &c, all123, 2, 2, false)
	deliverAll(r, &c, all123, 3, 3, false)
	// Node 3 is cut off before m4 reached it.
	r.Conf(3, c.now(), Transitional, r3, []uint32{3}, []uint32{1, 2}, nil)
	r.Conf(3, c.now(), Regular, r3, []uint32{3}, nil, nil)
	// Nodes 1 and 2 deliver m4 in the transitional configuration.
	for _, n := range []uint32{1, 2} {
		r.Conf(n, c.now(), Transitional, r2, []uint32{1, 2}, []uint32{3}, nil)
		r.Deliver(n, c.now(), 1, 4, false, nil)
		r.Conf(n, c.now(), Regular, r2, []uint32{1, 2}, nil, nil)
	}
	// Each side carries on.
	r.Send(1, c.now(), 5, false)
	deliverAll(r, &c, []uint32{1, 2}, 1, 5, false)
	r.Send(3, c.now(), 6, false)
	deliverAll(r, &c, []uint32{3}, 3, 6, false)
	// Merge into R4.
	for _, n := range []uint32{1, 2} {
		r.Conf(n, c.now(), Transitional, r4, []uint32{1, 2}, nil, nil)
		r.Conf(n, c.now(), Regular, r4, all123, nil, []uint32{3})
	}
	r.Conf(3, c.now(), Transitional, r4, []uint32{3}, nil, nil)
	r.Conf(3, c.now(), Regular, r4, all123, nil, []uint32{1, 2})
	r.Send(3, c.now(), 7, false)
	deliverAll(r, &c, all123, 3, 7, false)
	r.Send(1, c.now(), 10, false) // after delivering m7: causally after it
	deliverAll(r, &c, all123, 1, 10, false)
	// Node 2 queues m11 and crashes before it is ordered: lost, not an L1 miss.
	r.Send(2, c.now(), 11, false)
	r.Crash(2, c.now())
	r.Conf(2, c.now(), Transitional, r5, nil, nil, nil)
	r.Conf(2, c.now(), Regular, r5, []uint32{2}, nil, []uint32{2})
	for _, n := range []uint32{1, 3} {
		r.Conf(n, c.now(), Transitional, r6, []uint32{1, 3}, []uint32{2}, nil)
		r.Conf(n, c.now(), Regular, r6, []uint32{1, 3}, nil, nil)
	}
	// Merge into R7.
	for _, n := range []uint32{1, 3} {
		r.Conf(n, c.now(), Transitional, r7, []uint32{1, 3}, nil, nil)
		r.Conf(n, c.now(), Regular, r7, all123, nil, []uint32{2})
	}
	r.Conf(2, c.now(), Transitional, r7, []uint32{2}, nil, nil)
	r.Conf(2, c.now(), Regular, r7, all123, nil, []uint32{1, 3})
	r.Send(2, c.now(), 8, true)
	deliverAll(r, &c, all123, 2, 8, true)
	return r.Logs()
}

// cleanCausal: node 2 delivers m1 and then sends m2, then crashes; node 3,
// cut off with 2, delivered m1 in its regular part and m2 in the
// transitional part. Clean; dropping m1 at node 3 breaks only E14.
func cleanCausal() []Log {
	var c clock
	r := NewRecorder(all123)
	for _, n := range all123 {
		start(r, &c, n, r1, all123)
	}
	r.Send(1, c.now(), 1, false)
	deliverAll(r, &c, all123, 1, 1, false)
	r.Send(2, c.now(), 2, false)
	r.Deliver(1, c.now(), 2, 2, false, nil)
	r.Crash(2, c.now())
	r.Conf(3, c.now(), Transitional, r2, []uint32{2, 3}, []uint32{1}, nil)
	r.Deliver(3, c.now(), 2, 2, false, nil)
	r.Conf(3, c.now(), Regular, r2, []uint32{2, 3}, nil, nil)
	r.Conf(1, c.now(), Transitional, r3, []uint32{1}, []uint32{2, 3}, nil)
	r.Conf(1, c.now(), Regular, r3, []uint32{1}, nil, nil)
	return r.Logs()
}
