// Command gorosync-bench is the bench suite: it measures gorosync and
// Debian's corosync 3.1.7 side by side with the same C clients on
// corosync's libraries, on a network-namespace cluster it builds and tears
// down itself, and writes the results (JSON), the plots (SVG) and the
// tables of BENCHMARKS.md. It needs root (namespaces, nftables); corosync
// is left out when it is not installed.
//
//	gorosync-bench [flags]                       measure, print the tables
//	gorosync-bench -out DIR -md BENCHMARKS.md    and write results, plots and the file
//	gorosync-bench -from DIR/results.json -md F  tables and plots again, no measuring
//
// Progress goes to stderr, one line per measurement.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "gorosync-bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "gorosync-bench:", err)
		os.Exit(1)
	}
}
