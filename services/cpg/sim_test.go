package cpg_test

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gorosync/gorosync/dataplane/sim"
	"github.com/gorosync/gorosync/services"
	"github.com/gorosync/gorosync/services/cpg"
	"github.com/gorosync/gorosync/services/cserror"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expected output of the sim scenario files")

// simWorld runs a world on the simulated totem ring: the cpg engines ride
// the real SRP with the run's faults. Scenario commands (besides the
// simulator's own):
//
//	cpg-join LABEL NODE GROUP [initial]  a new process on NODE joins GROUP
//	cpg-rejoin LABEL GROUP               the process joins again
//	cpg-send LABEL [COUNT [SIZE]]        it multicasts COUNT messages
//	cpg-sync-send LABEL [COUNT]          run until the process's node is
//	                                     synchronising, then multicast
//	cpg-leave LABEL | cpg-exit LABEL | cpg-finalize LABEL
//	cpg-events                           the callbacks since the last cpg-events
//	cpg-view                             each up node's process table
//	cpg-check                            the CPG oracle over the run so far
type simWorld struct {
	*world
	labels map[string]*wproc
	lines  []string
}

func newSimWorld() *simWorld {
	w := &simWorld{world: newWorld(), labels: map[string]*wproc{}}
	w.trace = func(s string) { w.lines = append(w.lines, s) }
	return w
}

func (w *simWorld) script() *sim.Script {
	return &sim.Script{
		Services: func(id uint32) []services.Engine { return w.engines(id, cpg.Config{}) },
		Commands: map[string]func(*sim.Cluster, []string) (string, error){
			"cpg-join":      w.cmdJoin,
			"cpg-rejoin":    w.cmdRejoin,
			"cpg-send":      w.cmdSend,
			"cpg-sync-send": w.cmdSyncSend,
			"cpg-leave":     w.cmdLeave,
			"cpg-exit":      w.cmdExit,
			"cpg-finalize":  w.cmdExit,
			"cpg-events":    w.cmdEvents,
			"cpg-view":      w.cmdView,
			"cpg-check":     w.cmdCheck,
		},
	}
}

// noticeCrashes marks nodes that are down now as crashed.
func (w *simWorld) noticeCrashes(c *sim.Cluster) {
	for id, n := range w.nodes {
		if !n.dead && c.Host(id) == nil {
			w.crash(id)
		}
	}
}

func (w *simWorld) label(c *sim.Cluster, name string) (*wproc, error) {
	w.noticeCrashes(c)
	p := w.labels[name]
	if p == nil {
		return nil, fmt.Errorf("no process %q", name)
	}
	if p.dead {
		return nil, fmt.Errorf("process %q is gone", name)
	}
	return p, nil
}

func (w *simWorld) cmdJoin(c *sim.Cluster, args []string) (string, error) {
	if len(args) < 3 {
		return "", fmt.Errorf("cpg-join LABEL NODE GROUP [initial]")
	}
	w.noticeCrashes(c)
	id, err := strconv.Atoi(args[1])
	if err != nil || c.Host(uint32(id)) == nil {
		return "", fmt.Errorf("node %q is not up", args[1])
	}
	p := w.proc(uint32(id))
	w.labels[args[0]] = p
	flags := uint32(0)
	if len(args) > 3 && args[3] == "initial" {
		flags = cpg.FlagInitialTotemConf
	}
	return fmt.Sprintf("%s=%v join %s: %s", args[0], p.addr(), args[2], status(p.join(args[2], flags))), nil
}

func (w *simWorld) cmdRejoin(c *sim.Cluster, args []string) (string, error) {
	if len(args) != 2 {
		return "", fmt.Errorf("cpg-rejoin LABEL GROUP")
	}
	p, err := w.label(c, args[0])
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s join %s: %s", args[0], args[1], status(p.join(args[1], 0))), nil
}

func (w *simWorld) cmdSend(c *sim.Cluster, args []string) (string, error) {
	if len(args) < 1 {
		return "", fmt.Errorf("cpg-send LABEL [COUNT [SIZE]]")
	}
	p, err := w.label(c, args[0])
	if err != nil {
		return "", err
	}
	count, size := 1, 64
	if len(args) > 1 {
		count, _ = strconv.Atoi(args[1])
	}
	if len(args) > 2 {
		size, _ = strconv.Atoi(args[2])
	}
	var ids []string
	for range count {
		ids = append(ids, fmt.Sprint(p.send(size)))
	}
	return fmt.Sprintf("%s sent #%s", args[0], strings.Join(ids, ",")), nil
}

func (w *simWorld) cmdSyncSend(c *sim.Cluster, args []string) (string, error) {
	if len(args) < 1 {
		return "", fmt.Errorf("cpg-sync-send LABEL [COUNT]")
	}
	p, err := w.label(c, args[0])
	if err != nil {
		return "", err
	}
	for waited := 0; !p.n.host.Syncing(); waited++ {
		if waited == 10_000 || c.Host(p.n.id) == nil {
			return args[0] + " never saw a sync", nil
		}
		c.Idle(1_000_000)
	}
	out, err := w.cmdSend(c, args)
	return out + " during sync", err
}

func (w *simWorld) cmdLeave(c *sim.Cluster, args []string) (string, error) {
	p, err := w.label(c, strings.Join(args, ""))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s leave: %s", args[0], status(p.leave())), nil
}

// status is a call's result as the scenarios write it: the constant's
// name, CS_OK included.
func status(e cpg.Error) string {
	if e == cserror.OK {
		return "CS_OK"
	}
	return e.String()
}

func (w *simWorld) cmdExit(c *sim.Cluster, args []string) (string, error) {
	p, err := w.label(c, strings.Join(args, ""))
	if err != nil {
		return "", err
	}
	p.exit(false)
	return args[0] + " exited", nil
}

func (w *simWorld) cmdEvents(c *sim.Cluster, _ []string) (string, error) {
	w.noticeCrashes(c)
	out := strings.Join(w.lines, "\n")
	w.lines = nil
	if out == "" {
		out = "no events"
	}
	return out, nil
}

func (w *simWorld) cmdView(c *sim.Cluster, _ []string) (string, error) {
	w.noticeCrashes(c)
	var lines []string
	var ids []uint32
	for id := range w.nodes {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		h := c.Host(id)
		if h == nil {
			lines = append(lines, fmt.Sprintf("n%d down", id))
			continue
		}
		state := "synced"
		if h.Syncing() {
			state = "syncing"
		}
		groups := map[string][]string{}
		var names []string
		for _, e := range w.nodes[id].eng.Snapshot() {
			if _, ok := groups[e.Group]; !ok {
				names = append(names, e.Group)
			}
			groups[e.Group] = append(groups[e.Group], fmt.Sprintf("%d/%d", e.NodeID, e.PID))
		}
		slices.Sort(names)
		line := fmt.Sprintf("n%d %s ring %d.%x", id, state, h.Ring().Rep, h.Ring().Seq)
		for _, g := range names {
			line += fmt.Sprintf(" %s%v", g, groups[g])
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n"), nil
}

func (w *simWorld) cmdCheck(c *sim.Cluster, _ []string) (string, error) {
	w.noticeCrashes(c)
	v := w.log.Check()
	if len(v) == 0 {
		return fmt.Sprintf("cpg oracle: ok (%d events)", w.log.Events()), nil
	}
	return "cpg oracle:\n" + strings.Join(v, "\n"), nil
}

// TestSimScenarios runs the scenario files of testdata/sim on the
// simulator (go test -run TestSimScenarios -args -rewrite regenerates
// their expected output; read the diff before committing it).
func TestSimScenarios(t *testing.T) {
	sim.RunScriptFiles(t, "testdata/sim/*.txt", func(*testing.T, string) *sim.Script { return newSimWorld().script() }, *rewrite)
}

// TestSimRandom drives random cpg traffic, joins, leaves and exits with
// crashes, restarts, partitions and loss on the simulated ring, and runs
// the oracle. Seeded: go test -run TestSimRandom/seed=N replays one.
func TestSimRandom(t *testing.T) {
	seeds := 24
	if testing.Short() {
		seeds = 4
	}
	total := map[string]int{}
	for seed := range uint64(seeds) {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			w := runSimRandom(t, seed)
			for k, v := range w.counts {
				total[k] += v
			}
		})
	}
	t.Logf("covered: %v", total)
	for _, k := range []string{"send during sync", "join", "procdown", "nodedown", "nodeup"} {
		if total[k] == 0 && !t.Failed() {
			t.Errorf("no %q in %d seeds: the scenarios do not exercise it", k, seeds)
		}
	}
}

func runSimRandom(t *testing.T, seed uint64) *simWorld {
	r := rand.New(rand.NewPCG(seed, 0x73696d))
	w := newSimWorld()
	s := w.script()
	n := 3 + r.IntN(3)
	do := func(cmd string) string {
		out, err := s.Do(cmd)
		if err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
		return out
	}
	do(fmt.Sprintf("add-nodes %d seed=%d loss=0.02", n, seed+1))
	do("stabilize")
	groups := []string{"a", "b"}
	var procs []string
	for step := 0; step < 120; step++ {
		switch k := r.IntN(100); {
		case k < 15 || len(procs) == 0:
			label := fmt.Sprintf("p%d", step)
			node := 1 + r.IntN(n)
			if out, err := s.Do(fmt.Sprintf("cpg-join %s %d %s", label, node, groups[r.IntN(2)])); err == nil {
				_ = out
				procs = append(procs, label)
			}
		case k < 50:
			s.Do(fmt.Sprintf("cpg-send %s %d %d", procs[r.IntN(len(procs))], 1+r.IntN(5), 8+r.IntN(400)))
		case k < 55:
			s.Do(fmt.Sprintf("cpg-sync-send %s %d", procs[r.IntN(len(procs))], 1+r.IntN(3)))
		case k < 60:
			s.Do("cpg-leave " + procs[r.IntN(len(procs))])
		case k < 64:
			s.Do("cpg-exit " + procs[r.IntN(len(procs))])
		case k < 68:
			do(fmt.Sprintf("crash %d", 1+r.IntN(n)))
		case k < 72:
			do(fmt.Sprintf("restart %d", 1+r.IntN(n)))
		case k < 76:
			cut := 1 + r.IntN(n-1)
			ids := r.Perm(n)
			var a, b []string
			for i, id := range ids {
				if i < cut {
					a = append(a, fmt.Sprint(id+1))
				} else {
					b = append(b, fmt.Sprint(id+1))
				}
			}
			do("partition " + strings.Join(a, ",") + "|" + strings.Join(b, ","))
		case k < 80:
			do("heal")
		default:
			do(fmt.Sprintf("tick %dms", 1+r.IntN(300)))
		}
	}
	do("heal")
	do("stabilize")
	do("tick 3s")
	out := do("cpg-check")
	if !strings.HasPrefix(out, "cpg oracle: ok") {
		t.Errorf("seed %d:\n%s", seed, out)
	}
	t.Logf("%d nodes: %s", n, out)
	return w
}
