// Package nsbench measures a cluster daemon on the namespace topology of
// bench/cluster: ordered-delivery throughput, latency, failover after
// kill -9 and throughput under loss, for gorosync and for Debian's
// corosync 3.1.7 with the same corosync.conf, in the same run.
//
// gorosync's traffic comes from the daemon's test hook (until cpg exists);
// corosync's from bench/cpgbench, a C client on libcpg. Both send from node
// 1 and report node 1's own agreed deliveries, so the figures compare the
// daemons, not the clients, only as far as the two paths are alike: the
// hook submits inside the daemon, cpgbench crosses libqb IPC. Tables say so.
package nsbench

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/gorosync/gorosync/bench/cluster"
)

// Daemon is the implementation under test.
type Daemon int

const (
	Gorosync Daemon = iota
	Corosync
)

func (d Daemon) String() string {
	if d == Corosync {
		return "corosync 3.1.7"
	}
	return "gorosync"
}

// Env says where the programs are and where the runs write.
type Env struct {
	Gorosync string    // the gorosync binary
	Corosync string    // the corosync binary (/usr/sbin/corosync)
	CPGBench string    // bench/cpgbench's client, built
	Dir      string    // scratch directory, one subdirectory per cluster
	Progress io.Writer // one line per step; nil for none
	runs     int
}

func (e *Env) progress(format string, args ...any) {
	if e.Progress != nil {
		fmt.Fprintf(e.Progress, "nsbench: "+format+"\n", args...)
	}
}

// topo is one cluster run's settings.
type topo struct {
	daemon     Daemon
	nodes      int
	tokenMs    int
	coeffZero  bool     // token_coefficient: 0
	hook       []string // gorosync test hook flags for node 1
	windowSize int      // totem window_size (0: default)
}

// conf is the corosync.conf both daemons read: udpu, no crypto, one link.
func (t topo) conf(n *cluster.Node) string {
	var b strings.Builder
	fmt.Fprintf(&b, "totem {\n version: 2\n cluster_name: nsbench\n transport: udpu\n crypto_cipher: none\n crypto_hash: none\n token: %d\n", t.tokenMs)
	if t.coeffZero {
		b.WriteString(" token_coefficient: 0\n")
	}
	if t.tokenMs < 150 {
		// token_retransmit = token / (const + 0.2) must stay ≥ 30 ms, as
		// corosync checks: with the default const (4) a token under 126 ms
		// is refused.
		b.WriteString(" token_retransmits_before_loss_const: 1\n")
	}
	if t.windowSize > 0 {
		fmt.Fprintf(&b, " window_size: %d\n", t.windowSize)
	}
	b.WriteString("}\nnodelist {\n")
	for i := 1; i <= t.nodes; i++ {
		fmt.Fprintf(&b, " node {\n  nodeid: %d\n  name: n%d\n  ring0_addr: %s\n }\n", i, i, cluster.Addr(0, i))
	}
	b.WriteString("}\nquorum {\n provider: corosync_votequorum\n}\n")
	fmt.Fprintf(&b, "logging {\n to_stderr: no\n to_syslog: no\n to_logfile: yes\n logfile: %s\n timestamp: hires\n}\n", n.LogPath)
	fmt.Fprintf(&b, "system {\n state_dir: %s\n move_to_root_cgroup: no\n}\n", filepath.Join(n.Dir, "lib"))
	return b.String()
}

// start starts t's cluster and waits until node 1 logged a ring of every
// node.
func (e *Env) start(ctx context.Context, t topo) (*cluster.Cluster, error) {
	e.runs++
	opts := cluster.Options{
		Nodes: t.nodes, Links: 1, Dir: filepath.Join(e.Dir, fmt.Sprintf("run%03d", e.runs)),
		Config:  t.conf,
		BindRun: t.daemon == Corosync,
		Command: func(n *cluster.Node) []string {
			if t.daemon == Corosync {
				return []string{e.Corosync, "-f", "-c", n.ConfPath}
			}
			argv := []string{e.Gorosync, "-f", "-c", n.ConfPath}
			if n.Index == 1 {
				argv = append(argv, t.hook...)
			}
			return argv
		},
	}
	c, err := cluster.Start(ctx, opts)
	if err != nil {
		return nil, err
	}
	for _, n := range c.Nodes() {
		if _, err := waitMembers(ctx, n, t.nodes, 0, 30*time.Second); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// waitMembers waits for a "Members[k]: ..." line listing k members after
// position after (both daemons log it, corosync under QUORUM, gorosync
// under MAIN) and returns its timestamp and the position after it.
func waitMembers(ctx context.Context, n *cluster.Node, k int, after int64, timeout time.Duration) (membership, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	re := regexp.MustCompile(fmt.Sprintf(`\] Members\[%d\]: [\d ]+$`, k))
	line, pos, err := n.WaitOutput(ctx, re, after)
	if err != nil {
		return membership{}, fmt.Errorf("%s: no ring of %d members within %v: %w\n%s", n.Name, k, timeout, err, n.Tail(2000))
	}
	at, err := logTime(line)
	return membership{at: at, pos: pos}, err
}

type membership struct {
	at  time.Time
	pos int64
}

// logTime reads the hires timestamp both daemons start lines with.
func logTime(line string) (time.Time, error) {
	if len(line) < 19 {
		return time.Time{}, fmt.Errorf("log line without a timestamp: %q", line)
	}
	ts, err := time.ParseInLocation("Jan 02 15:04:05.000", line[:19], time.Local)
	if err != nil {
		return time.Time{}, err
	}
	return ts.AddDate(time.Now().Year(), 0, 0), nil
}
