package sam

import (
	"fmt"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorosync/gorosync/services/cserror"
)

// fx records the watch's effects as words.
type fx struct{ log []string }

func (f *fx) signal(sig syscall.Signal) { f.log = append(f.log, fmt.Sprintf("signal %d", int(sig))) }
func (f *fx) reply(e Error)             { f.log = append(f.log, "reply "+e.Error()) }
func (f *fx) setState(s string)         { f.log = append(f.log, "state "+s) }
func (f *fx) touch()                    { f.log = append(f.log, "touch") }

// take returns and clears the recorded effects.
func (f *fx) take() string {
	s := strings.Join(f.log, "; ")
	f.log = nil
	return s
}

var t0 = time.Unix(1000, 0)

func ms(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }

func newWatch(p Policy, intervalMs int) (*watch, *fx) {
	f := &fx{}
	w := &watch{policy: p, intervalMs: intervalMs, warnSig: syscall.SIGTERM}
	w.reset(f)
	return w, f
}

func cmd(kind uint32, body ...byte) func(*watch) func() {
	return func(w *watch) func() { return func() { w.command(frame{kind, body}) } }
}

func TestWatchTimeoutWarnsThenKills(t *testing.T) {
	w, f := newWatch(PolicyRestart, 100)
	w.step(ms(0), cmd(cmdStart)(w))
	if got := f.take(); got != "state running; touch; reply success" {
		t.Fatalf("start: %s", got)
	}
	if w.deadline != ms(100) {
		t.Fatalf("deadline %v", w.deadline.Sub(t0))
	}
	w.step(ms(50), cmd(cmdHB)(w))
	if w.deadline != ms(150) {
		t.Fatalf("heartbeat should re-arm: deadline %v", w.deadline.Sub(t0))
	}
	w.step(ms(150), w.timeout)
	if got := f.take(); got != "touch; signal 15" || w.act != actContinue {
		t.Fatalf("first timeout: %q act %v", got, w.act)
	}
	// After the warning, heartbeats no longer move the deadline.
	w.step(ms(200), cmd(cmdHB)(w))
	if w.deadline != ms(250) {
		t.Fatalf("deadline after warning %v, want warning + interval", w.deadline.Sub(t0))
	}
	w.step(ms(250), w.timeout)
	if got := f.take(); got != "touch; signal 9" || w.act != actRecovery {
		t.Fatalf("second timeout: %q act %v", got, w.act)
	}
}

func TestWatchWarnSignalKill(t *testing.T) {
	w, f := newWatch(PolicyQuit, 100)
	w.step(ms(0), cmd(cmdWarnSignal, 9, 0, 0, 0)(w))
	w.step(ms(0), cmd(cmdStart)(w))
	f.take()
	w.step(ms(100), w.timeout)
	if got := f.take(); got != "signal 9" || w.act != actContinue {
		t.Fatalf("SIGKILL as warning: %q %v", got, w.act)
	}
	w.step(ms(110), w.childGone)
	if w.act != actRecovery {
		t.Fatalf("death while started: %v", w.act)
	}
}

func TestWatchChildGone(t *testing.T) {
	w, _ := newWatch(PolicyRestart, 100)
	w.step(ms(0), w.childGone)
	if w.act != actQuit {
		t.Fatalf("death while stopped: %v, want quit", w.act)
	}
	w.reset(&fx{})
	w.step(ms(0), cmd(cmdStart)(w))
	w.step(ms(1), cmd(cmdStop)(w))
	if !w.deadline.IsZero() {
		t.Fatal("deadline while stopped")
	}
	w.step(ms(2), w.childGone)
	if w.act != actQuit {
		t.Fatalf("death after stop: %v", w.act)
	}
	w.reset(&fx{})
	w.step(ms(0), cmd(cmdStart)(w))
	w.step(ms(1), w.broken)
	if w.act != actRecovery {
		t.Fatalf("garbage while started: %v", w.act)
	}
}

func TestWatchZeroIntervalNoDeadline(t *testing.T) {
	w, _ := newWatch(PolicyRestart, 0)
	w.step(ms(0), cmd(cmdStart)(w))
	if !w.deadline.IsZero() {
		t.Fatal("deadline with a zero interval")
	}
}

func TestWatchDataAndSignalOutliveReset(t *testing.T) {
	w, f := newWatch(PolicyRestart, 100)
	w.step(ms(0), cmd(cmdDataStore, 'a', 'b')(w))
	w.step(ms(0), cmd(cmdWarnSignal, 10, 0, 0, 0)(w))
	if got := f.take(); got != "reply success; reply success" {
		t.Fatalf("%q", got)
	}
	w.reset(&fx{})
	if string(w.data) != "ab" || w.warnSig != syscall.SIGUSR1 {
		t.Fatalf("data %q warn %v after reset", w.data, w.warnSig)
	}
	w.step(ms(0), cmd(cmdDataStore)(w))
	if w.data != nil {
		t.Fatalf("empty store kept %q", w.data)
	}
}

func TestWatchMarkFailed(t *testing.T) {
	w, f := newWatch(PolicyRestart|PolicyCMAP, 100)
	w.step(ms(0), cmd(cmdMarkFailed)(w))
	if got := f.take(); got != "state failed; signal 9" {
		t.Fatalf("%q", got)
	}
	if w.act != actRecovery || w.policy != PolicyQuit|PolicyCMAP {
		t.Fatalf("act %v policy %#x", w.act, w.policy)
	}
}

func TestWatchQuorum(t *testing.T) {
	w, f := newWatch(PolicyQuorumRestart|PolicyCMAP, 100)
	w.step(ms(0), cmd(cmdStart)(w))
	if got := f.take(); got != "state waiting for quorum" || w.started {
		t.Fatalf("start without quorum: %q started %v", got, w.started)
	}
	if !w.deadline.IsZero() {
		t.Fatal("deadline while waiting for quorum")
	}
	w.step(ms(10), func() { w.quorum(true) })
	if got := f.take(); got != "state running; touch; reply success" || !w.started {
		t.Fatalf("quorate: %q", got)
	}
	w.step(ms(20), func() { w.quorum(false) })
	if got := f.take(); got != "signal 15" {
		t.Fatalf("quorum lost: %q", got)
	}
	w.step(ms(40), cmd(cmdHB)(w))
	if w.deadline != ms(120) {
		t.Fatalf("deadline %v, want warning + interval", w.deadline.Sub(t0))
	}
	w.step(ms(120), w.timeout)
	if w.act != actRecovery || f.take() != "touch; signal 9" {
		t.Fatal("no SIGKILL one interval after the warning")
	}
	// The next instance starts at once while quorate.
	w.reset(f)
	w.step(ms(130), func() { w.quorum(true) })
	w.step(ms(140), cmd(cmdStart)(w))
	if got := f.take(); got != "state running; touch; reply success" {
		t.Fatalf("start while quorate: %q", got)
	}
}

func TestWatchQuorumConnectionLost(t *testing.T) {
	w, f := newWatch(PolicyQuorumQuit, 100)
	w.step(ms(0), cmd(cmdStart)(w))
	w.step(ms(1), func() { w.quorumFailed(cserror.ErrLibrary) })
	if got := f.take(); !slices.Equal(strings.Split(got, "; "), []string{
		"state waiting for quorum", "state stopped", "reply CS_ERR_LIBRARY"}) {
		t.Fatalf("%q", got)
	}
	w.step(ms(2), cmd(cmdStart)(w))
	if got := f.take(); got != "reply CS_ERR_LIBRARY" || w.started {
		t.Fatalf("start after the loss: %q", got)
	}
}

func TestWatchStopStartAfterWarning(t *testing.T) {
	w, _ := newWatch(PolicyRestart, 100)
	w.step(ms(0), cmd(cmdStart)(w))
	w.step(ms(100), w.timeout)
	w.step(ms(110), cmd(cmdStop)(w))
	w.step(ms(120), cmd(cmdStart)(w))
	if w.deadline != ms(220) {
		t.Fatalf("deadline after a restart of checks %v", w.deadline.Sub(t0))
	}
	w.step(ms(220), w.timeout)
	if w.act != actRecovery {
		t.Fatal("the warning was already sent: the next failure must kill")
	}
}
