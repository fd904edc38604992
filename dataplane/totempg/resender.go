package totempg

import (
	"errors"
	"slices"
)

// QueueSink is a Sink that can also tell how many submitted packets still
// wait in its queue, and drop them all. The totem node is one.
type QueueSink interface {
	Sink
	Queued() int
	DropQueued()
}

// Resender sends application messages through a Packer and keeps a copy of
// each until the packet carrying its last piece has left the send queue.
// When a configuration change is installed, Restart sends again, whole and
// in their order, the messages the change cut through: one whose first
// packets went out in the old ring and whose rest still waited, and every
// later one. Receivers discard partial assemblies at the same change
// (Assembler.Reset), so no member ever splices pieces from two rings, and a
// member that joined in the new ring gets every message the old members
// get — the EVS gap corosync leaves open (spec §4.5, §14.4.5).
//
// Memory grows to the largest backlog of unsent messages and is then
// reused; steady operation allocates nothing.
type Resender struct {
	p    *Packer
	sink QueueSink

	log       []byte    // kept messages, group header and payload, back to back
	msgs      []keptMsg // in send order, from head
	head      int       // first live entry of msgs
	sent      uint64    // packets submitted to the sink, counting from 0
	broadcast uint64    // packets that left the sink's queue
	cnt       countSink // counts submissions on their way to sink
	unsent    int       // kept messages at the tail not yet packed again
}

// keptMsg is one message awaiting the end of its transmission.
type keptMsg struct {
	off, n  int
	safe    bool
	lastPkt uint64 // number of the packet that carries its last piece
}

// countSink counts the packets the Packer submits.
type countSink struct {
	QueueSink
	n *uint64
}

func (c countSink) SubmitPacket(b []byte, safe bool) error {
	if err := c.QueueSink.SubmitPacket(b, safe); err != nil {
		return err
	}
	*c.n++
	return nil
}

// NewResender builds a Packer of packetSize over sink, with a Resender
// around it.
func NewResender(packetSize int, sink QueueSink) (*Resender, error) {
	r := &Resender{sink: sink}
	r.cnt = countSink{QueueSink: sink, n: &r.sent}
	p, err := NewPacker(PackerConfig{PacketSize: packetSize, Sink: r.cnt})
	if err != nil {
		return nil, err
	}
	r.p = p
	return r, nil
}

// Packer is the Packer the Resender drives.
func (r *Resender) Packer() *Packer { return r.p }

// Pending reports whether anything waits to be packed or submitted.
func (r *Resender) Pending() bool { return r.unsent > 0 || r.p.Pending() }

// Mcast sends one message as Packer.Mcast does, keeping a copy. While
// messages cut by a configuration change still wait to go out again, new
// ones get ErrTryAgain, so the sender's order holds.
func (r *Resender) Mcast(groups [][]byte, payload []byte, safe bool) error {
	r.release()
	if r.unsent > 0 {
		return ErrTryAgain
	}
	if err := r.p.Mcast(groups, payload, safe); err != nil {
		return err
	}
	return r.keep(groups, safe, payload)
}

// Mcastv sends one message with its payload in pieces, as Packer.Mcastv
// does, keeping a copy (the pieces back to back): the caller's pieces need
// not be joined first.
func (r *Resender) Mcastv(groups [][]byte, iov [][]byte, safe bool) error {
	r.release()
	if r.unsent > 0 {
		return ErrTryAgain
	}
	if err := r.p.Mcastv(groups, iov, safe); err != nil {
		return err
	}
	return r.keep(groups, safe, iov...)
}

// keep appends the copy of a message just packed.
func (r *Resender) keep(groups [][]byte, safe bool, parts ...[]byte) error {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	off, gh := len(r.log), GroupHeaderSize(groups)
	r.log = slices.Grow(r.log, gh+n)[:off+gh]
	if _, err := PutGroupHeader(r.log[off:], groups, false); err != nil {
		return err // cannot happen: the Packer accepted the groups
	}
	for _, p := range parts {
		r.log = append(r.log, p...)
	}
	r.msgs = append(r.msgs, keptMsg{off: off, n: len(r.log) - off, safe: safe, lastPkt: r.lastPacket()})
	return nil
}

// lastPacket is the number of the packet the latest message ends in: the
// one being staged, or the last one submitted.
func (r *Resender) lastPacket() uint64 {
	if r.p.Pending() {
		return r.sent
	}
	return r.sent - 1
}

// Flush packs messages still waiting after a Restart, then flushes the
// Packer. The node calls it on TOKEN_RECEIVED.
func (r *Resender) Flush() error {
	if err := r.resume(); err != nil && !errors.Is(err, ErrTryAgain) {
		return err
	}
	return r.p.Flush()
}

// Restart is called when a new ring is installed: every packet still
// queued is dropped, the staging buffer too, and every kept message from
// the one the change cut onwards is packed again, whole.
func (r *Resender) Restart() error {
	r.release()
	r.sink.DropQueued()
	r.p.Reset()
	r.sent = r.broadcast // dropped packets never left: number on from here
	r.unsent = len(r.msgs) - r.head
	return r.resume()
}

// resume packs kept messages that have not gone out again yet, in order,
// as far as the send queue has room.
func (r *Resender) resume() error {
	for r.unsent > 0 {
		k := &r.msgs[len(r.msgs)-r.unsent]
		if err := r.p.mcastRaw(r.log[k.off:k.off+k.n], k.safe); err != nil {
			return err
		}
		k.lastPkt = r.lastPacket()
		r.unsent--
	}
	return nil
}

// release forgets messages whose last packet left the send queue.
func (r *Resender) release() {
	r.broadcast = r.sent - uint64(r.sink.Queued())
	for r.head < len(r.msgs)-r.unsent && r.msgs[r.head].lastPkt < r.broadcast {
		r.head++
	}
	if r.head == len(r.msgs) {
		r.msgs, r.log, r.head = r.msgs[:0], r.log[:0], 0
		return
	}
	// Compact once the dead prefix dominates, so memory stays bounded.
	if off := r.msgs[r.head].off; off > len(r.log)/2 {
		r.log = r.log[:copy(r.log, r.log[off:])]
		live := r.msgs[:copy(r.msgs, r.msgs[r.head:])]
		for i := range live {
			live[i].off -= off
		}
		r.msgs, r.head = live, 0
	}
}
