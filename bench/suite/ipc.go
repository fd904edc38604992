package suite

import (
	"context"
	"fmt"
	"os/exec"
	"runtime"

	"github.com/gorosync/gorosync/bench/cmapbench"
)

// placement is where the daemon and the client may run: CPU lists for
// taskset, "" for anywhere.
type placement struct{ daemon, client string }

// ipcOps are the IPC measurements, in order. cmap_get is a blocking
// round trip, so its rate is mostly two wake-ups; where the scheduler puts
// the client and the daemon decides whether those are cheap (same CPU) or
// cross-CPU wake-ups, so it is measured unpinned and pinned both ways. One
// CPU leaves out the cross-CPU case.
func ipcOps() []string {
	ops := []string{IPCCmapGet, IPCCmapGetSameCPU}
	if runtime.NumCPU() > 1 {
		ops = append(ops, IPCCmapGetCrossCPU)
	}
	return append(ops, IPCCPGSelf)
}

var placements = map[string]placement{
	IPCCmapGetSameCPU:  {daemon: "0", client: "0"},
	IPCCmapGetCrossCPU: {daemon: "0", client: "1"},
}

// ipc measures client ↔ daemon rates on a one-node cluster, where no
// network is involved: cmap_get round trips and cpg messages to self.
func (e *Env) ipc(ctx context.Context, r *Results, d Daemon, rep int) {
	o := r.Options
	ops := ipcOps()
	what := fmt.Sprintf("ipc (rep %d)", rep)
	l, err := e.start(ctx, topology{daemon: d, nodes: 1, label: fmt.Sprintf("ipc-r%d", rep)})
	if err != nil {
		e.fail(r, d, what, err)
		e.skip(len(ops), d, what)
		return
	}
	defer l.close()
	for _, op := range ops {
		run, err := l.ipcRun(ctx, op, o)
		run.Rep = rep
		if err != nil {
			e.fail(r, d, op, err)
			e.Progress.step("%s %s: failed", d.Label(), op)
			continue
		}
		r.IPC = append(r.IPC, run)
		e.Progress.step("%s %s: %.0f ops/s, %.2f µs CPU/op", d.Label(), op, run.OpsPerS, run.CPUUsPerOp)
		_ = sleep(ctx, settle)
	}
}

func (l *live) ipcRun(ctx context.Context, op string, o Options) (IPCRun, error) {
	run := IPCRun{Daemon: l.topo.daemon, Op: op}
	n := l.Node(1)
	pl := placements[op]
	if pl.daemon != "" {
		if err := l.pin(pl.daemon); err != nil {
			return run, err
		}
		defer l.pin(fmt.Sprintf("0-%d", runtime.NumCPU()-1))
	}
	cpu0, err := l.cpu()
	if err != nil {
		return run, err
	}
	var ops uint64
	switch op {
	case IPCCmapGet, IPCCmapGetSameCPU, IPCCmapGetCrossCPU:
		// A key both daemons hold from corosync.conf.
		argv := []string{l.env.CMAPBench, "-k", "totem.cluster_name", "-t", secondsArg(o.IPCSeconds)}
		if pl.client != "" {
			argv = append([]string{"taskset", "-c", pl.client}, argv...)
		}
		out, err := n.Exec(ctx, argv...)
		if err != nil {
			return run, err
		}
		res, err := cmapbench.Parse(out)
		if err != nil {
			return run, err
		}
		run.OpsPerS, ops = res.OpsPerS, res.Ops
	case IPCCPGSelf:
		res, err := l.cpg(ctx, n, seconds(o.IPCSeconds), throughputArgs(o, 64, o.IPCSeconds)...)
		if err != nil {
			return run, err
		}
		run.OpsPerS, ops = res.MsgsPerS, res.Delivered
	default:
		return run, fmt.Errorf("unknown IPC operation %q", op)
	}
	cpu1, err := l.cpu()
	if err != nil {
		return run, err
	}
	if ops > 0 {
		run.CPUUsPerOp = float64((cpu1 - cpu0).Microseconds()) / float64(ops)
	}
	return run, nil
}

// pin sets the CPU affinity of every thread of node 1's daemon.
func (l *live) pin(cpus string) error {
	out, err := exec.Command("taskset", "-a", "-p", "-c", cpus, fmt.Sprint(l.Node(1).PID())).CombinedOutput()
	if err != nil {
		return fmt.Errorf("taskset -a -p -c %s: %v: %s", cpus, err, out)
	}
	return nil
}
