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
)

func main() {
	var (
		seed     = flag.Uint64("seed", 1, "seed of the first (or only) run")
		seeds    = flag.Int("seeds", 1, "number of consecutive seeds to run")
		nodes    = flag.Int("nodes", 0, "nodes per run (0: 2..9, varied by seed)")
		loss     = flag.Float64("loss", -1, "maximum per-link loss, 0..1 (-1: varied by seed, up to 0.2)")
		messages = flag.Int("messages", 120, "application messages per run")
		maxSize  = flag.Int("max-size", 16<<10, "largest message in bytes")
		safe     = flag.Float64("safe", 0.25, "share of messages sent with the SAFE guarantee")
		demo     = flag.Bool("demo", false, "one verbose run: configuration changes, deliveries per node, rates")
		faults   = flag.Int("faults", -1, "membership runs with this many random faults each (-1: stable ring, no membership; 0..: varied up to it by seed)")
		trace    = flag.Bool("trace", false, "print configuration changes and faults of every run")
	)
	flag.Parse()
	if *demo {
		os.Exit(runDemo(*seed, *nodes, *loss, *messages, *maxSize, *safe))
	}
	run := sim.Run
	if *faults >= 0 {
		run = sim.RunFaults
		if *maxSize > 1024 {
			*maxSize = 1024 // see README: fragments spanning a configuration change
		}
	}
	os.Exit(runSeeds(*seed, *seeds, run, func(s uint64) sim.Options {
		o := options(s, *nodes, *loss, *messages, *maxSize, *safe)
		if *faults >= 0 {
			o.Faults = int(s / 32 % uint64(*faults+1))
			o.MaxSkew = 0.05
			o.Timers = sim.SimTimers(o.Nodes)
			o.MaxLoss = min(o.MaxLoss, 0.1)
		}
		if *trace {
			o.Trace = func(format string, args ...any) { fmt.Printf("  seed %d "+format+"\n", append([]any{s}, args...)...) }
		}
		return o
	}))
}

func options(seed uint64, nodes int, loss float64, messages, maxSize int, safe float64) sim.Options {
	if nodes == 0 {
		nodes = 2 + int(seed%8)
	}
	if loss < 0 {
		loss = []float64{0, 0.05, 0.1, 0.2}[seed/8%4]
	}
	return sim.Options{Seed: seed, Nodes: nodes, MaxLoss: loss, Messages: messages, MaxMessageBytes: maxSize, SafeFraction: safe}
}

func runSeeds(first uint64, count int, run func(sim.Options) sim.Result, opts func(uint64) sim.Options) int {
	start := time.Now()
	work := make(chan uint64)
	var mu sync.Mutex
	passed, failed := 0, 0
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for s := range work {
				res := run(opts(s))
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

func runDemo(seed uint64, nodes int, loss float64, messages, maxSize int, safe float64) int {
	if nodes == 0 {
		nodes = 3
	}
	if loss < 0 {
		loss = 0.05
	}
	opt := options(seed, nodes, loss, messages, maxSize, safe)
	opt.Trace = func(format string, args ...any) { fmt.Printf("  "+format+"\n", args...) }
	fmt.Printf("gorosync simulator: %d nodes on one ring, seed %d, up to %.0f%% loss per link, %d messages (≤ %d B, %.0f%% safe)\n",
		opt.Nodes, seed, 100*loss, messages, maxSize, 100*safe)
	fmt.Println("configuration changes:")
	start := time.Now()
	res := sim.Run(opt)
	wall := time.Since(start)
	fmt.Println("deliveries:")
	for i, d := range res.Delivered {
		st := res.Stats[i]
		fmt.Printf("  node %d delivered %d messages (tokens rx %d, mcast tx %d rx %d retransmitted %d)\n",
			i+1, d, st.TokensRx, st.McastTx, st.McastRx, st.McastRetx)
	}
	virtual := float64(res.VirtualNs) / 1e9
	fmt.Printf("rate: %d messages ordered and delivered on all %d nodes in %.3f s virtual (%.0f msgs/s), %.3f s wall (%.0f msgs/s)\n",
		res.Sent, opt.Nodes, virtual, float64(res.Sent)/virtual, wall.Seconds(), float64(res.Sent)/wall.Seconds())
	if !res.OK() {
		fmt.Println("FAIL", res.String())
		return 1
	}
	fmt.Println("oracle: every EVS invariant of a stable ring, safe delivery, L1 and L5 hold")
	return 0
}
