//go:build linux

package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const probeTimeout = 800 * time.Millisecond

func need(t *testing.T) string {
	t.Helper()
	if err := Available(); err != nil {
		t.Skipf("namespace tests need root, ip and nft (make deps installs them as root; CI runs as root): %v", err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

func echoOptions(t *testing.T, exe string, nodes, links int) Options {
	return Options{
		Nodes: nodes,
		Links: links,
		Dir:   t.TempDir(),
		Config: func(n *Node) string {
			return fmt.Sprintf("name=%s\nlog=%s\n", n.Name, n.LogPath)
		},
		Command: func(n *Node) []string { return []string{exe, echoMode, n.ConfPath} },
		Env:     []string{"CLUSTER_TEST_TAG=tag42"},
	}
}

// path is one probe: from node, to node, on link.
type path struct{ from, to, link int }

// probe pings every other node on every link from every node, all at once,
// and returns the reply per path ("" when none came).
func probe(t *testing.T, c *Cluster) map[path]string {
	t.Helper()
	got := map[path]string{}
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		errs []error
	)
	exe, _ := os.Executable()
	for _, from := range c.Nodes() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			args := []string{exe, pingMode, probeTimeout.String()}
			idx := map[string]path{}
			for _, to := range c.Nodes() {
				if to == from {
					continue
				}
				for l, a := range to.Addrs {
					args = append(args, a.String())
					idx[a.String()] = path{from.Index, to.Index, l}
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			out, err := from.Exec(ctx, args...)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				f := strings.SplitN(line, " ", 3)
				if len(f) < 2 {
					errs = append(errs, fmt.Errorf("ping output %q", line))
					continue
				}
				p, ok := idx[f[1]]
				if !ok {
					errs = append(errs, fmt.Errorf("ping output %q", line))
					continue
				}
				got[p] = ""
				if f[0] == "ok" && len(f) == 3 {
					got[p] = f[2]
				}
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return got
}

// expect probes and checks every path against want; a reply must come from
// the right node with the environment's tag.
func expect(t *testing.T, c *Cluster, what string, want func(p path) bool) map[path]string {
	t.Helper()
	got := probe(t, c)
	bad := 0
	for _, from := range c.Nodes() {
		for _, to := range c.Nodes() {
			if from == to {
				continue
			}
			for l := 0; l < c.Links(); l++ {
				p := path{from.Index, to.Index, l}
				reply, seen := got[p]
				if !seen {
					t.Errorf("%s: %v not probed", what, p)
					bad++
					continue
				}
				if w := want(p); w != (reply != "") {
					t.Errorf("%s: n%d -> n%d link %d: reachable %v, want %v", what, p.from, p.to, l, reply != "", w)
					bad++
				}
				if reply != "" && !strings.HasPrefix(reply, to.Name+" ") || reply != "" && !strings.Contains(reply, " tag42 ") {
					t.Errorf("%s: n%d -> n%d link %d: reply %q", what, p.from, p.to, l, reply)
				}
			}
		}
	}
	if bad > 0 {
		for i := 1; i <= len(c.Nodes()); i++ {
			rules, _ := c.Rules(i)
			t.Logf("n%d rules:\n%s", i, rules)
		}
	}
	return got
}

func all(path) bool { return true }

func involves(n int) func(p path) bool {
	return func(p path) bool { return p.from != n && p.to != n }
}

func netnsWithPrefix(t *testing.T, prefix string) []string {
	t.Helper()
	out, err := exec.Command("ip", "netns", "list").CombinedOutput()
	if err != nil {
		t.Fatalf("ip netns list: %v: %s", err, out)
	}
	var found []string
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], prefix) {
			found = append(found, f[0])
		}
	}
	return found
}

func waitListening(t *testing.T, n *Node, after int64) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, off, err := n.WaitOutput(ctx, regexp.MustCompile(`^echo: `+n.Name+` listening pid=`+strconv.Itoa(n.PID())+`$`), after)
	if err != nil {
		t.Fatalf("%v\n%s", err, n.Tail(2000))
	}
	return off
}

func TestCluster(t *testing.T) {
	exe := need(t)
	t0 := time.Now()
	ctx := context.Background()
	c, err := Start(ctx, echoOptions(t, exe, 3, 2))
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	defer func() {
		if !closed {
			if err := c.Close(); err != nil {
				t.Error(err)
			}
		}
	}()
	t.Logf("Start (3 nodes x 2 links): %v, prefix %s", time.Since(t0), c.Prefix())

	prefix := c.Prefix()
	if len(c.Hub()) > 15 || len(c.Node(3).NS) > 15 {
		t.Errorf("namespace names too long: %s %s", c.Hub(), c.Node(3).NS)
	}
	if got := netnsWithPrefix(t, prefix); len(got) != 4 {
		t.Errorf("namespaces %v, want 4", got)
	}
	for _, n := range c.Nodes() {
		if !n.Running() || n.PID() == 0 {
			t.Fatalf("%s not running", n.Name)
		}
		waitListening(t, n, 0)
		// The log file is the second file WaitOutput watches.
		wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		line, off, err := n.WaitOutput(wctx, regexp.MustCompile(`^log: `+n.Name+` started`), 0)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if o, l := SplitPos(off); o != 0 || l != int64(len(line)+1) {
			t.Errorf("%s: log match position out=%d log=%d, want 0/%d", n.Name, o, l, len(line)+1)
		}
		if want := fmt.Sprintf("198.18.1.%d", n.Index); n.Addr(1).String() != want {
			t.Errorf("%s link 1 address %s, want %s", n.Name, n.Addr(1), want)
		}
	}
	t.Logf("listening: %v", time.Since(t0))

	t.Run("reach", func(t *testing.T) {
		expect(t, c, "initial", all)
	})

	t.Run("loss", func(t *testing.T) {
		if err := c.Loss(1, 100); err != nil {
			t.Fatal(err)
		}
		expect(t, c, "Loss(1,100)", involves(1))
		if err := c.Loss(1, 0); err != nil {
			t.Fatal(err)
		}
		if rules, _ := c.Rules(1); strings.Contains(rules, prefix) {
			t.Errorf("table left after Loss(1,0):\n%s", rules)
		}
		expect(t, c, "Loss(1,0)", all)
	})

	t.Run("lossTo", func(t *testing.T) {
		if err := c.LossTo(1, 2, 100); err != nil {
			t.Fatal(err)
		}
		n1, n2 := c.Node(1), c.Node(2)
		off1, off2 := n1.OutputSize(), n2.OutputSize()
		expect(t, c, "LossTo(1,2,100)", func(p path) bool {
			return !(p.from == 1 && p.to == 2 || p.from == 2 && p.to == 1)
		})
		// Asymmetric: n2's requests reach n1 (only the replies die) ...
		wctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		if _, _, err := n1.WaitOutput(wctx, regexp.MustCompile(`^recv from 198\.18\.0\.2 `), off1); err != nil {
			t.Errorf("n1 saw nothing from n2: %v", err)
		}
		// ... while n1's never reach n2.
		wctx2, cancel2 := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel2()
		if line, _, err := n2.WaitOutput(wctx2, regexp.MustCompile(`^recv from 198\.18\.[01]\.1 `), off2); err == nil {
			t.Errorf("n2 received from n1 despite LossTo: %q", line)
		}
		if err := c.LossTo(1, 2, 0); err != nil {
			t.Fatal(err)
		}
		expect(t, c, "LossTo(1,2,0)", all)
	})

	t.Run("partition", func(t *testing.T) {
		if err := c.Partition([]int{1}, []int{2, 3}); err != nil {
			t.Fatal(err)
		}
		expect(t, c, "Partition({1},{2,3})", involves(1))
		// Heal also clears loss rules.
		if err := c.Loss(3, 100); err != nil {
			t.Fatal(err)
		}
		if err := c.Heal(); err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 3; i++ {
			if rules, _ := c.Rules(i); strings.Contains(rules, prefix) {
				t.Errorf("n%d: table left after Heal:\n%s", i, rules)
			}
		}
		expect(t, c, "Heal", all)
	})

	t.Run("linkDown", func(t *testing.T) {
		if err := c.LinkDown(1, 0); err != nil {
			t.Fatal(err)
		}
		expect(t, c, "LinkDown(1,0)", func(p path) bool {
			return p.link != 0 || p.from != 1 && p.to != 1
		})
		if err := c.LinkUp(1, 0); err != nil {
			t.Fatal(err)
		}
		expect(t, c, "LinkUp(1,0)", all)
	})

	t.Run("killStart", func(t *testing.T) {
		n := c.Node(2)
		old := n.PID()
		if err := n.Kill(); err != nil {
			t.Fatal(err)
		}
		if n.Running() || n.PID() != 0 {
			t.Fatalf("still running after Kill")
		}
		if err := syscall.Kill(old, 0); !errors.Is(err, syscall.ESRCH) {
			t.Fatalf("old pid %d: kill -0 = %v, want ESRCH (reaped)", old, err)
		}
		if err := n.Wait(ctx); err == nil {
			t.Errorf("Wait after kill -9 returned nil")
		}
		after := n.OutputSize()
		if err := n.Start(); err != nil {
			t.Fatal(err)
		}
		if n.PID() == 0 || n.PID() == old {
			t.Fatalf("PID after restart %d (old %d)", n.PID(), old)
		}
		if err := n.Start(); err == nil {
			t.Errorf("second Start of a running node succeeded")
		}
		waitListening(t, n, after)
		got := expect(t, c, "restart", all)
		if r := got[path{1, 2, 1}]; !strings.HasPrefix(r, "n2 "+strconv.Itoa(n.PID())+" ") {
			t.Errorf("reply from restarted n2 %q, want its new pid %d", r, n.PID())
		}
	})

	t.Run("stop", func(t *testing.T) {
		n := c.Node(3)
		after := n.OutputSize()
		if err := n.Stop(2 * time.Second); err != nil {
			t.Fatal(err)
		}
		if err := n.Wait(ctx); err != nil {
			t.Errorf("exit after SIGTERM: %v", err)
		}
		wctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		if _, _, err := n.WaitOutput(wctx, regexp.MustCompile(`^echo: terminating on SIGTERM$`), after); err != nil {
			t.Error(err)
		}
	})

	var pids []int
	for _, n := range c.Nodes() {
		if pid := n.PID(); pid != 0 {
			pids = append(pids, pid)
		}
	}
	// A client left running inside a namespace is killed by Close.
	stray := c.Node(1).Command(context.Background(), "sleep", "60")
	if err := stray.Start(); err != nil {
		t.Fatal(err)
	}
	strayDone := make(chan error, 1)
	go func() { strayDone <- stray.Wait() }()

	tc := time.Now()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	closed = true
	t.Logf("Close: %v", time.Since(tc))
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if got := netnsWithPrefix(t, prefix); len(got) != 0 {
		t.Errorf("namespaces left: %v", got)
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("pid %d still there after Close (%v)", pid, err)
		}
	}
	select {
	case <-strayDone:
	case <-time.After(5 * time.Second):
		t.Errorf("stray client not killed by Close")
	}
	if out, err := exec.Command("nft", "list", "tables").CombinedOutput(); err != nil || strings.Contains(string(out), prefix) {
		t.Errorf("nft list tables: %v: %s", err, out)
	}
	if err := c.Node(1).Start(); !errors.Is(err, ErrClosed) {
		t.Errorf("Start after Close: %v, want ErrClosed", err)
	}
	if err := c.Loss(1, 10); !errors.Is(err, ErrClosed) {
		t.Errorf("Loss after Close: %v, want ErrClosed", err)
	}
}

// A failing Start leaves nothing behind.
func TestStartFailureCleansUp(t *testing.T) {
	exe := need(t)
	ours := DefaultFamily + encodePid(os.Getpid())
	opts := echoOptions(t, exe, 2, 1)
	opts.Command = func(n *Node) []string {
		if n.Index == 2 {
			return []string{"relative/daemon"}
		}
		return []string{exe, echoMode, n.ConfPath}
	}
	c, err := Start(context.Background(), opts)
	if err == nil {
		c.Close()
		t.Fatal("Start with a relative argv[0] succeeded")
	}
	t.Log(err)
	if got := netnsWithPrefix(t, ours); len(got) != 0 {
		t.Errorf("namespaces left: %v", got)
	}
	if _, err := Build(context.Background(), Options{Nodes: 17, Dir: t.TempDir()}); err == nil {
		t.Error("Build with 17 nodes succeeded")
	}
}

// Sweep removes a dead process's recorded namespaces and keeps a live
// one's, unrecorded ones and names of other forms.
func TestSweep(t *testing.T) {
	need(t)
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	deadPrefix := "gt" + encodePid(dead.Process.Pid) + "0"
	livePrefix := "gt" + encodePid(os.Getpid()) + "0"
	deadNS := []string{deadPrefix + "hub", deadPrefix + "n1"}
	unrecorded := "gt" + encodePid(dead.Process.Pid) + "1hub"
	liveNS := livePrefix + "n3"
	otherNS := "gtzzzzz" // not of our form
	all := append([]string{unrecorded, liveNS, otherNS}, deadNS...)
	for _, ns := range all {
		if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
			t.Fatalf("ip netns add %s: %v: %s", ns, err, out)
		}
	}
	if err := os.MkdirAll(recordDir, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(recordDir+"/"+deadPrefix, []byte(strconv.Itoa(dead.Process.Pid)+"\n"), 0o644)
	os.WriteFile(recordDir+"/"+livePrefix, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
	defer func() {
		for _, ns := range all {
			exec.Command("ip", "netns", "delete", ns).Run()
		}
		removeRecord(deadPrefix)
		removeRecord(livePrefix)
	}()
	Sweep("gt")
	got := " " + strings.Join(netnsWithPrefix(t, "gt"), " ") + " "
	for _, ns := range deadNS {
		if strings.Contains(got, " "+ns+" ") {
			t.Errorf("Sweep kept %s of dead pid %d", ns, dead.Process.Pid)
		}
	}
	if _, err := os.Stat(recordDir + "/" + deadPrefix); err == nil {
		t.Errorf("Sweep kept the record of %s", deadPrefix)
	}
	for _, ns := range []string{unrecorded, liveNS, otherNS} {
		if !strings.Contains(got, " "+ns+" ") {
			t.Errorf("Sweep removed %s", ns)
		}
	}
}

func TestParseNetns(t *testing.T) {
	for _, tc := range []struct {
		name string
		pid  int
		ok   bool
	}{
		{"gs" + encodePid(4194304) + "zhub", 4194304, true},
		{"gs" + encodePid(123) + "0n16", 123, true},
		{"gs" + encodePid(123) + "0n17", 0, false},
		{"gs" + encodePid(123) + "0chk", 123, true},
		{"gs" + encodePid(123) + "0foo", 0, false},
		{"gsx", 0, false},
		{"other", 0, false},
	} {
		pid, ok := parseNetns("gs", tc.name)
		if pid != tc.pid || ok != tc.ok {
			t.Errorf("parseNetns(%q) = %d, %v; want %d, %v", tc.name, pid, ok, tc.pid, tc.ok)
		}
	}
	if got := len("gs" + encodePid(4194304) + "z" + "n16"); got > 15 {
		t.Errorf("longest namespace name %d chars", got)
	}
}

func TestRules(t *testing.T) {
	c := &Cluster{prefix: "gsp", faults: make([]nodeFaults, 3), tables: map[int]bool{}}
	for i := 1; i <= 3; i++ {
		c.nodes = append(c.nodes, &Node{Index: i, Addrs: []netip.Addr{Addr(0, i), Addr(1, i)}})
	}
	if r := c.rules(1); r != "" {
		t.Errorf("no faults: %q", r)
	}
	c.faults[0].loss = 10
	c.faults[0].lossTo = map[int]int{3: 100}
	c.groups = []int{1, 2, 2}
	r := c.rules(1)
	for _, want := range []string{
		"ip daddr { 198.18.0.2, 198.18.1.2, 198.18.0.3, 198.18.1.3 } drop",
		"ip saddr { 198.18.0.2, 198.18.1.2, 198.18.0.3, 198.18.1.3 } drop",
		"ip daddr { 198.18.0.3, 198.18.1.3 } meta l4proto udp drop",
		"meta l4proto udp numgen random mod 100 < 10 drop",
		`oifname "lo" accept`,
	} {
		if !strings.Contains(r, want) {
			t.Errorf("rules lack %q:\n%s", want, r)
		}
	}
	if r := c.rules(2); strings.Contains(r, "198.18.0.3") || !strings.Contains(r, "198.18.0.1") {
		t.Errorf("n2 rules:\n%s", r)
	}
}

// Debian's corosync 3.1.7, when installed: BindRun gives each node its own
// /run (corosync.pid), client tools work through Exec, and Close removes
// the libqb files in /dev/shm named by the daemons' PIDs.
func TestCorosync(t *testing.T) {
	need(t)
	const corosync = "/usr/sbin/corosync"
	if _, err := os.Stat(corosync); err != nil {
		t.Skip("needs Debian's corosync (make deps installs it as root)")
	}
	if testing.Short() {
		t.Skip("runs a real corosync cluster: not with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	opts := Options{
		Nodes:   3,
		Dir:     t.TempDir(),
		BindRun: true,
		Config: func(n *Node) string {
			var b strings.Builder
			fmt.Fprintf(&b, "totem {\n version: 2\n cluster_name: gsbench\n transport: udpu\n crypto_cipher: none\n crypto_hash: none\n token: 300\n token_coefficient: 0\n}\n")
			fmt.Fprintf(&b, "system {\n state_dir: %s/lib\n move_to_root_cgroup: no\n}\n", n.Dir)
			fmt.Fprintf(&b, "logging {\n to_logfile: yes\n logfile: %s\n to_stderr: no\n to_syslog: no\n timestamp: hires\n}\n", n.LogPath)
			b.WriteString("quorum {\n provider: corosync_votequorum\n}\nnodelist {\n")
			for _, m := range n.Cluster().Nodes() {
				fmt.Fprintf(&b, " node {\n  nodeid: %d\n  name: %s\n  ring0_addr: %s\n }\n", m.Index, m.Name, m.Addr(0))
			}
			b.WriteString("}\n")
			return b.String()
		},
		Command: func(n *Node) []string { return []string{corosync, "-f", "-c", n.ConfPath} },
	}
	t0 := time.Now()
	c, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	members := regexp.MustCompile(`Members\[3\]: 1 2 3`)
	for _, n := range c.Nodes() {
		if _, _, err := n.WaitOutput(ctx, members, 0); err != nil {
			t.Fatalf("%v\n%s", err, n.Tail(3000))
		}
		if pid, err := os.ReadFile(n.Dir + "/run/corosync.pid"); err != nil || strings.TrimSpace(string(pid)) != strconv.Itoa(n.PID()) {
			t.Errorf("%s: run/corosync.pid %q (%v), daemon pid %d", n.Name, pid, err, n.PID())
		}
	}
	t.Logf("3 corosync members: %v", time.Since(t0))
	out, err := c.Node(1).Exec(ctx, "corosync-quorumtool", "-s")
	if err != nil || !regexp.MustCompile(`Total votes:\s+3`).Match(out) {
		t.Errorf("corosync-quorumtool -s: %v\n%s", err, out)
	}

	// kill -9 leaves shm behind; the survivors see the member go.
	n3 := c.Node(3)
	pids := []int{c.Node(1).PID(), c.Node(2).PID(), n3.PID()}
	after := c.Node(1).OutputSize()
	if err := n3.Kill(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Node(1).WaitOutput(ctx, regexp.MustCompile(`Members\[2\]: 1 2`), after); err != nil {
		t.Fatal(err)
	}
	if err := n3.Start(); err != nil {
		t.Fatal(err)
	}
	pids = append(pids, n3.PID())
	if _, _, err := c.Node(1).WaitOutput(ctx, members, after); err != nil {
		t.Fatal(err)
	}
	var before []string
	for name := range listShm() {
		for _, pid := range pids {
			if strings.Contains(name, "-"+strconv.Itoa(pid)+"-") {
				before = append(before, name)
			}
		}
	}
	t.Logf("/dev/shm entries of the daemons before Close: %v", before)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	for _, name := range before {
		if _, err := os.Stat("/dev/shm/" + name); err == nil {
			t.Errorf("/dev/shm/%s left after Close", name)
		}
	}
	t.Logf("total: %v", time.Since(t0))
}

// A test binary that dies without Close: its daemons die with it
// (PR_SET_PDEATHSIG) and the next Sweep removes its namespaces.
func TestCrashedRunIsSwept(t *testing.T) {
	exe := need(t)
	out, err := exec.Command(exe, orphanMode, t.TempDir()).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	f := strings.Fields(string(out))
	if len(f) != 3 {
		t.Fatalf("orphan output %q", out)
	}
	prefix := f[0]
	defer func() { // in case the test fails: do what Sweep should have
		for _, ns := range netnsWithPrefix(t, prefix) {
			exec.Command("ip", "netns", "delete", ns).Run()
		}
		removeRecord(prefix)
	}()
	if got := netnsWithPrefix(t, prefix); len(got) != 3 {
		t.Errorf("orphaned namespaces %v, want 3", got)
	}
	for _, s := range f[1:] {
		pid, _ := strconv.Atoi(s)
		deadline := time.Now().Add(3 * time.Second)
		for alive(pid) && !zombie(pid) && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if alive(pid) && !zombie(pid) {
			t.Errorf("daemon %d outlived its test binary", pid)
		}
	}
	Sweep(DefaultFamily)
	if got := netnsWithPrefix(t, prefix); len(got) != 0 {
		t.Errorf("Sweep left %v", got)
	}
	if _, err := os.Stat(recordDir + "/" + prefix); err == nil {
		t.Errorf("Sweep left the record of %s", prefix)
	}
}

func zombie(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true // gone
	}
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] == 'Z'
}
