package oracle

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// genFaults builds the logs of a random run with many overlapping faults
// (crashes, leaves, restarts — recorded and implied — partitions, one-way
// cuts, heals) in a model cluster that reacts to every fault alike: delay
// after it, the nodes that are up and in one group form one ring of
// exactly them, unless another fault comes first and the wait starts
// over. It lives with every one-way cut, as a ring may. Gaps between
// faults are either short (inside every bound, often zero: simultaneous
// faults) or long (past every bound), so both skipped and checked
// instances occur.
func genFaults(rng *rand.Rand, b Bounds, delay func() int64) (*world, int64) {
	n := 2 + rng.IntN(5)
	nodes := make([]uint32, n)
	for i := range nodes {
		nodes[i] = uint32(i + 1)
	}
	w := newWorld(nodes)
	up := slices.Clone(nodes)
	var groupOf map[uint32]int // nil: healed; absent: isolated
	settle := func(at int64) {
		byGroup := map[int][]uint32{}
		var keys []int
		for _, p := range up {
			k := 0
			if groupOf != nil {
				g, ok := groupOf[p]
				if !ok {
					g = -int(p)
				}
				k = g + 1
			}
			if _, ok := byGroup[k]; !ok {
				keys = append(keys, k)
			}
			byGroup[k] = append(byGroup[k], p)
		}
		for _, k := range keys {
			g := byGroup[k]
			slices.Sort(g)
			if !w.converged(g) {
				w.form(at, g...)
			}
		}
	}
	pick := func(s []uint32) uint32 { return s[rng.IntN(len(s))] }
	remove := func(p uint32) { up = slices.DeleteFunc(up, func(q uint32) bool { return q == p }) }

	t := int64(10)
	settle(t)
	for range 5 + rng.IntN(30) {
		var gap int64
		if rng.IntN(2) == 0 {
			gap = rng.Int64N(b.LeaveNs) / int64(1+rng.IntN(3)) * int64(rng.IntN(2))
		} else {
			gap = b.MergeNs + 1 + rng.Int64N(3*b.MergeNs)
		}
		if d := delay(); d < gap {
			settle(t + d)
		}
		t += gap
		switch k := rng.IntN(13); {
		case k < 3 && len(up) > 0:
			p := pick(up)
			w.crash(p, t)
			remove(p)
		case k < 5 && len(up) > 0:
			p := pick(up)
			w.leave(p, t)
			remove(p)
		case k < 8 && len(up) < n:
			var down []uint32
			for _, p := range nodes {
				if !slices.Contains(up, p) {
					down = append(down, p)
				}
			}
			p := pick(down)
			w.restart(p, t)
			up = append(up, p)
		case k < 9 && len(up) > 0: // a restart with no stop recorded
			w.restart(pick(up), t)
		case k < 11:
			parts := 1 + rng.IntN(3)
			groups := make([][]uint32, parts)
			groupOf = map[uint32]int{}
			for _, p := range nodes {
				if g := rng.IntN(parts + 1); g < parts { // parts: isolated
					groups[g] = append(groups[g], p)
					groupOf[p] = g
				}
			}
			w.r.Partition(t, groups)
		case k < 12:
			w.r.Cut(t, pick(nodes), pick(nodes))
		default:
			groupOf = nil
			w.r.Heal(t)
		}
	}
	settle(t + delay())
	return w, t + 4*b.MergeNs
}

func TestRandomFaults(t *testing.T) {
	b := testBounds
	var total Stats
	for seed := range uint64(400) {
		rng := rand.New(rand.NewPCG(seed, 2))
		// Every change within the shortest bound: nothing may be reported.
		w, end := genFaults(rng, b, func() int64 { return 1 + rng.Int64N(b.LeaveNs) })
		vs, st := CheckStats(w.r.Logs(), Options{Faults: w.r.Faults(), Bounds: &b, EndNs: end})
		if vs != nil {
			t.Errorf("seed %d: a model that always converges in time reported %d violations", seed, len(vs))
			dump(t, vs[:min(len(vs), 5)])
		}
		for _, p := range [...][2]*Tally{{&total.Crash, &st.Crash}, {&total.Leave, &st.Leave}, {&total.Merge, &st.Merge}} {
			p[0].Checked += p[1].Checked
			p[0].Skipped += p[1].Skipped
		}
	}
	// The runs must exercise every property, both ways.
	for name, tl := range map[string]Tally{"L2": total.Crash, "L3": total.Leave, "L4": total.Merge} {
		if tl.Checked < 50 || tl.Skipped < 50 {
			t.Errorf("%s: %+v instances over all seeds", name, tl)
		}
	}
	t.Logf("instances: %+v", total)
}

// TestRandomFaultsLate: the same model always converging past every bound
// breaks L2, L3 and L4, and nothing else.
func TestRandomFaultsLate(t *testing.T) {
	b := testBounds
	seen := map[string]int{}
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 3))
		w, end := genFaults(rng, b, func() int64 { return b.MergeNs + 1 + rng.Int64N(b.MergeNs) })
		vs := Check(w.r.Logs(), Options{Faults: w.r.Faults(), Bounds: &b, EndNs: end})
		for _, v := range vs {
			seen[v.Invariant]++
			switch v.Invariant {
			case "L2", "L3", "L4", "MORE":
			default:
				t.Errorf("seed %d: %v", seed, v)
			}
		}
	}
	for _, inv := range []string{"L2", "L3", "L4"} {
		if seen[inv] == 0 {
			t.Errorf("late convergence never reported as %s", inv)
		}
	}
	t.Logf("reported: %v", seen)
}
