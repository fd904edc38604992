package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorosync/gorosync/bench/cluster"
)

var (
	streamOnce sync.Once
	streamPath string
	streamErr  error
)

// cpgStreamBinary builds testdata/cpgstream.c against Debian's libcpg.
func cpgStreamBinary(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/gcc", "/usr/include/corosync/cpg.h"} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("needs %s (Debian packages gcc and libcpg-dev; make deps installs them as root): %v", p, err)
		}
	}
	streamOnce.Do(func() {
		dir, err := os.MkdirTemp("", "gorosync-cpgstream")
		if err != nil {
			streamErr = err
			return
		}
		streamPath = filepath.Join(dir, "cpgstream")
		if out, err := exec.Command("gcc", "-O2", "-Wall", "-o", streamPath, "testdata/cpgstream.c", "-lcpg").CombinedOutput(); err != nil {
			streamErr = fmt.Errorf("gcc: %v\n%s", err, out)
		}
	})
	if streamErr != nil {
		t.Fatal(streamErr)
	}
	return streamPath
}

// streamClient is one cpgstream process in a node's namespace.
type streamClient struct {
	cmd *exec.Cmd
	out *lockedBuffer
}

func startStream(t *testing.T, ctx context.Context, n *cluster.Node, count, gapUs int, seconds float64) *streamClient {
	t.Helper()
	s := &streamClient{out: &lockedBuffer{}}
	s.cmd = n.Command(ctx, cpgStreamBinary(t), "gs", fmt.Sprint(count), fmt.Sprint(gapUs), fmt.Sprint(seconds))
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *streamClient) lines() []string {
	var out []string
	for _, l := range strings.Split(s.out.String(), "\n") {
		if strings.HasPrefix(l, "c ") || strings.HasPrefix(l, "d ") {
			out = append(out, l)
		}
	}
	return out
}

// Debian's libcpg clients on a 3-node gorosync cluster, through kill -9
// and restart of a node: the nodes that stayed see the same deliveries and
// confchgs in the same order, every accepted message is delivered, and the
// restarted node's new client sees exactly what the others saw from its
// join on. corosync-cpgtool lists the group.
func TestClusterLibcpgKillRestart(t *testing.T) {
	const cpgtool = "/usr/sbin/corosync-cpgtool"
	needTool(t, cpgtool)
	cpgStreamBinary(t)
	c := startCluster(t, clusterSpec{nodes: 3, tokenMs: 300})
	for _, n := range c.Nodes() {
		waitMembers(t, n, "1 2 3", 0, formTimeout)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	n1, n2, n3 := c.Node(1), c.Node(2), c.Node(3)
	// n1's and n2's clients run until the test ends them, so that they
	// see everything n3's second client does, however slow the machine.
	a := startStream(t, ctx, n1, 3000, 1000, 50)
	b := startStream(t, ctx, n2, 3000, 1000, 50)
	first3 := startStream(t, ctx, n3, 3000, 1000, 50)
	if !waitFor(5*time.Second, func() bool { return strings.Contains(first3.out.String(), "d 2/") }) {
		t.Fatalf("n3's client delivered nothing: %s", first3.out.String())
	}
	out, err := n1.Exec(ctx, cpgtool)
	if err != nil || strings.Count(string(out), "gs") != 1 || len(regexp.MustCompile(`(?m)^\s+\d+\s+\d+ \(198\.18\.0\.\d\)$`).FindAllString(string(out), -1)) != 3 {
		t.Errorf("corosync-cpgtool:\n%s (%v)", out, err)
	}
	after := n1.OutputSize()
	if err := n3.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = first3.cmd.Wait()
	waitMembers(t, n1, "1 2", after, formTimeout)
	after = n1.OutputSize()
	if err := n3.Start(); err != nil {
		t.Fatal(err)
	}
	waitMembers(t, n1, "1 2 3", after, formTimeout)
	second3 := startStream(t, ctx, n3, 500, 1000, 5)
	if err := second3.cmd.Wait(); err != nil {
		t.Fatalf("n3's second client: %v\n%s", err, tail(second3.out.String()))
	}
	// n3's client finalized without leaving: the others see it go with
	// reason 5 (PROCDOWN), as corosync reports it. Wait for that on both,
	// and for every message sent, then end them.
	leave := fmt.Sprintf("left [3/%d:5]", second3.cmd.Process.Pid)
	for _, s := range []*streamClient{a, b} {
		if !waitFor(20*time.Second, func() bool {
			return strings.Contains(s.out.String(), leave) && strings.Count(s.out.String(), "\nsent ") == 1
		}) {
			t.Fatalf("a client never saw n3's client go (%s) or never finished sending:\n%s", leave, tail(s.out.String()))
		}
	}
	for _, s := range []*streamClient{a, b} {
		_ = s.cmd.Process.Kill()
		_ = s.cmd.Wait()
	}
	la, lb, l3 := upTo(t, a.lines(), leave), upTo(t, b.lines(), leave), second3.lines()
	// Each client's log starts at its own join: compare from the later one.
	la, lb = fromCommonJoin(t, la, lb)
	if strings.Join(la, "\n") != strings.Join(lb, "\n") {
		t.Fatalf("n1 and n2 saw different sequences (%d and %d events); first difference at %d", len(la), len(lb), firstDiff(la, lb))
	}
	checkAllDelivered(t, a.lines(), a, b, second3)
	start := -1
	for i, l := range la {
		if strings.HasPrefix(l, "c ") && regexp.MustCompile(`joined \[3/\d+:1\]`).MatchString(l) && i > 0 {
			start = i // the last join of a node-3 client
		}
	}
	if start < 0 || len(l3) == 0 {
		t.Fatalf("no join of n3's second client in n1's log (%d lines of n3)", len(l3))
	}
	// n3's new client's log is what n1 saw from its join until it went
	// (n1's last line, the departure).
	rest := la[start:]
	if strings.Join(l3, "\n") != strings.Join(rest[:len(rest)-1], "\n") {
		t.Fatalf("n3's new client saw %d events, n1 %d from its join; first difference at %d", len(l3), len(rest)-1, firstDiff(l3, rest))
	}
	if !regexp.MustCompile(`left \[3/\d+:3\]`).MatchString(strings.Join(la, "\n")) {
		t.Error("no NODEDOWN (reason 3) confchg for the killed node's client")
	}
}

// upTo cuts a client's log after the first line containing marker.
func upTo(t *testing.T, log []string, marker string) []string {
	t.Helper()
	for i, l := range log {
		if strings.Contains(l, marker) {
			return log[:i+1]
		}
	}
	t.Fatalf("no %q in a client's log", marker)
	return nil
}

// fromCommonJoin cuts the log of the client that joined first to start at
// the other's join confchg (the other's first line).
func fromCommonJoin(t *testing.T, a, b []string) ([]string, []string) {
	t.Helper()
	if len(a) == 0 || len(b) == 0 {
		t.Fatalf("empty client log (%d and %d lines)", len(a), len(b))
	}
	for i, l := range a {
		if l == b[0] {
			return a[i:], b
		}
	}
	for i, l := range b {
		if l == a[0] {
			return a, b[i:]
		}
	}
	t.Fatalf("neither client's join is in the other's log: %q / %q", a[0], b[0])
	return nil, nil
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// checkAllDelivered: in log, each sender's messages come in order without
// a gap, and every client that reported "sent N" had its last one (N-1)
// delivered: nothing accepted was lost.
func checkAllDelivered(t *testing.T, log []string, clients ...*streamClient) {
	t.Helper()
	next := map[string]int{}
	for _, l := range log {
		var who string
		var seq int
		if _, err := fmt.Sscanf(l, "d %s %d", &who, &seq); err != nil {
			continue
		}
		if n, seen := next[who]; seen && seq != n {
			t.Fatalf("%s: seq %d delivered after %d", who, seq, n-1)
		}
		next[who] = seq + 1
	}
	for _, c := range clients {
		out := c.out.String()
		i := strings.Index(out, "sent ")
		var sent int
		if i < 0 {
			t.Fatalf("a client did not finish sending:\n%s", tail(out))
		}
		if _, err := fmt.Sscanf(out[i:], "sent %d", &sent); err != nil {
			t.Fatal(err)
		}
		suffix := fmt.Sprintf("/%d", c.cmd.Process.Pid)
		for who, n := range next {
			if strings.HasSuffix(who, suffix) && n != sent {
				t.Errorf("%s: last delivered seq %d, sent %d", who, n-1, sent)
			}
		}
	}
}

func tail(s string) string {
	if len(s) > 2000 {
		return s[len(s)-2000:]
	}
	return s
}
