package sam

import (
	"log/slog"
	"math"
	"sync"
	"syscall"

	"github.com/gorosync/gorosync/services/cserror"
)

// state is the library state of TOTEM_SPEC §11.2.
type state int

const (
	stNotInitialized state = iota
	stInitialized          // Initialize done (supervisor, or child before Register)
	stRegistered           // child: Register done, not health checked
	stStarted              // child: health checked
	stFinalized
)

// maxIntervalMs is the largest health-check interval (time_interval is a
// C int).
const maxIntervalMs = math.MaxInt32

// Options are what the Go API adds to sam_initialize's arguments.
type Options struct {
	// CmapService is the cmap service's socket name (default "cmap");
	// tests serve a private one.
	CmapService string
	// QuorumService is the quorum service's socket name (default
	// "quorum").
	QuorumService string
	// Log receives the supervisor's diagnostics (failed cmap updates, a
	// lost quorum connection, restarts). Default: discarded.
	Log *slog.Logger
}

// lib is the process-wide libsam instance (sam_internal_data).
type lib struct {
	mu         sync.Mutex
	st         state
	intervalMs int
	policy     Policy
	warnSig    syscall.Signal
	data       []byte
	instance   uint32
	opts       Options

	// link is the pipe pair to the supervisor; non-nil only in a child.
	link *childLink
	// q is the quorum connection the supervisor opens at Initialize.
	q *quorumWatch
	// supervising: Register runs the supervisor (a second Register from
	// another goroutine is refused).
	supervising bool

	// hcCB is the health-check callback; hc runs it (child only).
	hcCB  func() error
	cbSet bool // a callback was registered once (sam's cb_registered)
	hc    *hcLoop
}

func newLib(link *childLink) *lib { return &lib{link: link} }

// usable is the check of the data and signal calls: initialised and not
// finalized.
func (l *lib) usable() bool {
	return l.st == stInitialized || l.st == stRegistered || l.st == stStarted
}

// hasParent: the calls that reach the supervisor do so only from a
// registered child.
func (l *lib) hasParent() bool { return l.st == stRegistered || l.st == stStarted }

func (l *lib) initialize(intervalMs int, p Policy, o Options) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.st != stNotInitialized {
		return cserror.ErrBadHandle
	}
	if !p.valid() || intervalMs < 0 || intervalMs > maxIntervalMs {
		return cserror.ErrInvalidParam
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	// A child does not talk to quorum: its supervisor does (libsam's
	// child inherits the handle but never uses it).
	if p.quorum() && l.link == nil {
		q, err := dialQuorum(o.QuorumService)
		if err != nil {
			return err
		}
		l.q = q
	}
	l.intervalMs, l.policy, l.opts = intervalMs, p, o
	l.warnSig = syscall.SIGTERM
	l.data = nil
	l.st = stInitialized
	return nil
}

func (l *lib) register() (uint32, error) {
	l.mu.Lock()
	if l.st != stInitialized || l.supervising {
		l.mu.Unlock()
		return 0, cserror.ErrBadHandle
	}
	if l.link != nil {
		defer l.mu.Unlock()
		return l.adopt()
	}
	sup := newSupervisor(l)
	l.supervising = true
	l.mu.Unlock()
	code, err := sup.run()
	if err != nil {
		return 0, err
	}
	osExit(code)
	return 0, cserror.ErrLibrary // not reached but with a stubbed osExit
}

// adopt takes what the supervisor sends a new child (l.mu held).
func (l *lib) adopt() (uint32, error) {
	h, err := l.link.hello()
	if err != nil {
		return 0, cserror.ErrLibrary
	}
	l.instance, l.warnSig = h.instance, syscall.Signal(h.warnSig)
	l.policy, l.intervalMs = h.policy, int(h.intervalMs)
	l.data = h.data
	l.st = stRegistered
	return l.instance, nil
}

func (l *lib) start() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.st != stRegistered {
		return cserror.ErrBadHandle
	}
	// With a quorum policy the reply waits until the node is quorate.
	if err := l.link.call(cmdStart); err != nil {
		return err
	}
	l.st = stStarted
	if l.hc != nil {
		l.hc.kick(true)
	}
	return nil
}

func (l *lib) stop() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.stopLocked()
}

func (l *lib) stopLocked() error {
	if l.st != stStarted {
		return cserror.ErrBadHandle
	}
	if err := l.link.send(cmdStop); err != nil {
		return err
	}
	l.st = stRegistered
	if l.hc != nil {
		l.hc.kick(false)
	}
	return nil
}

func (l *lib) hcSend() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.st != stStarted {
		return cserror.ErrBadHandle
	}
	return l.link.send(cmdHB)
}

func (l *lib) finalize() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.usable() {
		return cserror.ErrBadHandle
	}
	if l.st == stStarted {
		_ = l.stopLocked()
	}
	if l.hc != nil {
		l.hc.end()
		l.hc = nil
	}
	if l.q != nil {
		l.q.close()
		l.q = nil
	}
	l.data = nil
	l.st = stFinalized
	return nil
}
