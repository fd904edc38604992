package cpg_test

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"
)

// Tests that serve the real socket names "cpg" and "cfg" (Debian's libcpg
// and corosync-cpgtool connect to no other) run in a private network
// namespace, where abstract unix sockets are private too: the parent
// re-executes the test binary under `unshare --net` and the child (with
// netnsEnv set) runs the test there.

const netnsEnv = "GOROSYNC_CPG_NETNS"

func netnsID() string { s, _ := os.Readlink("/proc/self/ns/net"); return s }

// inNetns runs child in a private network namespace; it returns false in
// the parent (which has run the child and reported its result).
func inNetns(t *testing.T, name string, needs ...string) bool {
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
			t.Skipf("needs %s (Debian packages util-linux, corosync, libcpg-dev, gcc): %v", p, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	args := []string{"--net", "--", os.Args[0], "-test.run=^" + name + "$", "-test.count=1"}
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
