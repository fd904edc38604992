package main

// Integration tests of the services with corosync's own tools (Debian's
// corosync package, installed for its tools only: no corosync daemon runs)
// against a gorosync cluster in namespaces.

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gorosync/gorosync/bench/cluster"
)

var (
	toolsMu    sync.Mutex
	toolsBuilt = map[string]string{}
)

// toolBinary builds one of our tools (cmd/<name>) once per test binary.
func toolBinary(t *testing.T, name string) string {
	t.Helper()
	toolsMu.Lock()
	defer toolsMu.Unlock()
	if p, ok := toolsBuilt[name]; ok {
		return p
	}
	dir, err := os.MkdirTemp("", "gorosync-tools")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if out, err := exec.Command("go", "build", "-o", p, "../"+name).CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", name, err, out)
	}
	toolsBuilt[name] = p
	return p
}

// sameOutput runs corosync's tool and ours with args on node n and
// asserts they print the same.
func sameOutput(t *testing.T, n *cluster.Node, theirs, ours string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, errA := n.Exec(ctx, append([]string{theirs}, args...)...)
	b, errB := n.Exec(ctx, append([]string{ours}, args...)...)
	if (errA == nil) != (errB == nil) || string(a) != string(b) {
		t.Errorf("%s %v differs from %s:\n--- %s (%v)\n%s--- ours (%v)\n%s", filepath.Base(ours), args, filepath.Base(theirs), filepath.Base(theirs), errA, a, errB, b)
	}
	return string(a)
}

// needTool skips when one of corosync's tools is missing.
func needTool(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Skipf("needs %s (Debian package corosync; make deps installs it as root): %v", path, err)
	}
}

// lockedBuffer collects a long-running client's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor polls cond every 50 ms until it holds or timeout passes.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cond()
}

// corosync-cmapctl -t on one node sees a change another client makes on
// the same node: tracking over IPC, through the daemon.
func TestClusterCmapTrackOverIPC(t *testing.T) {
	const tool = "/usr/sbin/corosync-cmapctl"
	needTool(t, tool)
	c := startCluster(t, clusterSpec{nodes: 2, tokenMs: 1000})
	for _, n := range c.Nodes() {
		waitMembers(t, n, "1 2", 0, formTimeout)
	}
	n1 := c.Node(1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out lockedBuffer
	track := n1.Command(ctx, "stdbuf", "-oL", tool, "-T", "test.")
	track.Stdout, track.Stderr = &out, &out
	stdin, err := track.StdinPipe() // the tool quits at the end of its input
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	if err := track.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = track.Process.Kill(); _ = track.Wait() }()
	// The track exists only once the tool runs: set new values until one
	// is seen (an unchanged value notifies nobody).
	re := regexp.MustCompile(`(create|modify)> test\.tracked \(u32\) = (\d+)`)
	value := 0
	ok := waitFor(10*time.Second, func() bool {
		value++
		if _, err := n1.Exec(ctx, tool, "-s", "test.tracked", "u32", strconv.Itoa(value)); err != nil {
			t.Fatalf("set: %v", err)
		}
		return waitFor(300*time.Millisecond, func() bool { return re.MatchString(out.String()) })
	})
	if !ok {
		t.Fatalf("no tracking notification; tracker printed:\n%s", out.String())
	}
	if _, err := n1.Exec(ctx, tool, "-d", "test.tracked"); err != nil {
		t.Fatal(err)
	}
	if !waitFor(5*time.Second, func() bool {
		return regexp.MustCompile(`delete> test\.tracked \(u32\) = ` + strconv.Itoa(value)).MatchString(out.String())
	}) {
		t.Fatalf("no delete notification; tracker printed:\n%s", out.String())
	}
}
