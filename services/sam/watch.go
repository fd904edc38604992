package sam

import (
	"syscall"
	"time"

	"github.com/gorosync/gorosync/services/cserror"
)

// action is what the supervisor does once it stops watching a child
// (libsam's parent actions).
type action int

const (
	actContinue action = iota // keep watching
	actRecovery               // the child failed: restart it, or quit with base policy QUIT
	actQuit                   // the child ended while not health checked: exit with its status
)

// effects are the watch's outputs, done by the supervisor's driver (and
// recorded by tests).
type effects interface {
	signal(sig syscall.Signal) // to the child
	reply(e Error)             // to the child's pending call
	setState(s string)         // the cmap "state" key (CMAP policy)
	touch()                    // the cmap "last_updated" key (CMAP policy)
}

// The cmap state values (TOTEM_SPEC §11.5).
const (
	stateStopped = "stopped"
	stateRunning = "running"
	stateWaiting = "waiting for quorum"
	stateFailed  = "failed"
)

// watch is the supervisor's decision logic (TOTEM_SPEC §11.3) as a pure
// state machine: events in (commands, the child's end, timeouts, quorum
// changes), effects and an action out. What outlives one child (policy,
// warn signal, data, quorum) stays across reset.
type watch struct {
	fx         effects
	policy     Policy
	intervalMs int
	warnSig    syscall.Signal
	data       []byte

	quorate      bool // the node's last known verdict (QUORUM policy)
	quorumBroken bool // the quorum connection failed: START is refused

	// Per child.
	started  bool
	termSent bool // the warn signal went; the next failure sends SIGKILL
	waiting  bool // START deferred until quorate
	act      action
	// deadline is when the health check fails (zero: none). now is the
	// time of the event being handled, set by step.
	deadline, now time.Time
}

// reset starts watching a new child.
func (w *watch) reset(fx effects) {
	w.fx = fx
	w.started, w.termSent, w.waiting, w.act = false, false, false, actContinue
	w.deadline = time.Time{}
}

func (w *watch) interval() time.Duration { return time.Duration(w.intervalMs) * time.Millisecond }

// step handles one event at now with f and then sets the deadline: none
// unless started with a non-zero interval; a full interval from every
// event (libsam polls with the whole interval after each one), except
// once the warn signal went: then the child has one interval from the
// warning, whatever it sends, as sam_overview(3) describes (libsam's
// re-armed poll would let a child that ignores the warning but still
// sends heartbeats, e.g. after losing quorum, live on).
func (w *watch) step(now time.Time, f func()) {
	w.now = now
	f()
	switch {
	case !w.started || w.intervalMs == 0 || w.act != actContinue:
		w.deadline = time.Time{}
	case w.termSent && !w.deadline.IsZero():
	default:
		w.deadline = now.Add(w.interval())
	}
}

// command handles one frame from the child (already length-checked).
func (w *watch) command(f frame) {
	switch f.kind {
	case cmdStart:
		w.start()
	case cmdStop:
		w.started = false
		w.fx.setState(stateStopped)
	case cmdHB:
		w.fx.touch()
	case cmdDataStore:
		w.data = append([]byte(nil), f.body...)
		if len(f.body) == 0 {
			w.data = nil
		}
		w.fx.reply(cserror.OK)
	case cmdWarnSignal:
		w.warnSig = syscall.Signal(int32(le.Uint32(f.body)))
		w.fx.reply(cserror.OK)
	case cmdMarkFailed:
		w.markFailed()
	}
}

func (w *watch) start() {
	switch {
	case w.started:
		w.fx.reply(cserror.OK)
	case w.policy.quorum() && w.quorumBroken:
		w.fx.reply(cserror.ErrLibrary)
	case w.policy.quorum() && !w.quorate:
		w.waiting = true
		w.fx.setState(stateWaiting)
	default:
		w.begin()
	}
}

// begin answers START: health checking runs from now.
func (w *watch) begin() {
	w.waiting, w.started = false, true
	w.fx.setState(stateRunning)
	w.fx.touch()
	w.fx.reply(cserror.OK)
}

// markFailed: state "failed", policy QUIT from now on, SIGKILL without a
// warning; the child's death then ends the supervisor keeping "failed".
func (w *watch) markFailed() {
	w.fx.setState(stateFailed)
	w.policy = PolicyQuit | w.policy&(PolicyQuorum|PolicyCMAP)
	w.started = true
	w.fx.signal(syscall.SIGKILL)
	w.act = actRecovery
}

// timeout: no heartbeat within the interval.
func (w *watch) timeout() {
	if !w.started {
		w.act = actQuit
		return
	}
	w.kill()
}

// kill is one step of the recovery: the warn signal first, SIGKILL on the
// next failure.
func (w *watch) kill() {
	if !w.termSent {
		w.termSent = true
		w.fx.signal(w.warnSig)
		if w.intervalMs > 0 {
			w.deadline = w.now.Add(w.interval())
		}
		return
	}
	w.fx.signal(syscall.SIGKILL)
	w.act = actRecovery
}

// childGone: the command pipe reached its end, the child exited.
func (w *watch) childGone() {
	if w.started {
		w.act = actRecovery
		return
	}
	w.act = actQuit
}

// broken: the child wrote a frame we cannot parse; it is killed and
// treated as dead.
func (w *watch) broken() {
	w.fx.signal(syscall.SIGKILL)
	w.childGone()
}

// quorum records a verdict; losing quorum while started is a failure.
func (w *watch) quorum(quorate bool) {
	w.quorate = quorate
	switch {
	case quorate && w.waiting:
		w.begin()
	case !quorate && w.started:
		w.kill()
	}
}

// quorumFailed: the quorum connection is gone. A pending START gets the
// error; a started child is treated as having lost quorum (the node can
// no longer vouch for it).
func (w *watch) quorumFailed(e Error) {
	w.quorumBroken, w.quorate = true, false
	if w.waiting {
		w.waiting = false
		w.fx.setState(stateStopped)
		w.fx.reply(e)
	}
	if w.started {
		w.kill()
	}
}
