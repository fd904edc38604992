package sam

import (
	"strconv"
	"testing"
	"time"

	"github.com/gorosync/gorosync/services/cmap"
	"github.com/gorosync/gorosync/services/cserror"
)

// These tests serve cmap and quorum in this process under private names
// (startSvc) and point the supervisor at them.

func keyOf(a *app, k string) string { return cmapPrefix(a.cmd.Process.Pid) + k }

func isStr(s string) func(cmap.Value, bool) bool {
	return func(v cmap.Value, ok bool) bool { return ok && v.Equal(cmap.Str(s)) }
}

func gone(_ cmap.Value, ok bool) bool { return !ok }

// The keys appear at Register with state "stopped", go "running" at
// Start, last_updated moves with the heartbeats, and a normal quit
// removes them all.
func TestCmapKeysLifecycle(t *testing.T) {
	s := startSvc(t, true)
	a := startApp(t, "-policy", pol(PolicyRestart|PolicyCMAP), "-interval", "200", "-cmap", s.cmapName,
		"-modes", "ok", "-startfile", "@start", "-go", "@go")
	s.awaitKey(t, keyOf(a, keyState), isStr(stateStopped), waitLong)
	keys := s.keys(t)
	if v := keys[keyOf(a, keyRecovery)]; !v.Equal(cmap.Str("restart")) {
		t.Errorf("recovery %v", v)
	}
	if v := keys[keyOf(a, keyPollPeriod)]; !v.Equal(cmap.Int(cmap.U64, 200)) {
		t.Errorf("poll_period %v", v)
	}
	first := keys[keyOf(a, keyLastUpdated)]
	if first.Type != cmap.U64 {
		t.Fatalf("last_updated %v", first)
	}
	if len(keys) != 4 {
		t.Errorf("keys %v, want the four of §11.5", keys)
	}

	a.touch(t, "start")
	s.awaitKey(t, keyOf(a, keyState), isStr(stateRunning), waitLong)
	a.await(t, 1, "started", waitLong)
	later := s.awaitKey(t, keyOf(a, keyLastUpdated), func(v cmap.Value, ok bool) bool {
		return ok && !v.Equal(first)
	}, waitLong)
	time.Sleep(150 * time.Millisecond)
	latest := s.keys(t)[keyOf(a, keyLastUpdated)]
	if u64(latest) <= u64(later) || u64(later) <= u64(first) {
		t.Errorf("last_updated %d, %d, %d: want it growing with heartbeats", u64(first), u64(later), u64(latest))
	}

	a.touch(t, "go")
	if code := a.exit(t, waitLong); code != 0 {
		t.Fatalf("exit %d; log:\n%s", code, a.text())
	}
	if keys := s.keys(t); len(keys) != 0 {
		t.Errorf("keys left after a normal quit: %v", keys)
	}
}

func u64(v cmap.Value) uint64 {
	if len(v.Data) != 8 {
		return 0
	}
	return le.Uint64(v.Data)
}

// A failure under QUIT leaves the keys, state "failed", for the watchdog.
func TestCmapFailedQuitKeepsKeys(t *testing.T) {
	s := startSvc(t, true)
	a := startApp(t, "-policy", pol(PolicyQuit|PolicyCMAP), "-interval", "100", "-cmap", s.cmapName, "-modes", "hang")
	a.exit(t, waitLong)
	keys := s.keys(t)
	if v := keys[keyOf(a, keyState)]; !v.Equal(cmap.Str(stateFailed)) {
		t.Errorf("state %v after a failure under QUIT, want failed; keys %v", v, keys)
	}
	if v := keys[keyOf(a, keyRecovery)]; !v.Equal(cmap.Str("quit")) {
		t.Errorf("recovery %v", v)
	}
}

// MarkFailed under RESTART: no warning, no restart, state "failed".
func TestCmapMarkFailed(t *testing.T) {
	s := startSvc(t, true)
	a := startApp(t, "-policy", pol(PolicyRestart|PolicyCMAP), "-interval", "5000", "-cmap", s.cmapName, "-modes", "markfailed")
	a.exit(t, waitLong)
	a.await(t, 1, "markfailing", 0)
	if e, ok := a.find(1, "markfailed"); ok && e.what != "markfailed <nil>" {
		t.Errorf("%q", e.what)
	}
	if _, ok := a.find(1, "warn"); ok {
		t.Error("mark_failed sent the warn signal")
	}
	if n := a.instances(); n != 1 {
		t.Errorf("%d instances after mark_failed, want 1; log:\n%s", n, a.text())
	}
	keys := s.keys(t)
	if v := keys[keyOf(a, keyState)]; !v.Equal(cmap.Str(stateFailed)) {
		t.Errorf("state %v, want failed", v)
	}
	if v := keys[keyOf(a, keyRecovery)]; !v.Equal(cmap.Str("restart")) {
		t.Errorf("recovery %v", v)
	}
}

// MarkFailed without the CMAP flag is refused and nothing happens.
func TestProcessMarkFailedNeedsCmap(t *testing.T) {
	a := startApp(t, "-policy", pol(PolicyRestart), "-interval", "5000", "-modes", "markfailed")
	e := a.await(t, 1, "markfailed ", waitLong)
	if e.what != "markfailed "+cserror.ErrInvalidParam.Error() {
		t.Errorf("%q, want CS_ERR_INVALID_PARAM", e.what)
	}
	time.Sleep(100 * time.Millisecond)
	if !a.running() {
		t.Errorf("supervisor ended; log:\n%s", a.text())
	}
}

// QUORUM_RESTART with cmap: Start waits for quorum ("waiting for
// quorum"); losing quorum recovers the instance even though it keeps
// sending heartbeats and ignores the warning; the next one waits again.
func TestQuorumPolicy(t *testing.T) {
	const ivl = 150
	s := startSvc(t, false)
	a := startApp(t, "-policy", pol(PolicyQuorumRestart|PolicyCMAP), "-interval", strconv.Itoa(ivl),
		"-cmap", s.cmapName, "-quorum", s.quorumName, "-modes", "quorum", "-go", "@go")
	a.await(t, 1, "starting", waitLong)
	s.awaitKey(t, keyOf(a, keyState), isStr(stateWaiting), waitLong)
	time.Sleep(2 * ivl * time.Millisecond)
	if _, ok := a.find(1, "started"); ok {
		t.Fatalf("Start returned without quorum; log:\n%s", a.text())
	}

	s.setQuorate(t, true)
	a.await(t, 1, "started", waitLong)
	s.awaitKey(t, keyOf(a, keyState), isStr(stateRunning), waitLong)
	time.Sleep(2 * ivl * time.Millisecond) // heartbeats keep it alive
	if _, ok := a.find(1, "warn"); ok {
		t.Fatalf("warned while quorate; log:\n%s", a.text())
	}

	s.setQuorate(t, false)
	warn := a.await(t, 1, "warn", waitLong)
	a.await(t, 2, "starting", waitLong)
	next := a.await(t, 2, "inst", 0)
	if d := next.ms - warn.ms; d < ivl-20 {
		t.Errorf("instance 2 %d ms after the warning, want one interval", d)
	}
	s.awaitKey(t, keyOf(a, keyState), isStr(stateWaiting), waitLong)

	s.setQuorate(t, true)
	a.await(t, 2, "started", waitLong)
	a.touch(t, "go")
	if code := a.exit(t, waitLong); code != 0 {
		t.Fatalf("exit %d; log:\n%s", code, a.text())
	}
	s.awaitKey(t, keyOf(a, keyState), gone, waitLong)
}

// Initialize with a quorum policy fails when there is no quorum service.
func TestQuorumPolicyWithoutService(t *testing.T) {
	a := startApp(t, "-policy", pol(PolicyQuorumQuit), "-quorum", "gssam-nosuch-quorum")
	if code := a.exit(t, waitLong); code != 90 {
		t.Fatalf("exit %d, want samapp's init-error 90; log:\n%s", code, a.text())
	}
	if e := a.await(t, 0, "init-error", 0); e.what != "init-error "+cserror.ErrLibrary.Error() {
		t.Errorf("%q, want CS_ERR_LIBRARY", e.what)
	}
}
