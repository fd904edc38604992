// Package shm owns the server side of libqb's IPC as corosync 3.1.7 speaks
// it through Debian's libqb 2.0.6, so that unmodified clients (the corosync
// tools, Pacemaker) connect to gorosync:
//
//   - one listening stream socket per service ("cmap", "cpg", ...), in the
//     abstract namespace with the name NUL-padded to the full 108-byte
//     sun_path (or a filesystem socket when
//     /etc/libqb/force-filesystem-sockets exists);
//   - the handshake (24-byte connection request, 12328-byte connection
//     response), the client's credentials and the authorisation hook;
//   - the per-connection directory /dev/shm/qb-<server>-<client>-<fd>-XXXXXX
//     and everything in it: the three libqb shared-memory rings (SHM mode)
//     or the control file and abstract datagram sockets (socket mode);
//   - request intake (one notification byte per request in SHM mode, one
//     datagram per request in socket mode), header validation, responses,
//     events with their notification bytes kept 1:1, bounded per-connection
//     event queues, flow-control words;
//   - liveness and teardown: every disconnect path unlinks what the
//     connection created and removes its directory.
//
// It does not own the rings' memory format (ring/qbring, ring/qbsem) nor any
// service's messages: a Handler receives whole requests and answers with
// Conn.Respond and Conn.Event.
//
// Goroutines: one acceptor goroutine accepts, runs handshakes (each with a
// deadline, many at once, so a silent client delays nobody) and creates the
// connection's resources; it hands finished connections to the poller
// through a lock-free ring and an eventfd. Everything else runs on the
// goroutine that calls Server.Poll (the token loop): Poll never blocks and,
// in steady state, allocates nothing per request, response or event.
// Handler methods and all Conn methods run on (or must be called from) that
// goroutine only. An event's notification byte goes out at the next Flush
// (Poll flushes at its start and end; the token loop after every pass), so
// that a burst of events costs one write per client. A request is taken
// from its ring as soon as the ring has it, and its notification byte is
// read later with others (BeforeSleep, which the token loop calls before it
// sleeps, or after some quiet Polls), so that a client sending request
// after request costs no read each. Between passes the token loop looks
// into the rings of the clients active lately (SpinPoll), so such a
// client's next request is answered without a system call on either side.
package shm
