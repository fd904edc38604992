package main

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorosync/gorosync/bench/cluster"
	"github.com/gorosync/gorosync/services/cfg/cfgclient"
)

const cfgtool = "/usr/sbin/corosync-cfgtool"

// vetoEnv makes the test binary a shutdown tracker that answers no, run
// inside a node's namespace (as pacemakerd vetoes corosync's shutdown).
const vetoEnv = "GOROSYNC_TEST_VETO"

func TestMain(m *testing.M) {
	if os.Getenv(vetoEnv) != "" {
		os.Exit(vetoTracker())
	}
	if os.Getenv(garbageEnv) != "" {
		os.Exit(garbageClient())
	}
	os.Exit(m.Run())
}

// vetoTracker tracks shutdown requests and answers every one with no,
// printing "tracking" once registered and "vetoed" per answer.
func vetoTracker() int {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := cfgclient.Dial(ctx)
	if err != nil {
		println("dial:", err.Error())
		return 1
	}
	defer c.Close()
	if err := c.TrackStart(ctx, 0); err != nil {
		println("trackstart:", err.Error())
		return 1
	}
	os.Stdout.WriteString("tracking\n")
	for ctx.Err() == nil {
		if _, err := c.NextEvent(ctx); err != nil {
			return 0
		}
		if err := c.ReplyToShutdown(ctx, false); err != nil {
			println("reply:", err.Error())
			return 1
		}
		os.Stdout.WriteString("vetoed\n")
	}
	return 0
}

// corosync-cfgtool against a 3-node udpu gorosync cluster: -s prints what
// it prints against corosync, -R reloads every node's file, -H is vetoed
// by a tracker and then goes through, -k kills a node.
func TestClusterCfgtool(t *testing.T) {
	needTool(t, cfgtool)
	spec := clusterSpec{nodes: 3, links: 1, tokenMs: 1000, transport: "udpu"}
	c := startCluster(t, spec)
	for _, n := range c.Nodes() {
		waitMembers(t, n, "1 2 3", 0, formTimeout)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	n1 := c.Node(1)
	tool := func(n *cluster.Node, args ...string) (string, error) {
		out, err := n.Exec(ctx, append([]string{cfgtool}, args...)...)
		return string(out), err
	}
	// -s: the shape of ../shared/data/corosync-3.1.7-udpu/cfgtool-s.txt
	// (corosync's udpu shows the last peer's address as the link's).
	out, err := tool(n1, "-s")
	want := "Local node ID 1, transport udpu\nLINK ID 0 \n\taddr\t= 198.18.0.3\n\tstatus:\n" +
		"\t\tnodeid:          1:\tlocalhost\n\t\tnodeid:          2:\tconnected\n\t\tnodeid:          3:\tconnected\n"
	if err != nil || out != want {
		t.Fatalf("corosync-cfgtool -s: %v\n%q\nwant\n%q", err, out, want)
	}
	ours := toolBinary(t, "gorosync-cfgtool")
	for _, args := range [][]string{{"-s"}, {"-n"}, {"-a", "2"}} {
		sameOutput(t, n1, cfgtool, ours, args...)
	}
	t.Run("reload", func(t *testing.T) { cfgtoolReload(t, c, spec, tool) })
	t.Run("shutdown-veto", func(t *testing.T) { cfgtoolShutdown(t, c, tool) })
	t.Run("killnode", func(t *testing.T) { cfgtoolKill(t, c, tool) })
}

func cfgtoolReload(t *testing.T, c *cluster.Cluster, spec clusterSpec, tool func(*cluster.Node, ...string) (string, error)) {
	spec.tokenMs = 2000
	for _, n := range c.Nodes() {
		if err := os.WriteFile(n.ConfPath, []byte(spec.conf(t, n)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if out, err := tool(c.Node(1), "-R"); err != nil || !strings.Contains(out, "Reloading corosync.conf...\nDone") {
		t.Fatalf("-R: %v\n%s", err, out)
	}
	for _, n := range c.Nodes() {
		ok := waitFor(5*time.Second, func() bool {
			out, _ := n.Exec(context.Background(), "/usr/sbin/corosync-cmapctl", "-g", "totem.token")
			return strings.TrimSpace(string(out)) == "totem.token (u32) = 2000"
		})
		if !ok {
			t.Errorf("%s: totem.token not reloaded", n.Name)
		}
	}
}

func cfgtoolShutdown(t *testing.T, c *cluster.Cluster, tool func(*cluster.Node, ...string) (string, error)) {
	n2 := c.Node(2)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out lockedBuffer
	tracker := n2.Command(ctx, os.Args[0])
	tracker.Env = append(tracker.Env, vetoEnv+"=1")
	tracker.Stdout, tracker.Stderr = &out, &out
	if err := tracker.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tracker.Process.Kill(); _ = tracker.Wait() }()
	if !waitFor(10*time.Second, func() bool { return strings.Contains(out.String(), "tracking") }) {
		t.Fatalf("tracker did not start: %s", out.String())
	}
	// corosync-cfgtool 3.1.7 reports the veto (CS_ERR_BUSY) but exits 0.
	res, _ := tool(n2, "-H")
	if !strings.Contains(res, "Could not shutdown (error = 10)") {
		t.Fatalf("-H with a vetoing tracker: %q; tracker: %s", res, out.String())
	}
	if !strings.Contains(out.String(), "vetoed") || !n2.Running() {
		t.Fatalf("the tracker was not asked, or n2 stopped anyway: %s", out.String())
	}
	_ = tracker.Process.Kill()
	_ = tracker.Wait()
	// Without a tracker the shutdown proceeds: n2 leaves, the others go on.
	after := c.Node(1).OutputSize()
	if res, err := tool(n2, "-H"); err != nil {
		t.Fatalf("-H: %v %q", err, res)
	}
	if !waitFor(10*time.Second, func() bool { return !n2.Running() }) {
		t.Fatal("n2 still running after -H")
	}
	waitMembers(t, c.Node(1), "1 3", after, formTimeout)
}

func cfgtoolKill(t *testing.T, c *cluster.Cluster, tool func(*cluster.Node, ...string) (string, error)) {
	n1, n3 := c.Node(1), c.Node(3)
	after := n1.OutputSize()
	if res, err := tool(n1, "-k", "3"); err != nil {
		t.Fatalf("-k 3: %v %q", err, res)
	}
	if !waitFor(10*time.Second, func() bool { return !n3.Running() }) {
		t.Fatal("n3 still running after -k 3")
	}
	if _, _, err := n3.WaitOutput(context.Background(), regexp.MustCompile(`Killed by node 1`), 0); err != nil {
		t.Errorf("n3 did not log who killed it: %v", err)
	}
	waitMembers(t, n1, "1", after, formTimeout)
	if res, err := tool(n1, "-k", "9"); err == nil {
		t.Errorf("-k of an unknown node succeeded: %q", res)
	}
}
