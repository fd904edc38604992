package services

import (
	"github.com/gorosync/gorosync/dataplane/totem"
	"github.com/gorosync/gorosync/dataplane/wire"
)

// Service ids, corosync's (TOTEM_SPEC §7.1).
const (
	CMAP       uint16 = 0
	CFG        uint16 = 1
	CPG        uint16 = 2
	QUORUM     uint16 = 3
	VOTEQUORUM uint16 = 5
)

// RingID names a configuration: the representative and the sequence.
type RingID = wire.RingID

// ConfChange is one configuration change as totem delivers it.
type ConfChange = totem.ConfChange

// Configuration change kinds.
const (
	Transitional = totem.Transitional
	Regular      = totem.Regular
)

// Engine is a service on the data plane. It implements any of Deliverer,
// ConfWatcher, Syncer and Ticker besides.
type Engine interface {
	// ID is corosync's service id (CMAP, CFG, …): it orders sync and
	// routes exec messages.
	ID() uint16
	// Name is the short name corosync publishes in cmap ("votequorum").
	Name() string
}

// Deliverer receives the engine's exec messages in the agreed order, on
// every node, including the sender. msg is the payload after the header,
// valid only during the call.
type Deliverer interface {
	Deliver(from uint32, fn uint16, msg []byte)
}

// ConfWatcher sees every configuration change, transitional and regular,
// before sync starts for it.
type ConfWatcher interface {
	ConfChange(cc ConfChange)
}

// Syncer takes part in the sync engine (corosync's sync_init, sync_process,
// sync_activate, sync_abort).
type Syncer interface {
	// SyncInit starts a sync round for ring: trans is the transitional
	// members that are also in members, in transitional order.
	SyncInit(trans, members []uint32, ring RingID)
	// SyncProcess does this node's part of the current step; false means
	// "call me again" (at the next poll, at most once per millisecond).
	SyncProcess() (done bool)
	// SyncActivate: every member finished SyncProcess for this service.
	SyncActivate()
	// SyncAbort: a configuration change cut the round short while this
	// service was the one being synchronised.
	SyncAbort()
}

// Ticker is polled with the loop's monotonic clock for the engine's timers.
// It returns how much work it did (0 when nothing was due).
type Ticker interface {
	Tick(nowNs int64) int
}

// ExecFunctioner is implemented by engines that say how many exec
// functions they have: the daemon publishes runtime.services.<name>.<fn>.tx
// and .rx for each, as corosync does.
type ExecFunctioner interface {
	ExecFunctions() int
}

// Unloader is implemented by engines with something to say before the node
// leaves (votequorum's LEAVING NODEINFO with allow_downscale). The daemon
// calls Unload on an orderly shutdown, votequorum first and then ascending
// id as corosync unloads them, and leaves the ring only once everything
// the engines sent meanwhile was delivered (or a bound passed).
type Unloader interface {
	Unload()
}
