package suite

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"syscall"
	"time"

	"github.com/gorosync/gorosync/bench/cluster"
	"github.com/gorosync/gorosync/bench/measure"
)

// Env says where the programs are and where runs write.
type Env struct {
	Gorosync  string // the gorosync daemon binary (go build ./cmd/gorosync)
	Corosync  string // corosync's binary, /usr/sbin/corosync
	CPGBench  string // bench/cpgbench's client, built
	CMAPBench string // bench/cmapbench's client, built

	// Dir is scratch space: one subdirectory per cluster.
	Dir string
	// ProfileDir, when set, receives a CPU profile per daemon process:
	// gorosync's own (-cpuprofile, written at SIGTERM), corosync's from
	// `perf record` on node 1 when perf is installed.
	ProfileDir string
	// Progress receives one line per measurement; nil for none.
	Progress *Progress

	clusters     int
	gorosyncConf string // Options.GorosyncConf of the run
}

// formTimeout bounds the wait for a fresh cluster's first ring.
const formTimeout = 30 * time.Second

// live is a started cluster of one daemon.
type live struct {
	*cluster.Cluster
	topo topology
	env  *Env
	perf []*exec.Cmd // corosync profilers, stopped before Close
}

// start builds t's cluster, starts the daemons and waits until every node
// logged a ring of all nodes.
func (e *Env) start(ctx context.Context, t topology) (*live, error) {
	t.extra = e.gorosyncConf
	e.clusters++
	t.label = fmt.Sprintf("%02d-%s-%dn-%s", e.clusters, t.daemon, t.nodes, t.label)
	dir := filepath.Join(e.Dir, t.label)
	opts := cluster.Options{
		Nodes: t.nodes, Links: 1, Dir: dir, Config: t.conf, BindRun: true,
		Command: func(n *cluster.Node) []string { return e.argv(t, n) },
	}
	c, err := cluster.Start(ctx, opts)
	if err != nil {
		return nil, err
	}
	l := &live{Cluster: c, topo: t, env: e}
	for _, n := range c.Nodes() {
		if err := waitRing(ctx, n, t.nodes, 0, formTimeout); err != nil {
			l.close()
			return nil, err
		}
	}
	if e.ProfileDir != "" && t.daemon == Corosync {
		l.startPerf()
	}
	return l, nil
}

// argv is a node's daemon command line.
func (e *Env) argv(t topology, n *cluster.Node) []string {
	if t.daemon == Corosync {
		return []string{e.Corosync, "-f", "-c", n.ConfPath}
	}
	argv := []string{e.Gorosync, "-f", "-c", n.ConfPath}
	if e.ProfileDir != "" {
		argv = append(argv, "-cpuprofile", filepath.Join(e.ProfileDir, fmt.Sprintf("%s-%s.pprof", t.label, n.Name)))
	}
	return argv
}

// startPerf samples node 1's corosync with perf (call graphs, 499 Hz)
// until close; a missing perf is not an error (no profile then).
func (l *live) startPerf() {
	perf, err := exec.LookPath("perf")
	if err != nil {
		return
	}
	n := l.Node(1)
	out := filepath.Join(l.env.ProfileDir, fmt.Sprintf("%s-%s.perf.data", l.topo.label, n.Name))
	cmd := exec.Command(perf, "record", "-q", "-F", "499", "-g", "-o", out, "-p", fmt.Sprint(n.PID()))
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if cmd.Start() == nil {
		l.perf = append(l.perf, cmd)
	}
}

// close stops the profilers (SIGINT makes perf write its file) and the
// cluster.
func (l *live) close() error {
	for _, p := range l.perf {
		_ = p.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = p.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = p.Process.Kill()
			<-done
		}
	}
	l.perf = nil
	return l.Close()
}

// pids are the running daemons' PIDs.
func (l *live) pids() []int {
	var out []int
	for _, n := range l.Nodes() {
		if p := n.PID(); p != 0 {
			out = append(out, p)
		}
	}
	return out
}

// cpu is the daemons' CPU time together.
func (l *live) cpu() (time.Duration, error) { return measure.SumCPU(l.pids()) }

// memory is the largest VmRSS and VmHWM among the daemons.
func (l *live) memory() (measure.Memory, error) {
	var m measure.Memory
	var errs []error
	for _, p := range l.pids() {
		x, err := measure.ReadMemory(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		m.RSSKiB = max(m.RSSKiB, x.RSSKiB)
		m.PeakKiB = max(m.PeakKiB, x.PeakKiB)
	}
	return m, errors.Join(errs...)
}

// waitRing waits for a "Members[k]: ..." line after position after: both
// daemons log one for every new ring (corosync under QUORUM, gorosync
// under MAIN).
func waitRing(ctx context.Context, n *cluster.Node, k int, after int64, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	re := regexp.MustCompile(fmt.Sprintf(`\] Members\[%d\]: [\d ]+$`, k))
	if _, _, err := n.WaitOutput(ctx, re, after); err != nil {
		return fmt.Errorf("%s: no ring of %d members within %v: %w\n%s", n.Name, k, timeout, err, n.Tail(2000))
	}
	return nil
}

// ringsSince counts the "Members[k]:" lines n logged after position pos
// (one per new ring, in both daemons' logs).
func ringsSince(n *cluster.Node, pos int64) int {
	_, logOff := cluster.SplitPos(pos)
	b, err := os.ReadFile(n.LogPath)
	if err != nil || int64(len(b)) < logOff {
		return 0
	}
	return len(membersLine.FindAll(b[logOff:], -1))
}

var membersLine = regexp.MustCompile(`(?m)\] Members\[\d+\]: [\d ]+$`)

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
