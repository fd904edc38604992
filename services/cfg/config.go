package cfg

import (
	"log/slog"

	"github.com/gorosync/gorosync/services/cmap"
)

// Config is what the daemon gives the cfg engine. Every func runs on the
// token loop's goroutine, inside an IPC request or an exec delivery.
type Config struct {
	// NodeID is the local node's id: LOCAL_GET answers it, and KILLNODE,
	// SHUTDOWN and RELOAD_CONFIG deliveries compare their target or origin
	// with it.
	NodeID uint32
	// Nodes returns the nodelist as configured now (it changes with a
	// reload): ids, names and each link's address. GET_NODE_ADDRS,
	// RINGSTATUSGET and the derived node status read it. Nil: no nodes.
	Nodes func() []Node
	// NodeStatus returns what the link layer knows about nodeid
	// (NODESTATUSGET, RINGSTATUSGET); false when it does not know the node
	// (CS_ERR_FAILED_OPERATION). Nil: the status is derived as corosync
	// 3.1.7 derives it for udpu: a node of the nodelist is reachable when
	// it is a member (or is this node), each of its configured links is
	// enabled, connected when it is reachable, with MTU and Src set to the
	// node's own address on that link.
	NodeStatus func(nodeid uint32) (NodeStatus, bool)
	// Members returns the members of the current ring. Nil: the host's.
	Members func() []uint32
	// MTU is the link MTU the derived status reports (the daemon's
	// effective totem.netmtu); unused when NodeStatus is set.
	MTU uint32
	// Shutdown starts the daemon's orderly shutdown (unload the engines,
	// totem LEAVE, exit). It is called once this node's own SHUTDOWN
	// message is delivered. Nil: only logged.
	Shutdown func()
	// Kill stops the daemon at once with a fatal error, without an
	// orderly shutdown (another node's KILLNODE for this node). Nil: only
	// logged.
	Kill func(reason string)
	// Reload re-reads this node's own corosync.conf and applies it
	// (ApplyReload on the store, then the totem part), returning the
	// cs_error_t result. It runs on every node for every RELOAD_CONFIG.
	// Nil: CS_ERR_NOT_SUPPORTED.
	Reload func() Error
	// ReopenLogs reopens the log files (REOPEN_LOG_FILES). An error is
	// answered with its errno's cs_error_t (cserror.FromErrno), as
	// corosync's logsys does. Nil: nothing to reopen, CS_OK.
	ReopenLogs func() error
	// Store is the node's cmap: cfg.shutdown_timeout and
	// runtime.members.<id>.status are read from it. Nil: an empty store.
	Store *cmap.Store
	// Log receives the service's messages (corosync's CFG subsystem).
	// Nil discards them.
	Log *slog.Logger
}

// DefaultShutdownTimeoutMs is how long trackers may take to answer a
// shutdown request when cfg.shutdown_timeout is not set.
const DefaultShutdownTimeoutMs = 5000

// shutdownTimeoutKey is the cmap key (u32, milliseconds) that overrides it.
const shutdownTimeoutKey = "cfg.shutdown_timeout"
