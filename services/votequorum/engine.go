package votequorum

import (
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"path/filepath"

	"github.com/gorosync/gorosync/services"
	"github.com/gorosync/gorosync/services/cmap"
	"github.com/gorosync/gorosync/shm"
)

// levelNotice is corosync's notice priority on slog.
const levelNotice = slog.Level(2)

var le = binary.LittleEndian

// Host is what the engine sends through: *services.Host.
type Host interface {
	Send(service, fn uint16, parts ...[]byte) error
}

// Engine is the votequorum service: a services.Engine (Deliverer, Syncer,
// Ticker) and the shm.Handler to serve under the socket name
// "votequorum".
type Engine struct {
	cfg   Config
	log   *slog.Logger
	store *cmap.Store
	host  Host

	nodes []*node // every node known, us included, by id
	us    *node
	qdev  node // the quorum device's pseudo node (id 0), not in nodes

	quorum      uint32
	quorate     bool
	members     []uint32 // of the current sync (corosync's quorum_members)
	prevMembers []uint32 // of the sync before
	ring        services.RingID

	twoNode, wfa, wfaStatus, wfaAutoset bool
	lms                                 bool
	lmsWindowMs                         uint32
	atb, initialATB                     atbMode
	atbList                             []uint32
	lowest, highest                     int64 // -1 until first quorate
	allowDownscale                      bool
	evBarrier                           uint32
	evTracking                          bool
	evTrackingBarrier                   uint32
	evTrackingPath                      string

	qd                               qdeviceState
	qdevTimeoutMs, qdevSyncTimeoutMs uint32

	syncing      bool
	syncOwed     syncSends // what SyncProcess still has to send
	syncWaitPoll bool      // SyncProcess waits for the qdevice's poll

	lmsTimer, qdevTimer timer
	nodeinfoOwed        bool // our NODEINFO could not be sent: retried on Tick
	sendFailing         bool // the last send failed (logged once)
	tracks              []*cmap.Track
	inCancel            bool // resetting quorum.cancel_wait_for_all

	trackers []*shm.Conn
	buf      []byte
}

// New reads the configuration, computes the startup quorum and publishes
// runtime.votequorum.*. A bad or incompatible configuration is an error
// naming the key. The engine's own NODEINFO goes out when it gets a host.
func New(cfg Config) (*Engine, error) {
	if cfg.Store == nil {
		return nil, errNoStore
	}
	if cfg.NodeID == 0 {
		return nil, errors.New("votequorum: Config.NodeID is 0")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.StateDir == "" {
		cfg.StateDir = DefaultStateDir
	}
	e := &Engine{cfg: cfg, log: cfg.Log, store: cfg.Store, lowest: -1, highest: -1,
		lmsWindowMs: defaultLMSWindowMs, evTrackingPath: filepath.Join(cfg.StateDir, "ev_tracking")}
	e.qd.canOperate = true
	e.qdevTimeoutMs, e.qdevSyncTimeoutMs = defaultQdevTimeoutMs, defaultQdevSyncTimeoutMs
	e.us = e.add(cfg.NodeID)
	e.us.state, e.us.votes, e.us.flags = NodeMember, 1, flagFirst
	e.putU32(keyThisNodeID, cfg.NodeID)
	if err := e.readConfig(false); err != nil {
		return nil, err
	}
	e.recalculate(false, false)
	for _, k := range roKeys {
		e.store.SetReadOnly(k, false, true)
	}
	e.trackConfig()
	e.nodeinfoOwed = true
	return e, nil
}

// roKeys are the startup-only keys, read-only to IPC clients.
var roKeys = []string{
	"quorum.allow_downscale", "quorum.wait_for_all", "quorum.last_man_standing",
	"quorum.last_man_standing_window", "quorum.expected_votes_tracking",
	"quorum.auto_tie_breaker", "quorum.auto_tie_breaker_node",
}

// ID is corosync's service id 5.
func (e *Engine) ID() uint16 { return services.VOTEQUORUM }

// Name is corosync's short name.
func (e *Engine) Name() string { return "votequorum" }

// SetHost gives the engine its host (after services.New or bus.Add) and
// sends the startup NODEINFO.
func (e *Engine) SetHost(h Host) {
	e.host = h
	e.sendOwedNodeinfo()
}

// Close removes the engine's cmap tracks (the daemon need not call it;
// tests restarting a node on the same store do).
func (e *Engine) Close() {
	for _, t := range e.tracks {
		t.Remove()
	}
	e.tracks = nil
}

// Leave is for the daemon's clean shutdown: with allow_downscale the other
// nodes are told this node is LEAVING, so that they lower their expected
// votes. It returns the send's error (nil when there is nothing to send).
func (e *Engine) Leave() error {
	if !e.allowDownscale {
		return nil
	}
	e.us.flags |= flagLeaving
	if !e.sendNodeinfo(e.us.id) {
		return errors.New("votequorum: the LEAVING NODEINFO could not be sent")
	}
	return nil
}

// Quorate is the node's verdict.
func (e *Engine) Quorate() bool { return e.quorate }

// Quorum is the current quorum (votes needed).
func (e *Engine) Quorum() uint32 { return e.quorum }

// ExpectedVotes is this node's expected votes.
func (e *Engine) ExpectedVotes() uint32 { return e.us.expected }

// send queues one exec message; false (logged) when the loop cannot take
// it or there is no host yet.
func (e *Engine) send(fn uint16, body []byte) bool {
	if e.host == nil {
		return false
	}
	if err := e.host.Send(services.VOTEQUORUM, fn, body); err != nil {
		if !e.sendFailing { // once per run of failures: Tick retries every poll
			e.log.Warn("votequorum: exec message not sent", "fn", fn, "err", err)
		}
		e.sendFailing = true
		return false
	}
	e.sendFailing = false
	return true
}

func (e *Engine) notice(msg string, args ...any) {
	e.log.Log(context.Background(), levelNotice, msg, args...)
}
func (e *Engine) crit(msg string)               { e.log.Error(msg) }
func (e *Engine) warn(msg string)               { e.log.Warn(msg) }
func (e *Engine) debug(msg string, args ...any) { e.log.Debug(msg, args...) }

func b8(v bool) uint8 {
	if v {
		return 1
	}
	return 0
}

// scratch returns a zeroed buffer of n bytes (reused).
func (e *Engine) scratch(n int) []byte {
	if cap(e.buf) < n {
		e.buf = make([]byte, n, max(n, 1024))
	}
	b := e.buf[:n]
	clear(b)
	return b
}
