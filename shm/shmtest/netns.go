package shmtest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"
)

// netnsEnv marks a test binary that InNetns re-executed; its value is the
// parent's network namespace.
const netnsEnv = "GOROSYNC_TEST_NETNS"

func netnsID() string { s, _ := os.Readlink("/proc/self/ns/net"); return s }

// InNetns lets a top-level test serve real service names ("cmap", "cfg",
// …: the only ones corosync's tools and libraries connect to) in a
// private network namespace, where abstract unix sockets are private too.
// In the test process it re-executes the test binary for t's test alone
// under `unshare --net`, waits for it (bounded by timeout), reports its
// output and failure, and returns false; in that child it returns true,
// and the test does its work. It skips unless root and unless the
// programs in needs (absolute paths or names in PATH) are there.
func InNetns(t *testing.T, timeout time.Duration, needs ...string) bool {
	t.Helper()
	if parent := os.Getenv(netnsEnv); parent != "" {
		if netnsID() == parent || netnsID() == "" {
			t.Fatalf("not in a private network namespace (%s)", netnsID())
		}
		return true
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root (unshare --net, the shm server)")
	}
	for _, p := range append([]string{"/usr/bin/unshare"}, needs...) {
		if _, err := exec.LookPath(p); err != nil {
			t.Skipf("needs %s (make deps installs it): %v", p, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	args := []string{"--net", "--", os.Args[0], "-test.run=^" + t.Name() + "$", "-test.count=1"}
	if testing.Verbose() {
		args = append(args, "-test.v")
	}
	cmd := exec.CommandContext(ctx, "/usr/bin/unshare", args...)
	cmd.Env = append(os.Environ(), netnsEnv+"="+netnsID())
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	t.Logf("child:\n%s", out)
	if err != nil {
		t.Fatalf("child in its network namespace: %v", err)
	}
	return false
}
