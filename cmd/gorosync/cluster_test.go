package main

// Integration tests: real gorosync daemons in network namespaces on
// bridges (bench/cluster), with nftables loss and partitions, links taken
// down and kill -9. They need root; without it they skip saying so (CI
// runs as root).

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorosync/gorosync/bench/cluster"
)

// clusterSpec is what a test varies in the cluster it starts.
type clusterSpec struct {
	nodes, links int
	tokenMs      int
	totemExtra   string         // more totem{} lines
	dataplane    string         // dataplane{} lines
	keys         map[int]string // node → authkey file contents; crypto on when set
	hook         string         // test hook flags for every daemon
	transport    string         // totem.transport (default knet)
	quorum       string         // quorum{} lines (none: no quorum section)
	// mounts are further bind mounts per node (Pacemaker's state).
	mounts func(n *cluster.Node) []cluster.Mount
}

var (
	buildOnce   sync.Once
	daemonPath  string
	buildErr    error
	membersLine = regexp.MustCompile(`\[MAIN  \] Members\[(\d+)\]: ([\d ]*)$`)
)

// daemonBinary builds gorosync once per test binary.
func daemonBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gorosync-bin")
		if err != nil {
			buildErr = err
			return
		}
		daemonPath = filepath.Join(dir, "gorosync")
		out, err := exec.Command("go", "build", "-o", daemonPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v: %s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return daemonPath
}

// startCluster starts spec's cluster, or skips when namespaces cannot be
// made here. Close runs at cleanup, also on failure.
func startCluster(t *testing.T, spec clusterSpec) *cluster.Cluster {
	t.Helper()
	if err := cluster.Available(); err != nil {
		t.Skipf("needs root, ip and nft for network namespaces: %v", err)
	}
	if spec.links == 0 {
		spec.links = 1
	}
	bin := daemonBinary(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := cluster.Start(ctx, cluster.Options{
		Nodes: spec.nodes, Links: spec.links, Dir: dir,
		BindRun: true, // a private /run per node, as corosync needs and IPC will
		Mounts:  spec.mounts,
		Config:  func(n *cluster.Node) string { return spec.conf(t, n) },
		Command: func(n *cluster.Node) []string {
			argv := []string{bin, "-f", "-c", n.ConfPath}
			if spec.hook != "" {
				argv = append(argv, strings.Fields(spec.hook)...)
				argv = append(argv, "-delivery-log", filepath.Join(n.Dir, "delivered.txt"))
			}
			return argv
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			for _, n := range c.Nodes() {
				t.Logf("--- %s\n%s", n.Name, n.Tail(3000))
			}
		}
		if err := c.Close(); err != nil {
			t.Errorf("cluster cleanup: %v", err)
		}
	})
	return c
}

func (s clusterSpec) conf(t *testing.T, n *cluster.Node) string {
	var b strings.Builder
	transport := s.transport
	if transport == "" {
		transport = "knet"
	}
	fmt.Fprintf(&b, "totem {\n version: 2\n cluster_name: gstest\n transport: %s\n token: %d\n", transport, s.tokenMs)
	if key, ok := s.keys[n.Index]; ok {
		path := filepath.Join(n.Dir, "authkey")
		if err := os.WriteFile(path, []byte(key), 0o400); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, " crypto_cipher: aes256\n crypto_hash: sha256\n keyfile: %s\n", path)
	}
	b.WriteString(s.totemExtra)
	b.WriteString("}\nnodelist {\n")
	for i := 1; i <= s.nodes; i++ {
		fmt.Fprintf(&b, " node {\n  nodeid: %d\n  name: n%d\n", i, i)
		for l := range s.links {
			fmt.Fprintf(&b, "  ring%d_addr: 198.18.%d.%d\n", l, l, i)
		}
		b.WriteString(" }\n")
	}
	fmt.Fprintf(&b, "}\nlogging {\n to_stderr: no\n to_syslog: no\n to_logfile: yes\n logfile: %s\n timestamp: hires\n}\n", n.LogPath)
	fmt.Fprintf(&b, "system {\n state_dir: %s\n}\n", filepath.Join(n.Dir, "lib"))
	if s.dataplane != "" {
		fmt.Fprintf(&b, "dataplane {\n%s}\n", s.dataplane)
	}
	if s.quorum != "" {
		fmt.Fprintf(&b, "quorum {\n%s}\n", s.quorum)
	}
	return b.String()
}

// membership is one "Members[N]: ..." line of a node's log.
type membership struct {
	at      time.Time
	members string
	offset  int64
}

// waitMembers waits for node n to log a membership equal to members
// ("1 2 3") after byte offset; it returns when it was logged.
func waitMembers(t *testing.T, n *cluster.Node, members string, after int64, timeout time.Duration) membership {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	re := regexp.MustCompile(`\[MAIN  \] Members\[\d+\]: ` + regexp.QuoteMeta(members) + `$`)
	line, off, err := n.WaitOutput(ctx, re, after)
	if err != nil {
		t.Fatalf("%s: no membership [%s] within %v: %v", n.Name, members, timeout, err)
	}
	return membership{at: logTime(t, line), members: members, offset: off}
}

// memberships lists every membership node n logged after position after
// (a WaitOutput position) and before position before (0: to the end).
func memberships(t *testing.T, n *cluster.Node, after, before int64) []string {
	t.Helper()
	f, err := os.Open(n.LogPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, logOffset := cluster.SplitPos(after)
	if _, err := f.Seek(logOffset, 0); err != nil {
		t.Fatal(err)
	}
	_, end := cluster.SplitPos(before)
	var out []string
	sc := bufio.NewScanner(f)
	for read := logOffset; sc.Scan(); {
		read += int64(len(sc.Bytes()) + 1)
		if before != 0 && read > end {
			break
		}
		if m := membersLine.FindStringSubmatch(sc.Text()); m != nil {
			out = append(out, m[2])
		}
	}
	return out
}

// logTime reads corosync's hires timestamp ("Nov 22 12:58:22.706") at the
// start of a log line, in this year and the local zone.
func logTime(t *testing.T, line string) time.Time {
	t.Helper()
	if len(line) < 19 {
		t.Fatalf("log line without a timestamp: %q", line)
	}
	ts, err := time.ParseInLocation("Jan 02 15:04:05.000", line[:19], time.Local)
	if err != nil {
		t.Fatalf("log line %q: %v", line, err)
	}
	now := time.Now()
	return ts.AddDate(now.Year(), 0, 0)
}

// deliveries reads a node's delivery log: "sender seq" per message.
func deliveries(t *testing.T, n *cluster.Node) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(n.Dir, "delivered.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(strings.ReplaceAll(string(b), " ", ":"))
}

// checkSameOrder asserts every node delivered the same messages in the
// same order, and that each sender's messages are 0..want-1 in order.
func checkSameOrder(t *testing.T, c *cluster.Cluster, senders []int, want int) {
	t.Helper()
	ref := deliveries(t, c.Node(1))
	for _, n := range c.Nodes()[1:] {
		got := deliveries(t, n)
		if len(got) != len(ref) {
			t.Fatalf("%s delivered %d messages, n1 %d", n.Name, len(got), len(ref))
		}
		for i := range ref {
			if got[i] != ref[i] {
				t.Fatalf("%s differs from n1 at delivery %d: %s vs %s", n.Name, i, got[i], ref[i])
			}
		}
	}
	next := map[string]int{}
	for i, d := range ref {
		sender, seq, _ := strings.Cut(d, ":")
		s, err := strconv.Atoi(seq)
		if err != nil || s != next[sender] {
			t.Fatalf("delivery %d is %s: sender %s's next should be %d", i, d, sender, next[sender])
		}
		next[sender]++
	}
	for _, s := range senders {
		if got := next[strconv.Itoa(s)]; got != want {
			t.Errorf("sender %d: %d messages delivered, want %d", s, got, want)
		}
	}
}

// stopAll stops every running daemon with SIGTERM (flushing delivery logs)
// and returns each node's output position before the stop (index 1..N):
// stopping one by one changes memberships on purpose.
func stopAll(t *testing.T, c *cluster.Cluster) []int64 {
	t.Helper()
	before := make([]int64, len(c.Nodes())+1)
	for _, n := range c.Nodes() {
		before[n.Index] = n.OutputSize()
	}
	for _, n := range c.Nodes() {
		if n.Running() {
			if err := n.Stop(10 * time.Second); err != nil {
				t.Errorf("%s: stop: %v", n.Name, err)
			}
		}
	}
	return before
}
