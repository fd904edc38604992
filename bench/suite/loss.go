package suite

import (
	"context"
	"fmt"
)

// loss measures node 1's throughput with random loss on every node's
// output (nftables), on a fresh 3-node cluster. The lossless figure to
// compare with is the throughput scenario's.
func (e *Env) loss(ctx context.Context, r *Results, d Daemon, rep int) {
	o := r.Options
	name := fmt.Sprintf("%s with %d%% loss (rep %d)", sizeName(o.LossSize), o.LossPercent, rep)
	l, err := e.start(ctx, topology{daemon: d, nodes: 3, label: fmt.Sprintf("loss-r%d", rep)})
	if err != nil {
		e.fail(r, d, name, err)
		e.skip(1, d, name)
		return
	}
	defer l.close()
	for _, n := range l.Nodes() {
		if err := l.Loss(n.Index, o.LossPercent); err != nil {
			e.fail(r, d, name, err)
			e.skip(1, d, name)
			return
		}
	}
	res, err := l.cpg(ctx, l.Node(1), seconds(o.LossSeconds), throughputArgs(o, o.LossSize, o.LossSeconds)...)
	if err != nil {
		e.fail(r, d, name, err)
		e.Progress.step("%s %s: failed", d.Label(), name)
		return
	}
	r.Loss = append(r.Loss, LossRun{Daemon: d, Size: o.LossSize, Percent: o.LossPercent, Rep: rep, MsgsPerS: res.MsgsPerS, Lost: res.Lost})
	e.Progress.step("%s %s: %.0f msgs/s", d.Label(), name, res.MsgsPerS)
}
