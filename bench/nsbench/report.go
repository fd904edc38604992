package nsbench

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"
)

// Plan is what one run of the suite measures.
type Plan struct {
	Daemons    []Daemon
	Sizes      []int   // throughput message sizes
	Seconds    float64 // per throughput point
	Repeat     int     // runs per point; the table shows the median and range
	LossSize   int     // message size of the loss comparison
	LossPct    int
	LatSize    int
	LatCount   int
	LatRate    int
	Tokens     map[Daemon][]int // failover token timeouts per daemon
	Trials     int              // kills per token
	StartedAt  time.Time
	MachineTxt string
}

// Results are what Run measured, by daemon.
type Results struct {
	Throughput map[Daemon]map[int][]Rate // by size
	Lossless   map[Daemon][]Rate
	Lossy      map[Daemon][]Rate
	Latency    map[Daemon][]Rate
	Failover   map[Daemon]map[int][]time.Duration // by token ms
}

// Run measures everything in p, daemon after daemon per point, so that
// both see the machine in the same state.
func (e *Env) Run(ctx context.Context, p Plan) (*Results, error) {
	r := &Results{Throughput: map[Daemon]map[int][]Rate{}, Lossless: map[Daemon][]Rate{}, Lossy: map[Daemon][]Rate{},
		Latency: map[Daemon][]Rate{}, Failover: map[Daemon]map[int][]time.Duration{}}
	for _, d := range p.Daemons {
		r.Throughput[d], r.Failover[d] = map[int][]Rate{}, map[int][]time.Duration{}
	}
	for range p.Repeat {
		for _, size := range p.Sizes {
			for _, d := range p.Daemons {
				x, err := e.Throughput(ctx, d, size, 0, p.Seconds)
				if err != nil {
					return r, err
				}
				r.Throughput[d][size] = append(r.Throughput[d][size], x)
			}
		}
		for _, d := range p.Daemons {
			x, err := e.Throughput(ctx, d, p.LossSize, 0, p.Seconds)
			if err != nil {
				return r, err
			}
			r.Lossless[d] = append(r.Lossless[d], x)
			if x, err = e.Throughput(ctx, d, p.LossSize, p.LossPct, 2*p.Seconds); err != nil {
				return r, err
			}
			r.Lossy[d] = append(r.Lossy[d], x)
			if x, err = e.Latency(ctx, d, p.LatSize, p.LatCount, p.LatRate); err != nil {
				return r, err
			}
			r.Latency[d] = append(r.Latency[d], x)
		}
	}
	for _, d := range p.Daemons {
		for _, tok := range p.Tokens[d] {
			x, err := e.Failover(ctx, d, tok, p.Trials)
			if err != nil {
				return r, err
			}
			r.Failover[d][tok] = x
		}
	}
	return r, nil
}

// Markdown writes the results as BENCHMARKS.md tables.
func (r *Results) Markdown(w io.Writer, p Plan) {
	fmt.Fprintf(w, "Measured %s on %s. 3 nodes, one namespace each, on a Linux bridge; transport udpu, no crypto, the same corosync.conf for both daemons. Median of %d (range in brackets).\n\n",
		p.StartedAt.Format("2006-01-02 15:04 MST"), p.MachineTxt, p.Repeat)
	fmt.Fprintf(w, "Ordered-delivery throughput, node 1 sending as fast as flow control allows for %.0f s, its own agreed deliveries per second:\n\n", p.Seconds)
	fmt.Fprintf(w, "| size |")
	for _, d := range p.Daemons {
		fmt.Fprintf(w, " %s msgs/s | MB/s |", d)
	}
	if len(p.Daemons) == 2 {
		fmt.Fprintf(w, " ratio |")
	}
	fmt.Fprintf(w, "\n|---|%s\n", repeatStr("---|---|", len(p.Daemons))+repeatStr("---|", min(1, len(p.Daemons)-1)))
	for _, size := range p.Sizes {
		fmt.Fprintf(w, "| %s |", sizeName(size))
		var meds []float64
		for _, d := range p.Daemons {
			med, lo, hi := stats(rates(r.Throughput[d][size], func(x Rate) float64 { return x.MsgsPerS }))
			meds = append(meds, med)
			fmt.Fprintf(w, " %s (%s–%s) | %.1f |", num(med), num(lo), num(hi), med*float64(size)/1e6)
		}
		ratioCell(w, meds)
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "\nThroughput of %s messages under %d%% random loss on every node's output (nftables), next to lossless, same run:\n\n",
		sizeName(p.LossSize), p.LossPct)
	fmt.Fprintf(w, "| daemon | lossless msgs/s | %d%% loss msgs/s | kept |\n|---|---|---|---|\n", p.LossPct)
	for _, d := range p.Daemons {
		a, _, _ := stats(rates(r.Lossless[d], func(x Rate) float64 { return x.MsgsPerS }))
		b, lo, hi := stats(rates(r.Lossy[d], func(x Rate) float64 { return x.MsgsPerS }))
		fmt.Fprintf(w, "| %s | %s | %s (%s–%s) | %.1f%% |\n", d, num(a), num(b), num(lo), num(hi), 100*b/max(a, 1))
	}
	fmt.Fprintf(w, "\nLatency, %d B messages paced at %d/s from node 1, send → own agreed delivery (%d messages):\n\n", p.LatSize, p.LatRate, p.LatCount)
	fmt.Fprintf(w, "| daemon | p50 µs | p99 µs | max µs |\n|---|---|---|---|\n")
	for _, d := range p.Daemons {
		p50, _, _ := stats(rates(r.Latency[d], func(x Rate) float64 { return x.P50Us }))
		p99, _, _ := stats(rates(r.Latency[d], func(x Rate) float64 { return x.P99Us }))
		mx, _, _ := stats(rates(r.Latency[d], func(x Rate) float64 { return x.MaxUs }))
		fmt.Fprintf(w, "| %s | %.0f | %.0f | %.0f |\n", d, p50, p99, mx)
	}
	fmt.Fprintf(w, "\nkill -9 of node 3 → node 1 logs the ring without it (token_coefficient 0, consensus 1.2 × token; below 150 ms token_retransmits_before_loss_const 1, as corosync's 30 ms retransmit minimum requires; log timestamps in ms; %d kills per token):\n\n", p.Trials)
	fmt.Fprintf(w, "| daemon | token ms | median | range |\n|---|---|---|---|\n")
	for _, d := range p.Daemons {
		for _, tok := range p.Tokens[d] {
			xs := r.Failover[d][tok]
			ms := make([]float64, len(xs))
			for i, x := range xs {
				ms[i] = float64(x) / 1e6
			}
			med, lo, hi := stats(ms)
			fmt.Fprintf(w, "| %s | %d | %.0f ms | %.0f–%.0f ms |\n", d, tok, med, lo, hi)
		}
	}
}

func ratioCell(w io.Writer, meds []float64) {
	if len(meds) == 2 {
		fmt.Fprintf(w, " %.2f× |", meds[0]/max(meds[1], 1e-9))
	}
}

func rates(xs []Rate, f func(Rate) float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

// stats returns the median, min and max (zeros for none).
func stats(xs []float64) (med, lo, hi float64) {
	if len(xs) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2], s[0], s[len(s)-1]
}

func num(x float64) string {
	switch {
	case x >= 1e6:
		return fmt.Sprintf("%.2f M", x/1e6)
	case x >= 1e4:
		return fmt.Sprintf("%.0f k", x/1e3)
	case x >= 1e3:
		return fmt.Sprintf("%.1f k", x/1e3)
	}
	return fmt.Sprintf("%.0f", x)
}

func sizeName(n int) string {
	if n >= 1024 && n%1024 == 0 {
		return fmt.Sprintf("%d KiB", n/1024)
	}
	return fmt.Sprintf("%d B", n)
}

func repeatStr(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}
