package suite

import (
	"context"
	"fmt"
	"time"

	"github.com/gorosync/gorosync/bench/cluster"
)

// settle is the pause between points, for the ring to go idle.
const settle = 300 * time.Millisecond

// throughput measures every size and sender set on one fresh cluster of
// nodes nodes.
func (e *Env) throughput(ctx context.Context, r *Results, d Daemon, nodes, rep int) {
	o := r.Options
	what := fmt.Sprintf("%d nodes throughput (rep %d)", nodes, rep)
	points := len(o.Sizes) * len(o.Senders)
	l, err := e.start(ctx, topology{daemon: d, nodes: nodes, label: fmt.Sprintf("throughput-r%d", rep)})
	if err != nil {
		e.fail(r, d, what, err)
		e.skip(points, d, what)
		return
	}
	defer l.close()
	for _, snd := range o.Senders {
		for _, size := range o.Sizes {
			if ctx.Err() != nil {
				return
			}
			p, err := l.throughputPoint(ctx, o, snd, size)
			p.Rep = rep
			name := fmt.Sprintf("%d nodes, %s, %s", nodes, snd, sizeName(size))
			if err != nil {
				e.fail(r, d, name, err)
				e.Progress.step("%s %s: failed", d.Label(), name)
				continue
			}
			r.Throughput = append(r.Throughput, p)
			e.Progress.step("%s %s: %.0f msgs/s, %.1f MB/s, %.2f µs CPU/msg, gc %d, new rings %d", d.Label(), name, p.MsgsPerS, p.MBPerS(), p.CPUUsPerMsg, p.GCCycles, p.RingChanges)
			_ = sleep(ctx, settle)
		}
	}
}

// throughputPoint runs one timed throughput measurement on a live cluster.
func (l *live) throughputPoint(ctx context.Context, o Options, snd Senders, size int) (ThroughputPoint, error) {
	p := ThroughputPoint{Daemon: l.topo.daemon, Nodes: l.topo.nodes, Senders: snd, Size: size, GCCycles: -1, AllocBytes: -1}
	senders := []*cluster.Node{l.Node(1)}
	if snd == AllSenders {
		senders = l.Nodes()
	}
	rt0, err := l.runtimeStats(ctx)
	if err != nil {
		return p, err
	}
	pos := l.Node(1).OutputSize()
	cpu0, err := l.cpu()
	if err != nil {
		return p, err
	}
	res, err := l.cpgAll(ctx, senders, seconds(o.Seconds), throughputArgs(o, size, o.Seconds)...)
	if err != nil {
		return p, err
	}
	cpu1, err := l.cpu()
	if err != nil {
		return p, err
	}
	mem, err := l.memory()
	if err != nil {
		return p, err
	}
	rt1, err := l.runtimeStats(ctx)
	if err != nil {
		return p, err
	}
	var clientCPU float64
	for i, x := range res {
		clientCPU += x.CPUSeconds
		p.MsgsPerS += x.MsgsPerS
		if i == 0 || x.MsgsPerS < p.MinSenderMsgsPerS {
			p.MinSenderMsgsPerS = x.MsgsPerS
		}
		p.Messages += x.Delivered
		p.Lost += x.Lost
		p.Misordered += x.Misordered
		p.Corrupt += x.Corrupt
	}
	if snd == OneSender {
		p.MinSenderMsgsPerS = 0
	}
	if p.Messages > 0 {
		p.CPUUsPerMsg = float64((cpu1 - cpu0).Microseconds()) / float64(p.Messages)
		p.ClientCPUUsPerMsg = clientCPU * 1e6 / float64(p.Messages)
	}
	p.RSSKiB, p.PeakKiB = mem.RSSKiB, mem.PeakKiB
	p.GCCycles, p.AllocBytes = runtimeDelta(rt0, rt1)
	p.RingChanges = ringsSince(l.Node(1), pos)
	return p, nil
}
