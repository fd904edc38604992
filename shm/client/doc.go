// Package client is the Go client of libqb 2.0.6 IPC, the protocol that
// corosync's client libraries speak to the daemon (LIBQB_IPC_SPEC.md
// §1–4). It connects to a service's setup socket, performs the handshake
// and then follows the transport the server chose: shared-memory rings
// (connection_type 1, what corosync uses on Linux) or unix datagram
// sockets (connection_type 0).
//
// A Client allows one sending goroutine (Request, Send, Recv, Claim,
// Commit) and one event goroutine (Event) at the same time; Close may be
// called from any goroutine and makes the others return ErrClosed.
// Request, Send, Recv and Event allocate nothing once the connection is
// set up. Waits are sliced: the client wakes every few milliseconds to
// look for a hang-up of the server, for Close and for the context, so a
// dead server or a cancelled context is noticed within a slice.
//
// The implementation is Linux-only (glibc semaphore layout, abstract
// unix sockets, SCM_CREDENTIALS), like the rings it maps (ring/qbring).
package client
