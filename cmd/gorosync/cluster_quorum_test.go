package main

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorosync/gorosync/bench/cluster"
)

const quorumtool = "/usr/sbin/corosync-quorumtool"

var (
	dateLine = regexp.MustCompile(`(?m)^Date:.*$`)
	ringLine = regexp.MustCompile(`(?m)^Ring ID:.*$`)
)

// quorumStatus runs corosync-quorumtool -s on n (exit status 2 means
// "not quorate" and is not an error) with the date and ring id masked.
func quorumStatus(t *testing.T, n *cluster.Node, tool string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, _ := n.Exec(ctx, tool, "-s")
	s := dateLine.ReplaceAllString(string(out), "Date: -")
	return ringLine.ReplaceAllString(s, "Ring ID: -")
}

// waitQuorate waits until corosync-quorumtool -s on n reports want and
// shows nodes members.
func waitQuorate(t *testing.T, n *cluster.Node, want string, nodes int) string {
	t.Helper()
	var last string
	if !waitFor(15*time.Second, func() bool {
		last = quorumStatus(t, n, quorumtool)
		return strings.Contains(last, "\nQuorate:          "+want+"\n") &&
			strings.Contains(last, fmt.Sprintf("\nNodes:            %d\n", nodes))
	}) {
		t.Fatalf("%s: not Quorate: %s with %d nodes within 15 s:\n%s", n.Name, want, nodes, last)
	}
	return last
}

// The quorum of a 3-node cluster as corosync-quorumtool shows it, through
// losing one node (still quorate), losing two (inquorate: activity
// blocked) and regaining one; gorosync-quorumtool prints the same.
func TestClusterQuorum(t *testing.T) {
	needTool(t, quorumtool)
	c := startCluster(t, clusterSpec{nodes: 3, links: 1, tokenMs: 1000, transport: "udpu", quorum: " provider: corosync_votequorum\n"})
	for _, n := range c.Nodes() {
		waitMembers(t, n, "1 2 3", 0, formTimeout)
	}
	n1 := c.Node(1)
	got := waitQuorate(t, n1, "Yes", 3)
	want := `Quorum information
------------------
Date: -
Quorum provider:  corosync_votequorum
Nodes:            3
Node ID:          1
Ring ID: -
Quorate:          Yes

Votequorum information
----------------------
Expected votes:   3
Highest expected: 3
Total votes:      3
Quorum:           2  
Flags:            Quorate 

Membership information
----------------------
    Nodeid      Votes Name
         1          1 n1 (local)
         2          1 n2
         3          1 n3
`
	if got != want {
		t.Fatalf("corosync-quorumtool -s:\n%s\nwant (../shared/data/corosync-3.1.7-udpu/quorumtool-s.txt's shape):\n%s", got, want)
	}
	ours := toolBinary(t, "gorosync-quorumtool")
	if o := quorumStatus(t, n1, ours); o != got {
		t.Errorf("gorosync-quorumtool -s:\n%s\ncorosync-quorumtool -s:\n%s", o, got)
	}
	sameOutput(t, n1, quorumtool, ours, "-l")
	// Lose one node: 2 of 3 votes keep quorum.
	if err := c.Node(3).Kill(); err != nil {
		t.Fatal(err)
	}
	got = waitQuorate(t, n1, "Yes", 2)
	if !strings.Contains(got, "Total votes:      2\n") {
		t.Errorf("after losing n3:\n%s", got)
	}
	// Lose two: the survivor blocks.
	if err := c.Node(2).Kill(); err != nil {
		t.Fatal(err)
	}
	got = waitQuorate(t, n1, "No", 1)
	if !strings.Contains(got, "Flags:            \n") && !strings.Contains(got, "Quorum:           2 Activity blocked\n") {
		t.Errorf("inquorate status:\n%s", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := n1.Exec(ctx, quorumtool, "-s"); err == nil {
		t.Error("corosync-quorumtool -s exits 0 while inquorate (want 2)")
	}
	// Regain one: quorate again.
	if err := c.Node(2).Start(); err != nil {
		t.Fatal(err)
	}
	waitQuorate(t, n1, "Yes", 2)
}

// two_node: both nodes quorate; one lost, the other stays quorate; a node
// restarted alone waits for all (inquorate) until its peer is back.
func TestClusterTwoNode(t *testing.T) {
	needTool(t, quorumtool)
	c := startCluster(t, clusterSpec{nodes: 2, links: 1, tokenMs: 1000, transport: "udpu",
		quorum: " provider: corosync_votequorum\n two_node: 1\n"})
	for _, n := range c.Nodes() {
		waitMembers(t, n, "1 2", 0, formTimeout)
	}
	n1, n2 := c.Node(1), c.Node(2)
	got := waitQuorate(t, n1, "Yes", 2)
	if !strings.Contains(got, "Flags:            2Node Quorate WaitForAll \n") {
		t.Errorf("two_node flags:\n%s", got)
	}
	if err := n2.Kill(); err != nil {
		t.Fatal(err)
	}
	waitQuorate(t, n1, "Yes", 1)
	// n1 restarted alone: wait_for_all holds it inquorate.
	if err := n1.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := n1.Start(); err != nil {
		t.Fatal(err)
	}
	got = waitQuorate(t, n1, "No", 1)
	if !strings.Contains(got, "WaitForAll") {
		t.Errorf("n1 alone after restart:\n%s", got)
	}
	if err := n2.Start(); err != nil {
		t.Fatal(err)
	}
	waitQuorate(t, n1, "Yes", 2)
}
