package cpg

import (
	"errors"
	"log/slog"

	"github.com/gorosync/gorosync/services"
)

// Config is what the daemon gives the cpg engine.
type Config struct {
	// Log receives the service's messages (corosync's CPG subsystem).
	// Nil discards them.
	Log *slog.Logger
	// QueueBytes is how many bytes of accepted multicasts one connection
	// may have waiting (during sync, or while the token loop refuses
	// messages) before the service sets the connection's flow control to
	// refuse every send; what the client had already written is still
	// accepted, up to QueueBytes + 2 × its message size + one message,
	// beyond which a client that ignores flow control is disconnected.
	// Default 4 MiB.
	QueueBytes int
	// ZeroCopyDirs are the directories cpg_zcb_alloc files may be in
	// (libcpg makes them in /dev/shm, else in its run directory). Default
	// /dev/shm, /var/run, /run.
	ZeroCopyDirs []string
}

const defaultQueueBytes = 4 << 20

// Engine is cpg on the data plane (service 2): a services.Engine
// (Deliverer, ConfWatcher, Syncer, Ticker) and the IPC service of the
// "cpg" socket (shm.Handler). Build it with New, register it with the
// services host, then call SetHost.
type Engine struct {
	cfg   Config
	log   *slog.Logger
	host  *services.Host
	procs table
	cpds  []*cpd // live connections, in connection order

	backlog []*cpd // connections (live or gone) with queued messages
	fcSync  bool   // flow control is set for a sync round

	sync syncState

	stats Stats

	// scratch, reused: exec headers, replies, events
	hdr     []byte
	resp    []byte
	evBuf   []byte
	ev      [PartialDeliverSize]byte
	evParts [2][]byte
	one     [1][]byte
	zcBuf   []byte
}

// Stats are the engine's counters.
type Stats struct {
	BadRequests   uint64 // IPC requests with a wrong size or field
	BadMessages   uint64 // exec messages that did not decode
	DroppedMcasts uint64 // multicasts refused without a reply channel (not joined, malformed, too big)
	UnknownNode   uint64 // multicasts not delivered: no process of the sender's node in the group
	Queued        uint64 // exec messages that waited in a connection's queue
	Overflows     uint64 // clients disconnected for ignoring flow control
	Connections   int    // connections open now
	Backlog       int    // connections (open or gone) with queued messages now
}

// New returns an engine with no host yet.
func New(cfg Config) *Engine {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.QueueBytes <= 0 {
		cfg.QueueBytes = defaultQueueBytes
	}
	if len(cfg.ZeroCopyDirs) == 0 {
		cfg.ZeroCopyDirs = []string{"/dev/shm", "/var/run", "/run"}
	}
	e := &Engine{cfg: cfg, log: cfg.Log}
	e.procs.init()
	e.hdr = make([]byte, 0, 64)
	e.resp = make([]byte, MembershipResSize)
	return e
}

// SetHost gives the engine its host (after services.New).
func (e *Engine) SetHost(h *services.Host) { e.host = h }

// ID is corosync's service id of cpg.
func (e *Engine) ID() uint16 { return services.CPG }

// Name is the short name in cmap.
func (e *Engine) Name() string { return "cpg" }

// ExecFunctions is the number of exec functions (runtime.services.cpg.N).
func (e *Engine) ExecFunctions() int { return numExecFns }

// Stats returns the counters.
func (e *Engine) Stats() Stats {
	s := e.stats
	s.Connections, s.Backlog = len(e.cpds), len(e.backlog)
	return s
}

func (e *Engine) nodeID() uint32 { return e.host.NodeID() }

func (e *Engine) syncing() bool { return e.host == nil || e.host.Syncing() }

var errNoHost = errors.New("cpg: no host")

// send queues one exec message for the agreed order; safe: delivered
// only once every member holds it (CPG_TYPE_SAFE).
func (e *Engine) send(safe bool, fn uint16, parts ...[]byte) error {
	switch {
	case e.host == nil:
		return errNoHost
	case safe:
		return e.host.SendSafe(services.CPG, fn, parts...)
	}
	return e.host.Send(services.CPG, fn, parts...)
}

// Deliver handles an exec message in the agreed order.
func (e *Engine) Deliver(from uint32, fn uint16, msg []byte) {
	switch fn {
	case fnMcast:
		e.onMcast(from, msg)
	case fnPartialMcast:
		e.onPartial(from, msg)
	case fnProcJoin:
		m, ok := decodeProcJoin(msg)
		if !ok {
			e.badMessage(from, fn)
			return
		}
		e.onProcJoin(from, m)
	case fnProcLeave:
		m, ok := decodeProcLeave(msg)
		if !ok {
			e.badMessage(from, fn)
			return
		}
		e.onProcLeave(from, m)
	case fnJoinList:
		e.onJoinList(from, msg)
	case fnDownlist:
		if _, n, ok := decodeDownlist(msg); ok {
			e.log.Debug("downlist received", "from", from, "left_nodes", n)
		} else {
			e.badMessage(from, fn)
		}
	case fnDownlistOld:
	default:
		e.badMessage(from, fn)
	}
}

func (e *Engine) badMessage(from uint32, fn uint16) {
	e.stats.BadMessages++
	e.log.Warn("malformed exec message dropped", "from", from, "fn", fn)
}

// ConfChange: a configuration change starts a sync round; until it
// completes every connection's multicasts are held (flow control 2).
func (e *Engine) ConfChange(services.ConfChange) {
	e.fcSync = true
	e.applyFlowControl(true)
}

// Tick sends the queued messages once sync is over and lifts the flow
// control of the round.
func (e *Engine) Tick(int64) int {
	if e.host == nil {
		return 0
	}
	if e.host.Syncing() {
		if !e.fcSync {
			e.fcSync = true
			e.applyFlowControl(true)
			return 1
		}
		return 0
	}
	work := 0
	if len(e.backlog) > 0 {
		work += e.drain()
	}
	if e.fcSync {
		e.fcSync = false
		e.applyFlowControl(false)
		work++
	}
	return work
}
