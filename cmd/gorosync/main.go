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
		demoSend   = fs.Int("demo-send", 0, "test hook until cpg exists: once in a ring of every node, submit this many 1 KiB messages and report the delivery rate")
	)
	if err := fs.Parse(args); err != nil {
		return 8 // corosync's COROSYNC_EXIT_CODE: invalid option
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
		fmt.Println("Configuration is valid.")
		return 0
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := d.run(ctx, *demoSend); err != nil && !errors.Is(err, context.Canceled) {
		slog.Error("stopped", "err", err)
		return 1
	}
	return 0
}
