package suite

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/gorosync/gorosync/bench/cluster"
	"github.com/gorosync/gorosync/bench/cmapbench"
	"github.com/gorosync/gorosync/bench/cpgbench"
)

// group is the cpg group every client joins.
const group = "gsbench"

// clientSlack bounds a client's run beyond its nominal time: connecting,
// joining, draining (the clients' own bounds are 10 s each).
const clientSlack = 60 * time.Second

// cpg runs cpgbench with args on node n and parses its result.
func (l *live) cpg(ctx context.Context, n *cluster.Node, nominal time.Duration, args ...string) (cpgbench.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, nominal+clientSlack)
	defer cancel()
	argv := append([]string{l.env.CPGBench, "-g", group}, args...)
	out, err := n.Exec(ctx, argv...)
	if err != nil {
		return cpgbench.Result{}, fmt.Errorf("cpgbench %s on %s: %w", strings.Join(args, " "), n.Name, err)
	}
	return cpgbench.Parse(out)
}

// cpgAll runs cpgbench with the same args on every node of ns at once.
func (l *live) cpgAll(ctx context.Context, ns []*cluster.Node, nominal time.Duration, args ...string) ([]cpgbench.Result, error) {
	res := make([]cpgbench.Result, len(ns))
	errs := make([]error, len(ns))
	var wg sync.WaitGroup
	for i, n := range ns {
		wg.Go(func() { res[i], errs[i] = l.cpg(ctx, n, nominal, args...) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

// cmapValues gets integer keys of map m ("icmap" or "stats") on node n.
func (l *live) cmapValues(ctx context.Context, n *cluster.Node, m string, keys ...string) (map[string]uint64, error) {
	ctx, cancel := context.WithTimeout(ctx, clientSlack)
	defer cancel()
	argv := []string{l.env.CMAPBench, "-M", m, "-n", "1"}
	for _, k := range keys {
		argv = append(argv, "-k", k)
	}
	out, err := n.Exec(ctx, argv...)
	if err != nil {
		return nil, err
	}
	r, err := cmapbench.Parse(out)
	if err != nil {
		return nil, err
	}
	return r.Values, nil
}

// runtimeStats is what gorosync's stats map says of its Go runtime.
type runtimeStats struct {
	gcCycles, totalAlloc, heapAlloc int64
}

var runtimeKeys = []string{"stats.gorosync.gc_cycles", "stats.gorosync.total_alloc_bytes", "stats.gorosync.heap_alloc_bytes"}

// runtimeStats reads every node's Go runtime counters; nil for corosync.
func (l *live) runtimeStats(ctx context.Context) ([]runtimeStats, error) {
	if l.topo.daemon != Gorosync {
		return nil, nil
	}
	var out []runtimeStats
	for _, n := range l.Nodes() {
		v, err := l.cmapValues(ctx, n, "stats", runtimeKeys...)
		if err != nil {
			return nil, err
		}
		out = append(out, runtimeStats{int64(v[runtimeKeys[0]]), int64(v[runtimeKeys[1]]), int64(v[runtimeKeys[2]])})
	}
	return out, nil
}

// runtimeDelta sums after − before over the nodes; -1s when either is
// missing.
func runtimeDelta(before, after []runtimeStats) (gc, alloc int64) {
	if len(before) == 0 || len(before) != len(after) {
		return -1, -1
	}
	for i := range before {
		gc += after[i].gcCycles - before[i].gcCycles
		alloc += after[i].totalAlloc - before[i].totalAlloc
	}
	return gc, alloc
}

func secondsArg(s float64) string { return fmt.Sprintf("%g", s) }

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// throughputArgs are cpgbench's arguments for a timed throughput run.
func throughputArgs(o Options, size int, secs float64) []string {
	args := []string{"-m", "throughput", "-s", fmt.Sprint(size), "-t", secondsArg(secs)}
	if o.InFlight > 0 {
		args = append(args, "-f", fmt.Sprint(o.InFlight))
	}
	return args
}
