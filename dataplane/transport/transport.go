// Package transport defines how the token loop moves totem frames: a
// Transport lends received frames and fills outgoing ones in memory it
// owns, in batches, so that UDP (recvmmsg/sendmmsg), AF_XDP (UMEM chunks)
// and RDMA (registered buffers) all hand frames up and down without a copy.
// Implementations live in sub-packages (transport/udp).
package transport

import "errors"

// Broadcast as Outgoing.To sends a frame to every peer.
const Broadcast uint32 = 0

// Received is one frame handed up by Recv. Data belongs to the transport
// until the frame is released.
type Received struct {
	Data []byte
	From uint32 // the sending peer's node id, 0 if the address is unknown
	buf  int32  // the transport's handle for the buffer
}

// Handle returns the transport's buffer handle (for implementations).
func (r *Received) Handle() int32 { return r.buf }

// SetHandle sets the transport's buffer handle (for implementations).
func (r *Received) SetHandle(h int32) { r.buf = h }

// Outgoing is one frame to send: its bytes (copied by Send into the
// transport's memory before Send returns) and its destination.
type Outgoing struct {
	To   uint32 // a peer's node id, or Broadcast
	Data []byte
}

// Transport is one link's frame mover. It is used by one goroutine (the
// token loop); none of its methods block.
type Transport interface {
	// Recv fills frames with what has arrived, up to len(frames), and
	// returns how many; 0 when nothing is ready.
	Recv(frames []Received) (int, error)
	// Release gives received frames back to the transport.
	Release(frames []Received)
	// Send transmits a batch; a Broadcast frame goes to every peer. It
	// returns after the frames left the caller's memory.
	Send(frames []Outgoing) error
	// Fd is a descriptor that becomes readable when Recv has work (for an
	// epoll-based idle strategy); -1 if there is none.
	Fd() int
	// MTU is the largest frame the transport carries.
	MTU() int
	Close() error
}

// ErrClosed is returned after Close.
var ErrClosed = errors.New("transport: closed")
