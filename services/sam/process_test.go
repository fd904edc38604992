package sam

import (
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// These tests run testdata/samapp as a supervisor with its instances.
// Intervals are short; every wait is bounded; the cleanup kills the
// process group.

const waitLong = 10 * time.Second

func pol(p Policy) string { return strconv.Itoa(int(p)) }

func TestProcessHealthyInstanceKeepsRunning(t *testing.T) {
	a := startApp(t, "-policy", pol(PolicyRestart), "-interval", "100", "-modes", "ok", "-hold", "1000", "-code", "0")
	if code := a.exit(t, waitLong); code != 0 {
		t.Fatalf("exit %d; log:\n%s", code, a.text())
	}
	st := a.await(t, 1, "started", 0)
	ex := a.await(t, 1, "exit", 0)
	if ex.ms-st.ms < 900 {
		t.Errorf("instance ran %d ms, want its 1000 ms of heartbeats", ex.ms-st.ms)
	}
	if n := a.instances(); n != 1 {
		t.Errorf("%d instances, want 1; log:\n%s", n, a.text())
	}
	if _, ok := a.find(1, "warn"); ok {
		t.Error("a healthy instance got the warn signal")
	}
	in := a.await(t, 1, "inst", 0)
	if !strings.Contains(in.what, "instance=true") || !strings.Contains(in.what, "ppid="+strconv.Itoa(a.cmd.Process.Pid)) {
		t.Errorf("instance line %q: want an instance whose parent is the supervisor %d", in.what, a.cmd.Process.Pid)
	}
}

// An instance that stops its heartbeats gets the warn signal after one
// interval, SIGKILL one interval later, and a successor.
func TestProcessMissedHealthCheckRestarts(t *testing.T) {
	const ivl = 150
	a := startApp(t, "-policy", pol(PolicyRestart), "-interval", strconv.Itoa(ivl), "-modes", "ignore,ok", "-hold", "200", "-code", "3")
	if code := a.exit(t, waitLong); code != 3 {
		t.Fatalf("exit %d, want 3 (instance 2's); log:\n%s", code, a.text())
	}
	st := a.await(t, 1, "started", 0)
	warn := a.await(t, 1, "warn", 0)
	next := a.await(t, 2, "inst", 0)
	if warn.what != "warn "+strconv.Itoa(int(syscall.SIGTERM)) {
		t.Errorf("warn line %q, want SIGTERM", warn.what)
	}
	if d := warn.ms - st.ms; d < ivl-20 {
		t.Errorf("warned %d ms after start, want one interval (%d ms)", d, ivl)
	}
	if d := next.ms - warn.ms; d < ivl-20 {
		t.Errorf("restarted %d ms after the warning, want one interval (%d ms) for the instance to go", d, ivl)
	}
	if n := a.instances(); n != 2 {
		t.Errorf("%d instances, want 2", n)
	}
}

func TestProcessQuitPolicyEndsSupervisor(t *testing.T) {
	// The instance dies of the (default) SIGTERM: status 0, as
	// WEXITSTATUS of a signalled child.
	a := startApp(t, "-policy", pol(PolicyQuit), "-interval", "100", "-modes", "hang")
	if code := a.exit(t, waitLong); code != 0 {
		t.Fatalf("exit %d; log:\n%s", code, a.text())
	}
	a.await(t, 1, "started", 0)
	if n := a.instances(); n != 1 {
		t.Errorf("%d instances under QUIT, want 1; log:\n%s", n, a.text())
	}
}

func TestProcessQuitPolicyExitStatus(t *testing.T) {
	a := startApp(t, "-policy", pol(PolicyQuit), "-interval", "1000", "-modes", "exit", "-code", "7")
	if code := a.exit(t, waitLong); code != 7 {
		t.Fatalf("exit %d, want the instance's 7; log:\n%s", code, a.text())
	}
	if n := a.instances(); n != 1 {
		t.Errorf("%d instances under QUIT, want 1", n)
	}
}

// Instances that die while started are restarted with the next id; one
// that exits while stopped ends the supervisor with its status.
func TestProcessRestartCounter(t *testing.T) {
	a := startApp(t, "-policy", pol(PolicyRestart), "-interval", "0", "-modes", "exit,exit,exit,exitstopped", "-code", "5")
	if code := a.exit(t, waitLong); code != 5 {
		t.Fatalf("exit %d, want 5; log:\n%s", code, a.text())
	}
	var pids []string
	for i := 1; i <= 4; i++ {
		e := a.await(t, i, "inst", 0)
		pids = append(pids, strings.Fields(e.what)[1])
	}
	if n := a.instances(); n != 4 {
		t.Errorf("%d instances, want 4; log:\n%s", n, a.text())
	}
	for i := 1; i < len(pids); i++ {
		if pids[i] == pids[i-1] {
			t.Errorf("instances %d and %d share %s", i, i+1, pids[i])
		}
	}
}

// With a zero interval only death counts: a started instance without
// heartbeats is left alone.
func TestProcessZeroIntervalNoDeadline(t *testing.T) {
	a := startApp(t, "-policy", pol(PolicyRestart), "-interval", "0", "-modes", "lazy", "-hold", "600", "-code", "4")
	if code := a.exit(t, waitLong); code != 4 {
		t.Fatalf("exit %d; log:\n%s", code, a.text())
	}
	if _, ok := a.find(1, "warn"); ok || a.instances() != 1 {
		t.Errorf("instance disturbed without a deadline; log:\n%s", a.text())
	}
}

// The warn signal an instance sets reaches the supervisor, which uses it
// for that instance and the next.
func TestProcessWarnSignalSet(t *testing.T) {
	a := startApp(t, "-policy", pol(PolicyRestart), "-interval", "100", "-modes", "warnset,ignore,ok", "-hold", "100")
	if code := a.exit(t, waitLong); code != 0 {
		t.Fatalf("exit %d; log:\n%s", code, a.text())
	}
	want := "warn " + strconv.Itoa(int(syscall.SIGUSR1))
	for i := 1; i <= 2; i++ {
		if e := a.await(t, i, "warn ", 0); e.what != want {
			t.Errorf("instance %d: %q, want %q", i, e.what, want)
		}
	}
	if e := a.await(t, 1, "warnset", 0); e.what != "warnset <nil>" {
		t.Errorf("%q", e.what)
	}
}

// Data stored before Register reaches instance 1; data an instance
// stores reaches the next.
func TestProcessDataAcrossRestart(t *testing.T) {
	a := startApp(t, "-policy", pol(PolicyRestart), "-interval", "100", "-modes", "store,ok", "-hold", "50", "-predata", "pre")
	if code := a.exit(t, waitLong); code != 0 {
		t.Fatalf("exit %d; log:\n%s", code, a.text())
	}
	if e := a.await(t, 1, "inst", 0); !strings.Contains(e.what, `size=3 data="pre"`) {
		t.Errorf("instance 1: %q, want the supervisor's data", e.what)
	}
	if e := a.await(t, 1, "store", 0); e.what != "store <nil>" {
		t.Errorf("%q", e.what)
	}
	if e := a.await(t, 2, "inst", 0); !strings.Contains(e.what, `size=6 data="data-1"`) {
		t.Errorf("instance 2: %q, want instance 1's data", e.what)
	}
}

// The callback drives the heartbeats; once it fails they stop and the
// instance is recovered.
func TestProcessCallbackHealthCheck(t *testing.T) {
	const ivl = 100
	a := startApp(t, "-policy", pol(PolicyRestart), "-interval", strconv.Itoa(ivl), "-modes", "cb,lazy", "-cbfail", "4", "-hold", "50")
	if code := a.exit(t, waitLong); code != 0 {
		t.Fatalf("exit %d; log:\n%s", code, a.text())
	}
	if e := a.await(t, 1, "cbregister", 0); e.what != "cbregister <nil>" {
		t.Errorf("%q", e.what)
	}
	st := a.await(t, 1, "started", 0)
	fail := a.await(t, 1, "cb 4", 0)
	a.await(t, 2, "inst", 0)
	if _, ok := a.find(1, "cb 5"); ok {
		t.Error("callback called after it failed")
	}
	// Calls come once per interval: the fourth about three intervals
	// after the first, which comes a quarter interval after start.
	if d := fail.ms - st.ms; d < 3*ivl {
		t.Errorf("fourth callback %d ms after start, want ≥ %d", d, 3*ivl)
	}
}
