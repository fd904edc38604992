package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// toolEnv makes the test binary gorosync-cmapctl itself (see TestMain):
// the side-by-side tests run it as a process, as they run Debian's tool.
const toolEnv = "GSCMAPCTL_TOOL"

func TestMain(m *testing.M) {
	if os.Getenv(toolEnv) == "1" {
		os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

const debianTool = "/usr/sbin/corosync-cmapctl"

// result is one run of a tool.
type result struct {
	stdout, stderr string
	code           int
}

// toolCmd makes the command for our tool (c false) or Debian's (c true),
// both named corosync-cmapctl in argv[0] so that getopt's messages match.
func toolCmd(ctx context.Context, c bool, args ...string) *exec.Cmd {
	path := os.Args[0]
	if c {
		path = debianTool
	}
	cmd := exec.CommandContext(ctx, path)
	cmd.Args = append([]string{"corosync-cmapctl"}, args...)
	cmd.Env = append(os.Environ(), toolEnv+"=1")
	cmd.WaitDelay = 2 * time.Second
	return cmd
}

// runTool runs a tool to its end (bounded) with stdin.
func runTool(t *testing.T, c bool, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := toolCmd(ctx, c, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := result{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	return r
}
