package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// goTool is the go command that runs this test.
func goTool(t *testing.T) string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err != nil {
		t.Skipf("no go command to build the binaries: %v", err)
	}
	return p
}

// The demo binary end to end, as `make demo` runs it (no root needed):
// three daemons form a ring, three cpg clients join and see each other,
// quorum is shown, traffic is delivered in one order by every node, the
// daemons stop with status 0 and leave nothing in /dev/shm. A prefix of
// its own keeps its IPC names apart from a `make demo` running beside it.
func TestDemoEndToEnd(t *testing.T) {
	dir := t.TempDir()
	for _, pkg := range []string{"gorosync", "gorosync-demo"} {
		out, err := exec.Command(goTool(t), "build", "-o", filepath.Join(dir, pkg), "../"+pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(dir, "gorosync-demo"), "-gorosync", filepath.Join(dir, "gorosync"),
		"-port", "25415", "-for", "1s", "-ipc-prefix", fmt.Sprintf("t%d-", os.Getpid()))
	start := time.Now()
	raw, err := cmd.CombinedOutput()
	out := string(raw)
	if err != nil {
		t.Fatalf("demo: %v after %v\n%s", err, time.Since(start), out)
	}
	t.Logf("demo ran %v", time.Since(start))
	wants := []string{
		"ring: all 3 nodes are members and synced",
		"Quorum provider:  corosync_votequorum",
		"Quorate:          Yes",
		"Total votes:      3",
		"/dev/shm: no IPC files left behind",
	}
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("the output lacks %q", w)
		}
	}
	counts := map[string]int{
		`node \d's client: members 1,2,3 +joined 3`:                  3,
		`node \d: quorate Yes, expected votes 3, total votes 3`:      3,
		`node \d: left the ring and exited with status 0`:            3,
		`(?m)^  \d +(64 B|1 KiB) +[1-9]\d* +\d+ +[1-9]\d* +[1-9]\d*`: 6,
	}
	for re, n := range counts {
		if got := len(regexp.MustCompile(re).FindAllString(out, -1)); got != n {
			t.Errorf("%d lines match %q, want %d", got, re, n)
		}
	}
	m := regexp.MustCompile(`order: all 3 nodes delivered the same (\d+) messages in the same order`).FindStringSubmatch(out)
	if m == nil {
		t.Errorf("no order line")
	} else if n, _ := strconv.Atoi(m[1]); n < 1000 {
		t.Errorf("only %d messages delivered", n)
	}
	if t.Failed() {
		t.Log(out)
	}
}
