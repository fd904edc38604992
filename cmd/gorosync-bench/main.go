// Command gorosync-bench measures gorosync and Debian's corosync 3.1.7 side
// by side on the namespace topology (bench/cluster): ordered-delivery
// throughput, throughput under loss, latency and failover after kill -9,
// and writes the tables BENCHMARKS.md carries. It needs root (network
// namespaces, nftables); corosync is left out when it is not installed.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/gorosync/gorosync/bench/cluster"
	"github.com/gorosync/gorosync/bench/cpgbench"
	"github.com/gorosync/gorosync/bench/nsbench"
)

func main() {
	var (
		gorosync = flag.String("gorosync", "bin/gorosync", "the gorosync daemon binary")
		corosync = flag.String("corosync", "/usr/sbin/corosync", "corosync's binary (\"\" leaves it out)")
		seconds  = flag.Float64("seconds", 5, "seconds per throughput point")
		repeat   = flag.Int("repeat", 3, "runs per point (median and range reported)")
		trials   = flag.Int("trials", 3, "kills per failover token")
		out      = flag.String("out", "", "write the markdown tables here as well as to stdout")
	)
	flag.Parse()
	if err := cluster.Available(); err != nil {
		fmt.Fprintln(os.Stderr, "gorosync-bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, *gorosync, *corosync, *seconds, *repeat, *trials, *out))
}

func run(ctx context.Context, gorosync, corosync string, seconds float64, repeat, trials int, out string) int {
	dir, err := os.MkdirTemp("", "gorosync-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if gorosync, err = filepath.Abs(gorosync); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	env := &nsbench.Env{Gorosync: gorosync, Dir: dir, Progress: os.Stderr}
	plan := nsbench.Plan{
		Daemons: []nsbench.Daemon{nsbench.Gorosync}, Sizes: []int{64, 1024, 65536}, Seconds: seconds, Repeat: repeat,
		LossSize: 1024, LossPct: 10, LatSize: 64, LatCount: 3000, LatRate: 1000, Trials: trials,
		// corosync refuses token 50 with token_coefficient 0; 150 is its
		// lowest that stays up here (notes/COROSYNC_REFERENCE.md).
		Tokens:    map[nsbench.Daemon][]int{nsbench.Gorosync: {3000, 300, 50}, nsbench.Corosync: {3000, 300, 150}},
		StartedAt: time.Now(), MachineTxt: machine(),
	}
	if _, err := os.Stat(corosync); corosync != "" && err == nil {
		if env.CPGBench, err = cpgbench.Build(dir); err != nil {
			fmt.Fprintln(os.Stderr, "gorosync-bench: corosync left out:", err)
		} else {
			env.Corosync = corosync
			plan.Daemons = append(plan.Daemons, nsbench.Corosync)
		}
	} else if corosync != "" {
		fmt.Fprintf(os.Stderr, "gorosync-bench: %s not found: corosync left out\n", corosync)
	}
	res, err := env.Run(ctx, plan)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gorosync-bench:", err)
		return 1
	}
	var b strings.Builder
	res.Markdown(&b, plan)
	fmt.Print(b.String())
	if out != "" {
		if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return 0
}

// machine describes where the run happened.
func machine() string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	var u syscall.Utsname
	kernel := ""
	if syscall.Uname(&u) == nil {
		for _, c := range u.Release {
			if c == 0 {
				break
			}
			kernel += string(rune(c))
		}
	}
	return fmt.Sprintf("%d × %s, Linux %s, %s", runtime.NumCPU(), model, kernel, runtime.Version())
}
