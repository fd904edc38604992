// Command gorosync-demo runs `make demo`: three gorosync daemons on
// 127.0.0.1, 127.0.0.2 and 127.0.0.3 (no root needed), each serving its
// IPC under its own prefix (n1-, n2-, n3-: abstract socket names are
// shared by all processes of a network namespace). Once the ring has
// formed, one Go cpg client per daemon joins group "demo" (the confchgs
// are printed), node 1's quorum, votequorum and cmap services are shown
// as corosync-quorumtool -s shows them, every client multicasts for a few
// seconds (64 B, then 1 KiB, backing off on CS_ERR_TRY_AGAIN), each
// node's delivery rates are printed and the three delivery sequences
// compared; then the daemons get SIGTERM and their exits are printed.
// Every wait is bounded: a stuck or dead daemon ends the demo with an
// error naming it (and its last log lines) and exit status 1.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Bounds of the demo's waits, generous for a loaded 2-core machine.
const (
	ringWait  = 20 * time.Second // three daemons forming one ring
	stepWait  = 5 * time.Second  // a join, the quorum queries
	drainWait = 10 * time.Second // the last deliveries after sending stops
	stopWait  = 8 * time.Second  // a daemon's exit after SIGTERM
)

func main() {
	bin := flag.String("gorosync", "bin/gorosync", "the daemon binary")
	dur := flag.Duration("for", 3*time.Second, "how long the clients multicast (half in 64 B messages, half in 1 KiB)")
	port := flag.Int("port", 25405, "UDP port of link 0")
	prefix := flag.String("ipc-prefix", "", "put before the daemons' IPC prefixes n1-, n2-, n3- (two demos at once, tests)")
	logs := flag.Bool("logs", false, "print the daemons' logs at the end")
	flag.Parse()
	os.Exit(run(*bin, *dur, *port, *prefix, *logs))
}

func run(bin string, dur time.Duration, port int, prefix string, logs bool) int {
	dir, err := os.MkdirTemp("", "gorosync-demo-")
	if err != nil {
		fmt.Println(err)
		return 1
	}
	defer os.RemoveAll(dir)
	fmt.Printf("gorosync demo: three daemons on 127.0.0.1-3, UDP port %d, IPC as %[2]sn1-*, %[2]sn2-*, %[2]sn3-*\n", port, prefix)
	ds, err := startDaemons(bin, dir, port, prefix)
	defer func() { // never leave a daemon behind
		for _, d := range ds {
			d.kill()
		}
	}()
	if err == nil {
		err = demo(ds, dur)
	}
	// Stop them with SIGTERM also after a failure: a killed daemon leaves
	// its clients' /dev/shm files behind.
	if stopErr := stopAll(ds); err == nil {
		err = stopErr
	}
	if logs || err != nil {
		printLogs(ds, logs)
	}
	if err != nil {
		fmt.Println("demo FAILED:", err)
		return 1
	}
	return 0
}

// demo is everything between the start and the stop of the daemons.
func demo(ds []*daemon, dur time.Duration) error {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), ringWait)
	defer cancel()
	if err := waitRing(ctx, ds); err != nil {
		return err
	}
	fmt.Printf("ring: all %d nodes are members and synced after %.1f s\n", nodeCount, time.Since(start).Seconds())

	recvCtx, stopRecv := context.WithCancel(context.Background())
	defer stopRecv()
	ms, err := withTimeout(stepWait, func(ctx context.Context) ([]*member, error) { return joinAll(ctx, ds, recvCtx) })
	defer closeAll(ms, stopRecv)
	if err != nil {
		return err
	}
	if _, err := withTimeout(stepWait, func(ctx context.Context) (any, error) { return nil, printQuorum(ctx, ds) }); err != nil {
		return err
	}

	return traffic(ms, dur)
}

// withTimeout runs f under a context that ends after d.
func withTimeout[T any](d time.Duration, f func(context.Context) (T, error)) (T, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return f(ctx)
}

// closeAll stops the receivers and finalizes the clients.
func closeAll(ms []*member, stopRecv context.CancelFunc) {
	stopRecv()
	for _, m := range ms {
		if err := m.close(stepWait); err != nil {
			fmt.Println(err)
		}
	}
}

// stopAll sends SIGTERM to every daemon at once and prints each exit;
// then it checks that they left nothing in /dev/shm.
func stopAll(ds []*daemon) error {
	fmt.Println("\nstop: SIGTERM to every daemon")
	type result struct {
		took time.Duration
		err  error
	}
	res := make([]chan result, len(ds))
	for i, d := range ds {
		res[i] = make(chan result, 1)
		go func() {
			took, err := d.stop(stopWait)
			res[i] <- result{took, err}
		}()
	}
	var failed error
	for i, d := range ds {
		r := <-res[i]
		if r.err != nil {
			failed = fmt.Errorf("node %d: %w", d.id, r.err)
			fmt.Printf("  node %d: %v\n", d.id, r.err)
			continue
		}
		fmt.Printf("  node %d: left the ring and exited with status 0 after %.2f s\n", d.id, r.took.Seconds())
	}
	if failed != nil {
		return failed
	}
	return checkShm(ds)
}

// checkShm: a daemon that exited cleanly leaves no per-connection
// directory (/dev/shm/qb-<server pid>-*) behind.
func checkShm(ds []*daemon) error {
	for _, d := range ds {
		left, _ := filepath.Glob(fmt.Sprintf("/dev/shm/qb-%d-*", d.cmd.Process.Pid))
		if len(left) > 0 {
			return fmt.Errorf("node %d's daemon left %v behind", d.id, left)
		}
	}
	fmt.Println("  /dev/shm: no IPC files left behind")
	return nil
}

// printLogs prints each daemon's log, or on failure its last lines.
func printLogs(ds []*daemon, all bool) {
	for _, d := range ds {
		if all {
			fmt.Printf("\nnode %d's log:\n%s\n", d.id, d.tail(1<<20))
		} else {
			fmt.Printf("\nnode %d's last log lines:\n%s\n", d.id, d.tail(15))
		}
	}
}
