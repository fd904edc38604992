package suite

import (
	"context"
	"fmt"
)

// gc runs gorosync's long throughput runs, one per GC size, each on a
// fresh cluster, and reads every node's GC cycle count, allocated bytes
// and heap before and after it from the stats map.
func (e *Env) gc(ctx context.Context, r *Results) {
	o := r.Options
	for _, size := range o.GCSizes {
		name := fmt.Sprintf("GC during %g s of %s throughput", o.GCSeconds, sizeName(size))
		l, err := e.start(ctx, topology{daemon: Gorosync, nodes: 3, label: fmt.Sprintf("gc-%d", size)})
		if err != nil {
			e.fail(r, Gorosync, name, err)
			e.skip(1, Gorosync, name)
			continue
		}
		run, err := l.gcRun(ctx, o, size)
		l.close()
		if err != nil {
			e.fail(r, Gorosync, name, err)
			e.Progress.step("%s %s: failed", Gorosync.Label(), name)
			continue
		}
		r.GC = append(r.GC, run)
		e.Progress.step("%s %s: %.0f msgs/s, GC cycles per node %v, allocated %v B", Gorosync.Label(), name, run.MsgsPerS, run.GCCycles, run.AllocBytes)
	}
}

func (l *live) gcRun(ctx context.Context, o Options, size int) (GCRun, error) {
	run := GCRun{Daemon: Gorosync, Nodes: l.topo.nodes, Size: size, Seconds: o.GCSeconds}
	before, err := l.runtimeStats(ctx)
	if err != nil {
		return run, err
	}
	res, err := l.cpg(ctx, l.Node(1), seconds(o.GCSeconds), throughputArgs(o, size, o.GCSeconds)...)
	if err != nil {
		return run, err
	}
	after, err := l.runtimeStats(ctx)
	if err != nil {
		return run, err
	}
	run.MsgsPerS, run.Messages = res.MsgsPerS, res.Delivered
	for i := range before {
		run.GCCycles = append(run.GCCycles, after[i].gcCycles-before[i].gcCycles)
		run.AllocBytes = append(run.AllocBytes, after[i].totalAlloc-before[i].totalAlloc)
		run.HeapBytes = append(run.HeapBytes, after[i].heapAlloc)
	}
	return run, nil
}
