// Package udp is gorosync's UDP transport with corosync's udpu semantics:
// one non-blocking UDP socket per link, bound to the link's local address
// and port (corosync's mcastport, 5405 by default); a "multicast" is one
// unicast per configured peer; totem frames go on the wire as they are,
// with no header of ours, so a corosync 3.1.7 node configured with
// transport: udpu can share the ring.
//
// The package owns, per Transport and for its whole life: the socket; the
// receive pool (RecvBuffers buffers of MTU bytes in one slab) whose buffers
// Recv lends to the caller until Release; the send slots (Batch iovecs
// that Send points at the caller's frames, one per frame however many
// peers it goes to, for the kernel to copy during the call); with GRO,
// each receive slot's 64 KiB overflow area; and the mmsghdr, iovec,
// sockaddr and control-message arrays handed to recvmmsg and sendmmsg. All
// of it is allocated in New, so Recv, Release and Send allocate nothing
// and a batch costs one system call.
//
// Where the kernel has UDP GSO, a run of frames of one size to one peer
// (a fragmented message) goes as one message that the kernel cuts into
// the same datagrams (gso.go); a path that refuses GSO turns it off. With
// UDP GRO the socket takes such a run whole and Recv cuts it into frames,
// over several calls if the caller has less room (gro.go).
//
// UDP is lossy and totem retransmits, so the transport never blocks and
// never retries into a full socket: a datagram the kernel will not take
// now is dropped and counted (see Stats). Only the caller's mistakes (a
// frame over the MTU, an unknown node id) and a broken socket come back as
// errors.
//
// A Transport is used by one goroutine (the token loop); Stats may be read
// from any goroutine. The socket code is Linux-only (recvmmsg, sendmmsg);
// elsewhere New returns ErrUnsupported.
package udp
