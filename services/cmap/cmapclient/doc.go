// Package cmapclient is the Go counterpart of corosync's libcmap: a client
// of the cmap service (LIBQB_IPC_SPEC §5.1, TOTEM_SPEC §10) over the
// libqb-compatible IPC of shm/client. It speaks to gorosync and to
// corosync 3.1.7 alike.
//
// It owns the client side of the protocol: encoding requests, checking
// and decoding replies and NOTIFY events, the map a connection works on
// (icmap or stats), iterators, and the table of this connection's tracks
// (the track_inst_handle cookies that events carry back). Errors are
// cs_error_t values (cmap.Error); failures of the connection are
// *IPCError values that carry the cs_error_t libcmap would give too.
//
// Concurrency: a Client may be shared; requests are serialised (one
// outstanding request per connection, as libqb requires), and events are
// read by one Recv or Dispatch at a time, concurrently with requests.
// Notification callbacks run on the goroutine that calls Dispatch, with
// no lock held, so they may call the Client.
//
// Allocation: Set and the typed setters, the typed getters and GetInto
// into a large enough buffer allocate nothing once the connection is up.
package cmapclient
