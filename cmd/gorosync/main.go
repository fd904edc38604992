// Command gorosync is the cluster engine daemon: it reads corosync.conf,
// finds itself in the nodelist, opens its UDP link (sealing every frame
// when crypto is configured) and runs the token loop until SIGTERM, when it
// leaves the ring gracefully. Flags follow corosync's: -f (foreground; the
// daemon never forks, so this is the only mode), -c CONFIG, -t (check the
// configuration and exit), -v (version), -n NODEID (name the local node).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"
)

// version is the daemon's version, printed by -v.
const version = "0.1.0 (corosync 3.1.7 compatible totem)"

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("gorosync", flag.ContinueOnError)
	var (
		_          = fs.Bool("f", false, "run in the foreground (always: gorosync never forks)")
		configPath = fs.String("c", "/etc/corosync/corosync.conf", "configuration file")
		testOnly   = fs.Bool("t", false, "test the configuration and exit")
		showVer    = fs.Bool("v", false, "print the version and exit")
		nodeID     = fs.Uint("n", 0, "the local node's id, when the nodelist cannot tell by address")
		hook       trafficOptions
		hookOn     bool
	)
	// The test hook, until cpg exists (the harness and the demo drive it).
	fs.IntVar(&hook.Count, "demo-send", 0, "test hook: once the ring has -demo-members members, submit this many numbered messages")
	fs.IntVar(&hook.Size, "demo-size", 1024, "test hook: bytes per message (at least 16)")
	fs.IntVar(&hook.Rate, "demo-rate", 0, "test hook: messages per second (0: as fast as flow control allows)")
	fs.IntVar(&hook.WaitMembers, "demo-members", 0, "test hook: ring size to wait for before sending (0: every node)")
	fs.DurationVar(&hook.After, "demo-after", 0, "test hook: wait this long after the ring formed before sending")
	ipc := fs.Bool("ipc", true, "serve clients over libqb IPC (cmap, cfg, cpg, quorum, votequorum)")
	fs.StringVar(&ipcPrefix, "ipc-prefix", "", "serve every IPC service under this prefix + its name (\"n1-\" serves \"n1-cpg\"): "+
		"for several daemons in one network namespace (make demo, tests); corosync's own clients and tools only find the unprefixed names")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file (bottleneck hunting)")
	memProfile := fs.String("memprofile", "", "write a heap profile (allocations of the whole run) to this file at exit")
	fs.IntVar(&hook.Expect, "demo-expect", 0, "test hook: print a line once this many messages were delivered")
	fs.StringVar(&hook.DeliveryLog, "delivery-log", "", "test hook: write \"sender seq\" for every delivered message to this file")
	if err := fs.Parse(args); err != nil {
		return 8 // corosync's COROSYNC_EXIT_CODE: invalid option
	}
	if err := checkIPCPrefix(ipcPrefix); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 8
	}
	if *showVer {
		fmt.Printf("gorosync Cluster Engine, version '%s'\n", version)
		return 0
	}
	d, err := newDaemon(*configPath, uint32(*nodeID))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 8
	}
	if *testOnly {
		d.logs.Close()
		fmt.Println("Configuration is valid.")
		return 0
	}
	if *memProfile != "" {
		defer writeHeapProfile(*memProfile)
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 8
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 8
		}
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	fs.Visit(func(f *flag.Flag) { hookOn = hookOn || f.Name == "demo-send" || f.Name == "delivery-log" })
	var hp *trafficOptions
	if hookOn {
		hp = &hook
	}
	if err := d.run(ctx, hp, *ipc); err != nil && !errors.Is(err, context.Canceled) {
		slog.Error("stopped", "err", err)
		return 1
	}
	return 0
}

// writeHeapProfile writes the allocations of the run (for finding what
// allocates on the hot path: go tool pprof -sample_index=alloc_space).
func writeHeapProfile(path string) {
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	defer f.Close()
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
}
