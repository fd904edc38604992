// Package cpg owns corosync's closed process groups (service 2, "cpg") on
// one node: the engine on the data plane and its IPC service.
//
//   - The process table: every (group, nodeid, pid) membership entry of
//     the cluster, kept in corosync's order (sorted by nodeid and pid,
//     ties in insertion order), changed only by ordered exec messages
//     (PROCJOIN, PROCLEAVE) and by the JOINLIST exchange of sync.
//   - Per IPC connection (a cpd): its one group, pid, state (UNJOINED,
//     JOIN_STARTED, JOIN_COMPLETED, LEAVE_STARTED), iterations, zero-copy
//     mappings and the queue of its accepted, not yet sent exec messages.
//   - The IPC protocol of corosync 3.1.7 byte for byte (LIBQB_IPC_SPEC
//     §5.3): requests, replies, and the DELIVER, PARTIAL_DELIVER, CONFCHG
//     and TOTEM_CONFCHG events; codec.go also encodes requests and decodes
//     events for Go clients (cpgclient).
//   - CPG sync (TOTEM_SPEC §8.5): DOWNLIST and JOINLIST, then NODEDOWN,
//     NODEUP and zombie clean-up at activation, then the totem confchg.
//
// Where corosync 3.1.7 is weak this package does the documented thing
// (TOTEM_SPEC §14.2): cpg_leave resets the handle once its leave is
// delivered, so it may join again; a multicast that a client was told
// succeeded is never dropped: one that arrives during sync (or when the
// token loop cannot take it) waits in the connection's bounded queue and
// is sent, in order, after sync; the initial totem confchg carries one
// completed sync's ring id and members together.
//
// CPG_TYPE_SAFE multicasts go with the host's safe guarantee (SendSafe);
// the other guarantees are agreed, as in corosync.
//
// Exec messages between nodes are this package's own little-endian layout
// (exec.go), every field length-checked on decode.
//
// Goroutines: none. Everything runs on the token loop's goroutine: exec
// deliveries, sync callbacks, Tick, and the IPC handlers (the loop polls
// the shm server). Nothing is locked.
package cpg
