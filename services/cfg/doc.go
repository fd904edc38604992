// Package cfg owns corosync's configuration and administration service
// (service 1, TOTEM_SPEC §12) on one node:
//
//   - the engine (Engine) on the data plane: its exec messages SHUTDOWN
//     (every node logs it, the sender shuts down), KILLNODE (the target
//     dies at once) and RELOAD_CONFIG (every node re-reads its own
//     corosync.conf, the sender's client gets the result), and the
//     shutdown negotiation's timer;
//   - its IPC service, byte-exact to corosync 3.1.7's cfg protocol
//     (LIBQB_IPC_SPEC §5.2): link and node status, node addresses, the
//     local node id, kill node, reload, reopen logs, and shutdown with
//     trackers asked through TESTSHUTDOWN events (what Pacemaker uses);
//   - the cmap side of a reload (ApplyReload): which keys are deleted,
//     which changes are refused, what is copied.
//
// Daemon facts (the nodelist, link status, hooks that shut down, kill,
// reload, reopen logs) come through Config. The wire layout (requests,
// replies, the node and ring status records) is exported for the Go client
// in cfgclient. It does not own the orderly shutdown itself, the parsing
// of corosync.conf (coroparse), the totem side of a reload, the
// runtime.members.* keys KILLNODE reads (the daemon keeps them), nor
// crypto reconfiguration (CRYPTO_RECONFIG is never sent and is ignored).
//
// Goroutines: none. Everything runs on the token loop's goroutine, the
// one that polls the shm server and the services host. Nothing is locked.
package cfg
