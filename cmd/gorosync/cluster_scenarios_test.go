package main

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorosync/gorosync/bench/cluster"
)

// formMargin bounds how long a cluster may take to form after its daemons
// start: the first ring needs a join and a consensus round (~1.2 token).
const formTimeout = 20 * time.Second

// allDelivered waits until every node printed that it delivered total
// messages.
func allDelivered(t *testing.T, c *cluster.Cluster, total int, timeout time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	re := regexp.MustCompile(fmt.Sprintf(`gorosync-traffic: delivered %d$`, total))
	for _, n := range c.Nodes() {
		if _, _, err := n.WaitOutput(ctx, re, 0); err != nil {
			t.Fatalf("%s did not deliver %d messages within %v: %v", n.Name, total, timeout, err)
		}
	}
}

func members(n int) string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprint(i + 1)
	}
	return strings.Join(s, " ")
}

// Three nodes on two links and five on one form a ring, and traffic from
// every node is delivered everywhere in one total order.
func TestClusterFormsAndOrders(t *testing.T) {
	for _, tc := range []struct{ nodes, links int }{{3, 2}, {5, 1}} {
		t.Run(fmt.Sprintf("%dnodes-%dlinks", tc.nodes, tc.links), func(t *testing.T) {
			const perNode = 2000
			c := startCluster(t, clusterSpec{nodes: tc.nodes, links: tc.links, tokenMs: 1000,
				hook: fmt.Sprintf("-demo-send %d -demo-size 200 -demo-expect %d", perNode, perNode*tc.nodes)})
			for _, n := range c.Nodes() {
				waitMembers(t, n, members(tc.nodes), 0, formTimeout)
			}
			allDelivered(t, c, perNode*tc.nodes, 60*time.Second)
			stopAll(t, c)
			senders := make([]int, tc.nodes)
			for i := range senders {
				senders[i] = i + 1
			}
			checkSameOrder(t, c, senders, perNode)
		})
	}
}

// kill -9 of one node: the survivors install a ring without it within
// token + consensus + margin; restarted, it rejoins.
func TestClusterKillAndRestart(t *testing.T) {
	const tokenMs = 300
	c := startCluster(t, clusterSpec{nodes: 3, tokenMs: tokenMs, totemExtra: " token_coefficient: 0\n"})
	var formed [4]membership
	for i, n := range c.Nodes() {
		formed[i+1] = waitMembers(t, n, "1 2 3", 0, formTimeout)
	}
	beforeKill := formed
	killedAt := time.Now()
	if err := c.Node(3).Kill(); err != nil {
		t.Fatal(err)
	}
	// token (300) + consensus (1.2 × token = 360) + 1 s for scheduling on
	// a loaded 2-core machine and the 1 ms log timestamp resolution.
	bound := time.Duration(tokenMs)*time.Millisecond + 360*time.Millisecond + time.Second
	lost := regexp.MustCompile(`\[TOTEM \] A processor failed, forming new configuration: token timed out \(300 ms\), waiting 360 ms for consensus\.$`)
	for _, i := range []int{1, 2} {
		m := waitMembers(t, c.Node(i), "1 2", formed[i].offset, 10*time.Second)
		took := m.at.Sub(killedAt)
		t.Logf("n%d: kill -9 → new ring in %v", i, took)
		if took > bound {
			t.Errorf("n%d installed the ring without n3 after %v, bound %v", i, took, bound)
		}
		formed[i] = m
	}
	// The failover timeline starts with corosync's token-loss line on the
	// survivor whose token timer expired (the other may be drawn into the
	// new membership by its JOIN first).
	logged := 0
	for _, i := range []int{1, 2} {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		if _, _, err := c.Node(i).WaitOutput(ctx, lost, beforeKill[i].offset); err == nil {
			logged++
		}
		cancel()
	}
	if logged == 0 {
		t.Error("no survivor logged the token loss")
	}
	if err := c.Node(3).Start(); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{1, 2} {
		waitMembers(t, c.Node(i), "1 2 3", formed[i].offset, 10*time.Second)
	}
	waitMembers(t, c.Node(3), "1 2 3", 0, 10*time.Second)
}

// A partition {1,2} | {3,4,5} makes two rings; healed, one.
func TestClusterPartitionAndHeal(t *testing.T) {
	c := startCluster(t, clusterSpec{nodes: 5, tokenMs: 500, totemExtra: " token_coefficient: 0\n"})
	var at [6]int64
	for i, n := range c.Nodes() {
		at[i+1] = waitMembers(t, n, members(5), 0, formTimeout).offset
	}
	if err := c.Partition([]int{1, 2}, []int{3, 4, 5}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		want := "1 2"
		if i > 2 {
			want = "3 4 5"
		}
		at[i] = waitMembers(t, c.Node(i), want, at[i], 15*time.Second).offset
	}
	if err := c.Heal(); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		waitMembers(t, c.Node(i), members(5), at[i], 15*time.Second)
	}
}

// With two links, either link going down changes no membership: traffic
// fails over to the other link and keeps its order.
func TestClusterLinkDownNoMembershipChange(t *testing.T) {
	for _, down := range []int{1, 0} {
		t.Run(fmt.Sprintf("link%d", down), func(t *testing.T) {
			const perNode = 3000
			c := startCluster(t, clusterSpec{nodes: 3, links: 2, tokenMs: 1000,
				totemExtra: " interface {\n  linknumber: 0\n  knet_link_priority: 2\n }\n interface {\n  linknumber: 1\n  knet_link_priority: 1\n }\n",
				hook:       fmt.Sprintf("-demo-send %d -demo-size 512 -demo-rate 500 -demo-expect %d", perNode, 3*perNode)})
			var at [4]int64
			for i, n := range c.Nodes() {
				at[i+1] = waitMembers(t, n, "1 2 3", 0, formTimeout).offset
			}
			time.Sleep(time.Second) // traffic flowing
			if err := c.LinkDown(1, down); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			re := regexp.MustCompile(fmt.Sprintf(`\[KNET  \] link: host: 1 link: %d is down`, down))
			if _, _, err := c.Node(2).WaitOutput(ctx, re, 0); err != nil {
				t.Fatalf("n2 never saw link %d to n1 go down: %v", down, err)
			}
			allDelivered(t, c, 3*perNode, 60*time.Second)
			before := stopAll(t, c)
			for i, n := range c.Nodes() {
				if got := memberships(t, n, at[i+1], before[i+1]); len(got) != 0 {
					t.Errorf("%s: membership changed after link %d went down: %v", n.Name, down, got)
				}
			}
			checkSameOrder(t, c, []int{1, 2, 3}, perNode)
		})
	}
}

// 10% random loss on the output of every node: everything is delivered,
// in one order, with no membership change.
func TestClusterTenPercentLoss(t *testing.T) {
	const perNode = 3000
	c := startCluster(t, clusterSpec{nodes: 3, tokenMs: 3000,
		hook: fmt.Sprintf("-demo-send %d -demo-size 1024 -demo-after 1s -demo-expect %d", perNode, 3*perNode)})
	var at [4]int64
	for i, n := range c.Nodes() {
		at[i+1] = waitMembers(t, n, "1 2 3", 0, formTimeout).offset
	}
	for i := 1; i <= 3; i++ {
		if err := c.Loss(i, 10); err != nil {
			t.Fatal(err)
		}
	}
	allDelivered(t, c, 3*perNode, 90*time.Second)
	before := stopAll(t, c)
	for i, n := range c.Nodes() {
		if got := memberships(t, n, at[i+1], before[i+1]); len(got) != 0 {
			t.Errorf("%s: membership changed under 10%% loss: %v", n.Name, got)
		}
	}
	checkSameOrder(t, c, []int{1, 2, 3}, perNode)
}

// A node with the wrong authkey never joins, and says why.
func TestClusterWrongAuthkeyNeverJoins(t *testing.T) {
	good, bad := strings.Repeat("k", 128), strings.Repeat("x", 128)
	c := startCluster(t, clusterSpec{nodes: 3, tokenMs: 500, keys: map[int]string{1: good, 2: good, 3: bad}})
	waitMembers(t, c.Node(1), "1 2", 0, formTimeout)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, _, err := c.Node(3).WaitOutput(ctx, regexp.MustCompile(`failed authentication`), 0); err != nil {
		t.Fatalf("n3 did not log why it is alone: %v", err)
	}
	time.Sleep(2 * time.Second) // several token rotations and join attempts
	for i := 1; i <= 3; i++ {
		for _, m := range memberships(t, c.Node(i), 0, 0) {
			if i < 3 && strings.Contains(" "+m+" ", " 3 ") || i == 3 && m != "3" {
				t.Errorf("n%d installed membership [%s]: the node with the wrong key joined", i, m)
			}
		}
	}
}

// The test-only fault stage delays, duplicates and reorders what every
// node receives (what netem would do, missing from this kernel): still one
// order, nothing lost, no membership change.
func TestClusterFaultStageDelayDuplicateReorder(t *testing.T) {
	const perNode = 2000
	c := startCluster(t, clusterSpec{nodes: 3, tokenMs: 1000,
		dataplane: " fault_delay_ms: 1\n fault_delay_jitter_ms: 2\n fault_duplicate_percent: 5\n fault_reorder_percent: 10\n fault_seed: 42\n",
		hook:      fmt.Sprintf("-demo-send %d -demo-size 512 -demo-after 500ms -demo-expect %d", perNode, 3*perNode)})
	var at [4]int64
	for i, n := range c.Nodes() {
		at[i+1] = waitMembers(t, n, "1 2 3", 0, formTimeout).offset
	}
	allDelivered(t, c, 3*perNode, 60*time.Second)
	before := stopAll(t, c)
	stage := regexp.MustCompile(`fault stage: passed \d+ dropped 0 duplicated [1-9]\d* delayed [1-9]\d* reordered [1-9]\d*`)
	for i, n := range c.Nodes() {
		if got := memberships(t, n, at[i+1], before[i+1]); len(got) != 0 {
			t.Errorf("%s: membership changed under the fault stage: %v", n.Name, got)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, _, err := n.WaitOutput(ctx, stage, 0)
		cancel()
		if err != nil {
			t.Errorf("%s: the fault stage did not delay, duplicate and reorder: %v", n.Name, err)
		}
	}
	checkSameOrder(t, c, []int{1, 2, 3}, perNode)
}

// Debian's corosync-cmapctl, unmodified, reads and writes a running
// gorosync's cmap over libqb IPC inside a node's namespace.
func TestClusterCmapctlAgainstDaemon(t *testing.T) {
	const tool = "/usr/sbin/corosync-cmapctl"
	if _, err := os.Stat(tool); err != nil {
		t.Skipf("needs %s (Debian package corosync; make deps installs it as root): %v", tool, err)
	}
	c := startCluster(t, clusterSpec{nodes: 3, tokenMs: 1000})
	for _, n := range c.Nodes() {
		waitMembers(t, n, "1 2 3", 0, formTimeout)
	}
	n2 := c.Node(2)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	run := func(args ...string) string {
		t.Helper()
		out, err := n2.Exec(ctx, append([]string{tool}, args...)...)
		if err != nil {
			t.Fatalf("corosync-cmapctl %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	if got := run("-g", "totem.cluster_name"); strings.TrimSpace(got) != "totem.cluster_name (str) = gstest" {
		t.Errorf("-g totem.cluster_name: %q", got)
	}
	if got := run("-g", "nodelist.local_node_pos"); strings.TrimSpace(got) != "nodelist.local_node_pos (u32) = 1" {
		t.Errorf("n2's local node position: %q", got)
	}
	dump := run("nodelist.")
	for _, want := range []string{"nodelist.node.0.ring0_addr (str) = 198.18.0.1", "nodelist.node.2.nodeid (u32) = 3"} {
		if !strings.Contains(dump, want) {
			t.Errorf("dump of nodelist. lacks %q:\n%s", want, dump)
		}
	}
	run("-s", "test.answer", "u32", "42")
	if got := run("-g", "test.answer"); strings.TrimSpace(got) != "test.answer (u32) = 42" {
		t.Errorf("after -s: %q", got)
	}
	ours := toolBinary(t, "gorosync-cmapctl")
	for _, args := range [][]string{{"totem."}, {"nodelist."}, {"-g", "runtime.members.1.ip"}, {"runtime.members."}} {
		sameOutput(t, n2, tool, ours, args...)
	}
	// What the daemon publishes (TOTEM_SPEC §7.1, §10.5, §10.7).
	runtime := run("runtime.")
	for _, want := range []string{
		"runtime.members.1.ip (str) = r(0) ip(198.18.0.1) ",
		"runtime.members.3.status (str) = joined",
		"runtime.members.2.join_count (u32) = 1",
		"runtime.members.3.config_version (u64) = 0",
		"runtime.services.cmap.service_id (u16) = 0",
		"runtime.blackbox.dump_state (str) = no",
		"runtime.config.totem.token (u32) = 1650", // 1000 + 650 per node beyond 2
	} {
		if !strings.Contains(runtime, want+"\n") {
			t.Errorf("runtime. dump lacks %q:\n%s", want, runtime)
		}
	}
	if got := run("-g", "internal_configuration.service.0.name"); strings.TrimSpace(got) != "internal_configuration.service.0.name (str) = corosync_cmap" {
		t.Errorf("service 0 name: %q", got)
	}
	if _, err := n2.Exec(ctx, tool, "-s", "internal_configuration.service.0.name", "str", "x"); err == nil {
		t.Error("internal_configuration is writable")
	}
	stats := run("-m", "stats", "stats.srp.")
	if !regexp.MustCompile(`(?m)^stats\.srp\.orf_token_rx \(u64\) = [1-9][0-9]*$`).MatchString(stats) ||
		!strings.Contains(stats, "stats.srp.mcast_tx (u64) = ") {
		t.Errorf("stats.srp. (tokens must have been received):\n%s", stats)
	}
	// The UDP transport's own counters: frames went out, and runs of
	// equal frames went as GSO messages only where they could.
	udp := run("-m", "stats", "stats.gorosync.link0.")
	if !regexp.MustCompile(`(?m)^stats\.gorosync\.link0\.tx_datagrams \(u64\) = [1-9][0-9]*$`).MatchString(udp) ||
		!strings.Contains(udp, "stats.gorosync.link0.gso_off (u64) = 0") ||
		!strings.Contains(udp, "stats.gorosync.link0.rx_gro_datagrams (u64) = ") {
		t.Errorf("stats.gorosync.link0.:\n%s", udp)
	}
	if ipcs := run("-m", "stats", "stats.ipcs.global.active"); !strings.Contains(ipcs, "stats.ipcs.global.active (u64) = 1") {
		t.Errorf("the tool's own connection is not counted: %q", ipcs)
	}
}
