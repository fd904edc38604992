package suite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gorosync/gorosync/bench/cpgbench"
	"github.com/gorosync/gorosync/bench/measure"
)

// latency measures send → own agreed delivery from node 1 of a fresh
// 3-node cluster, paced and then ping-pong.
func (e *Env) latency(ctx context.Context, r *Results, d Daemon, rep int) {
	o := r.Options
	what := fmt.Sprintf("latency (rep %d)", rep)
	l, err := e.start(ctx, topology{daemon: d, nodes: 3, label: fmt.Sprintf("latency-r%d", rep)})
	if err != nil {
		e.fail(r, d, what, err)
		e.skip(2, d, what)
		return
	}
	defer l.close()
	for _, m := range []LatencyMode{Paced, PingPong} {
		run, err := l.latencyRun(ctx, m, o)
		run.Rep = rep
		name := fmt.Sprintf("latency %s %s", m, sizeName(o.LatSize))
		if err != nil {
			e.fail(r, d, name, err)
			e.Progress.step("%s %s: failed", d.Label(), name)
			continue
		}
		r.Latency = append(r.Latency, run)
		e.Progress.step("%s %s: p50 %.0f µs, p99 %.0f µs, p99.9 %.0f µs, max %.0f µs", d.Label(), name,
			run.Latency.P50Us, run.Latency.P99Us, run.Latency.P999Us, run.Latency.MaxUs)
		_ = sleep(ctx, settle)
	}
}

// tokenRxKey counts the tokens a node received (both daemons keep it).
const tokenRxKey = "stats.srp.orf_token_rx"

func (l *live) latencyRun(ctx context.Context, m LatencyMode, o Options) (LatencyRun, error) {
	run := LatencyRun{Daemon: l.topo.daemon, Nodes: l.topo.nodes, Mode: m, Size: o.LatSize}
	n := l.Node(1)
	file := filepath.Join(n.Dir, fmt.Sprintf("latency-%s.txt", m))
	args := []string{"-s", fmt.Sprint(o.LatSize), "-o", file}
	nominal := time.Duration(o.PingCount) * time.Millisecond // 1 ms a round, generously
	if m == Paced {
		run.Rate = o.LatRate
		args = append(args, "-m", "latency", "-n", fmt.Sprint(o.LatCount), "-r", fmt.Sprint(o.LatRate))
		nominal = time.Duration(o.LatCount) * time.Second / time.Duration(o.LatRate)
	} else {
		args = append(args, "-m", "pingpong", "-n", fmt.Sprint(o.PingCount))
	}
	before, tokErr := l.cmapValues(ctx, n, "stats", tokenRxKey)
	res, err := l.cpg(ctx, n, nominal, args...)
	if err != nil {
		return run, err
	}
	if after, err := l.cmapValues(ctx, n, "stats", tokenRxKey); err == nil && tokErr == nil && after[tokenRxKey] >= before[tokenRxKey] {
		run.TokenVisits = after[tokenRxKey] - before[tokenRxKey]
	}
	run.Messages, run.Seconds = res.Sent, res.Seconds
	run.Lost = res.Lost
	f, err := os.Open(file)
	if err != nil {
		return run, err
	}
	defer f.Close()
	samples, err := cpgbench.ReadSamples(f)
	if err != nil {
		return run, err
	}
	h, err := measure.Histogram(samples)
	if err != nil {
		return run, err
	}
	run.Latency = measure.LatencyOf(h)
	return run, nil
}
