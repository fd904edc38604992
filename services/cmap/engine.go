package cmap

import (
	"encoding/binary"
	"fmt"
	"log/slog"

	"github.com/gorosync/gorosync/services"
)

// fnVersion is the cmap engine's one exec function (as corosync's): a
// node's configuration version, with the reason it is sent.
const fnVersion uint16 = 0

// Reasons of a version message.
const (
	reasonSync       byte = 0 // sent by sync_process
	reasonNewVersion byte = 1 // totem.config_version changed at runtime
)

// versionMsgBytes: reason, has-version, version u64.
const versionMsgBytes = 10

const configVersionKey = "totem.config_version"

// Engine is cmap on the data plane (service 0): the totem.config_version
// check of sync (TOTEM_SPEC §10.6) and runtime.members.<id>.config_version.
// A node that joins others with a configuration version different from
// theirs stops itself, because running with a stale corosync.conf splits
// the cluster's idea of its own shape.
type Engine struct {
	store *Store
	host  *services.Host
	cfg   EngineConfig

	mine, highest uint64
	checked       bool // the first sync with other nodes happened
	members       int
	track         *Track
	msg           [versionMsgBytes]byte
}

// EngineConfig is what the daemon gives the cmap engine.
type EngineConfig struct {
	// Fatal stops the daemon (corosync's shutdown request) with reason.
	Fatal func(reason string)
	Log   *slog.Logger
}

// NewEngine makes the engine for store; call SetHost before the first
// configuration change.
func NewEngine(store *Store, cfg EngineConfig) *Engine {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Fatal == nil {
		cfg.Fatal = func(string) {}
	}
	return &Engine{store: store, cfg: cfg}
}

// SetHost connects the engine to its host and starts watching
// totem.config_version for runtime changes.
func (e *Engine) SetHost(h *services.Host) {
	e.host = h
	if e.track == nil {
		e.track, _ = e.store.Track(configVersionKey, TrackAdd|TrackModify|TrackDelete, func(*Track, Event) {
			_ = e.send(reasonNewVersion)
		})
	}
}

func (e *Engine) ID() uint16   { return services.CMAP }
func (e *Engine) Name() string { return "cmap" }

// ConfigVersion reads totem.config_version (0 when unset).
func (e *Engine) ConfigVersion() (uint64, bool) {
	v, ok := e.store.Get(configVersionKey)
	if !ok || v.Type != U64 {
		return 0, false
	}
	return v.uint(), true
}

func (e *Engine) send(reason byte) error {
	v, ok := e.ConfigVersion()
	e.msg = [versionMsgBytes]byte{reason}
	if ok {
		e.msg[1] = 1
		binary.LittleEndian.PutUint64(e.msg[2:], v)
	}
	return e.host.Send(services.CMAP, fnVersion, e.msg[:])
}

// ExecFunctions: one (runtime.services.cmap.0.tx/rx).
func (e *Engine) ExecFunctions() int { return 1 }

// SyncInit implements services.Syncer.
func (e *Engine) SyncInit(trans, members []uint32, ring services.RingID) {
	e.mine, _ = e.ConfigVersion()
	e.highest = e.mine
	e.members = len(members)
}

// SyncProcess sends this node's version; it asks again while the loop
// cannot take the message.
func (e *Engine) SyncProcess() bool { return e.send(reasonSync) == nil }

// SyncActivate checks, on the first sync with other nodes, that nobody has
// a different configuration version.
func (e *Engine) SyncActivate() {
	if e.checked || e.members < 2 {
		return
	}
	e.checked = true
	if e.mine != 0 && e.highest != e.mine {
		reason := fmt.Sprintf("Received config version (%d) is different than my config version (%d)! Exiting", e.highest, e.mine)
		e.cfg.Log.Error(reason)
		e.cfg.Fatal(reason)
	}
}

// SyncAbort implements services.Syncer.
func (e *Engine) SyncAbort() {}

// Deliver records a member's configuration version.
func (e *Engine) Deliver(from uint32, fn uint16, msg []byte) {
	if len(msg) < versionMsgBytes || fn != fnVersion || msg[0] > reasonNewVersion {
		return
	}
	// A sender without totem.config_version counts as version 0 in
	// runtime.members (as corosync 3.1.7 shows it) but not in the check.
	v := binary.LittleEndian.Uint64(msg[2:])
	if msg[1] != 0 && from != e.host.NodeID() && v > e.highest {
		e.highest = v
	}
	e.store.Set(fmt.Sprintf("runtime.members.%d.config_version", from), Int(U64, v))
}
