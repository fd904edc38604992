// Package cpgclient is the Go counterpart of corosync's libcpg: a client
// of the cpg service (LIBQB_IPC_SPEC §5.3, TOTEM_SPEC §8) over the
// libqb-compatible IPC of shm/client, speaking to gorosync and to
// corosync 3.1.7 alike.
//
// It owns the client side of the protocol: model-v1 initialisation (with
// the initial totem confchg flag), join and leave (retried while the
// service answers CS_ERR_BUSY, as libcpg does), multicast in one request
// up to cpg.MaxAtomicMsgSize and in PARTIAL_MCAST fragments above it,
// reassembly of fragmented deliveries per sender, membership, local node
// id and iteration.
//
// Errors are cs_error_t values (cpg.Error) from the service, or *IPCError
// for a failed connection, carrying the cs_error_t libcpg would give.
//
// Concurrency: requests are serialised (one outstanding request per
// connection, as libqb requires); events are read by one Recv or Dispatch
// at a time, concurrently with requests.
//
// Allocation: Mcast (and Claim/Commit) and Recv of a delivery or confchg
// allocate nothing once the connection is up; what Recv returns aliases
// the client's buffers and is valid until the next Recv.
//
// Flow control: shm/client refuses a send only for flow-control value 1;
// libcpg also honours 2 (set during sync) for its multicasts. This client
// sends during sync anyway; the gorosync service holds such messages and
// sends them after sync (corosync 3.1.7 would drop them).
package cpgclient
