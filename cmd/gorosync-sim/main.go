// Command gorosync-sim runs the deterministic cluster simulator: one seed in
// detail (the demo), or many seeds as a soak, each checked by the EVS oracle.
// A failing seed prints the command line that replays it exactly.
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/gorosync/gorosync/dataplane/sim"
	"github.com/gorosync/gorosync/dataplane/totem"
)

func main() {
	var (
		seed     = flag.Uint64("seed", 1, "seed of the first (or only) run")
		seeds    = flag.Int("seeds", 1, "number of consecutive seeds to run")
		nodes    = flag.Int("nodes", 0, "nodes per run (0: 2..9, varied by seed)")
		loss     = flag.Float64("loss", -1, "maximum per-link loss, 0..1 (-1: varied by seed, up to 0.2)")
		messages = flag.Int("messages", -1, "application messages per run (-1: the scenario's)")
		maxSize  = flag.Int("max-size", -1, "largest message in bytes (-1: the scenario's)")
		safe     = flag.Float64("safe", -1, "share of messages sent with the SAFE guarantee (-1: the scenario's)")
		demo     = flag.Bool("demo", false, "one verbose run: configuration changes, deliveries per node, rates")
		faults   = flag.Int("faults", -1, "membership runs with this many random faults each (-1: stable ring, no membership; 0..: varied up to it by seed)")
		trace    = flag.Bool("trace", false, "print configuration changes and faults of every run")
		measure  = flag.Bool("measure", false, "measure failover and merge times and lossy throughput in virtual time (BENCHMARKS.md)")
	)
	flag.Parse()
	if *measure {
		os.Exit(runMeasure())
	}
	if *demo {
		os.Exit(runDemo(*seed, *nodes, *loss, *messages, *maxSize, *safe))
	}
	run, scenario := sim.Run, sim.StableScenario
	if *faults >= 0 {
		run = sim.RunFaults
		scenario = func(s uint64) sim.Options { return sim.FaultScenario(s, *faults) }
	}
	replay := func(s uint64) string {
		line := fmt.Sprintf("make sim SEED=%d SEEDS=1 FAULTS=%d", s, *faults)
		if *nodes > 0 {
			line += fmt.Sprintf(" NODES=%d", *nodes)
		}
		return line
	}
	os.Exit(runSeeds(*seed, *seeds, run, replay, func(s uint64) sim.Options {
		o := scenario(s)
		override(&o, *nodes, *loss, *messages, *maxSize, *safe)
		if *trace {
			o.Trace = func(format string, args ...any) { fmt.Printf("  seed %d "+format+"\n", append([]any{s}, args...)...) }
		}
		return o
	}))
}

// override applies the flags that were given (nodes 0, loss < 0 and the
// others at -1 keep the scenario's own values).
func override(o *sim.Options, nodes int, loss float64, messages, maxSize int, safe float64) {
	if nodes > 0 {
		o.Nodes = nodes
		if o.Membership || o.Faults > 0 {
			o.Timers = sim.SimTimers(nodes)
		}
	}
	if loss >= 0 {
		o.MaxLoss = loss
	}
	if messages > 0 {
		o.Messages = messages
	}
	if maxSize > 0 {
		o.MaxMessageBytes = maxSize
	}
	if safe >= 0 {
		o.SafeFraction = safe
	}
}

func runDemo(seed uint64, nodes int, loss float64, messages, maxSize int, safe float64) int {
	opt := sim.StableScenario(seed)
	opt.Nodes, opt.MaxLoss, opt.SendGapNs = 3, 0.05, -1
	opt.WindowSize, opt.MaxMessages, opt.SortQueueSize = 0, 0, 0
	override(&opt, nodes, loss, messages, maxSize, safe)
	opt.Timers = sim.SimTimers(opt.Nodes)
	opt.Trace = func(format string, args ...any) { fmt.Printf("  "+format+"\n", args...) }
	fmt.Printf("gorosync simulator: %d nodes start apart and form a ring (membership protocol), seed %d,\n"+
		"up to %.0f%% loss per link, then send %d messages back to back (≤ %d B, %.0f%% safe)\n",
		opt.Nodes, seed, 100*opt.MaxLoss, opt.Messages, opt.MaxMessageBytes, 100*opt.SafeFraction)
	fmt.Println("configuration changes:")
	start := time.Now()
	res := sim.RunFormed(opt)
	wall := time.Since(start)
	fmt.Println("deliveries:")
	for i, d := range res.Delivered {
		st := res.Stats[i]
		fmt.Printf("  node %d delivered %d messages (tokens rx %d, mcast tx %d rx %d retransmitted %d)\n",
			i+1, d, st.TokensRx, st.McastTx, st.McastRx, st.McastRetx)
	}
	virtual := float64(res.TrafficNs) / 1e9
	fmt.Printf("ring formed after %.1f ms (virtual)\n", float64(res.VirtualNs-res.TrafficNs)/1e6)
	fmt.Printf("rate: %d messages ordered and delivered on all %d nodes in %.1f ms virtual (%.0f msgs/s on the simulated network), whole run %.3f s wall (%.0f msgs/s of simulation)\n",
		res.Sent, opt.Nodes, virtual*1e3, float64(res.Sent)/virtual, wall.Seconds(), float64(res.Sent)/wall.Seconds())
	if !res.OK() {
		fmt.Println("FAIL", res.String())
		return 1
	}
	fmt.Println("oracle: the EVS invariants (E1–E15), safe delivery and self-delivery (L1) hold")
	return 0
}

// runSeeds runs count seeds from first on every core, prints each failure
// with the line that replays it, and the tally.
func runSeeds(first uint64, count int, run func(sim.Options) sim.Result, replay func(uint64) string, opts func(uint64) sim.Options) int {
	start := time.Now()
	work := make(chan uint64)
	var mu sync.Mutex
	passed, failed := 0, 0
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for s := range work {
				res := run(opts(s))
				res.Replay = replay(s)
				mu.Lock()
				if res.OK() {
					passed++
				} else {
					failed++
					fmt.Println("FAIL", res.String())
				}
				mu.Unlock()
			}
		})
	}
	for i := range count {
		work <- first + uint64(i)
	}
	close(work)
	wg.Wait()
	secs := time.Since(start).Seconds()
	fmt.Printf("seeds %d..%d in %.1fs (%.0f seeds/s)\n", first, first+uint64(count)-1, secs, float64(count)/secs)
	fmt.Printf("%d passed, %d failed\n", passed, failed)
	if failed > 0 {
		return 1
	}
	return 0
}

// runMeasure prints the membership timings and lossy throughput that
// BENCHMARKS.md records, in virtual time.
func runMeasure() int {
	fmt.Println("| token | coefficient | nodes | crash → new ring installed | partition heal → one ring (4 nodes) |")
	fmt.Println("|---|---|---|---|---|")
	for _, coef := range []int64{650, 0} {
		for _, tokenMs := range []int64{3000, 300, 50} {
			p := totem.DefaultTimerParams(3)
			p.TokenMs, p.TokenCoefficientMs = tokenMs, coef
			if tm := totem.TimersFor(p); tm.TokenRetransmitNs < 30e6 || tm.HoldNs < 14e6 {
				fmt.Printf("| %d ms | %d ms | 3 | rejected, as by corosync: token_retransmit %d ms < 30 ms or hold %d ms < 14 ms | |\n",
					tokenMs, coef, tm.TokenRetransmitNs/1e6, tm.HoldNs/1e6)
				continue
			}
			crash, err := sim.MeasureCrash(3, totem.TimersFor(p), 21)
			if err != nil {
				fmt.Println(err)
				return 1
			}
			p.Nodes = 4
			merge, err := sim.MeasureMerge(4, totem.TimersFor(p), 21)
			if err != nil {
				fmt.Println(err)
				return 1
			}
			fmt.Printf("| %d ms | %d ms | 3 | %s | %s |\n", tokenMs, coef, crash, merge)
		}
	}
	fmt.Println()
	fmt.Println("| token (token_retransmit) | loss per link | fixed retransmit (corosync): 1 KiB msgs/s | adaptive (gorosync): 1 KiB msgs/s | adaptive / lossless |")
	fmt.Println("|---|---|---|---|---|")
	for _, tokenMs := range []int64{3000, 300} {
		p := totem.DefaultTimerParams(3)
		p.TokenMs = tokenMs
		tm := totem.TimersFor(p)
		var lossless float64
		for _, loss := range []float64{0, 0.01, 0.05, 0.10} {
			fixed, _, err := sim.MeasureThroughput(loss, tm, true, 1024, 20000)
			if err != nil {
				fmt.Println(err)
				return 1
			}
			adaptive, _, err := sim.MeasureThroughput(loss, tm, false, 1024, 20000)
			if err != nil {
				fmt.Println(err)
				return 1
			}
			if loss == 0 {
				lossless = adaptive
			}
			fmt.Printf("| %d ms (%d ms) | %.0f%% | %.0f | %.0f | %.0f%% |\n", tokenMs, tm.TokenRetransmitNs/1e6, 100*loss, fixed, adaptive, 100*adaptive/lossless)
		}
	}
	return 0
}
