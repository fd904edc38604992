package cpgclient

import (
	"context"

	"github.com/gorosync/gorosync/services/cpg"
	"github.com/gorosync/gorosync/services/cserror"
	"golang.org/x/sys/unix"
)

// Kind is the kind of a received Message.
type Kind uint8

// Message kinds.
const (
	Deliver      Kind = iota + 1 // a message of the group (reassembled if it came in fragments)
	Confchg                      // a group membership change
	TotemConfchg                 // a totem configuration (model v1)
)

// Message is one callback's content. Its slices alias the client's
// buffers: valid until the next Recv or Dispatch.
type Message struct {
	Kind   Kind
	Group  []byte
	NodeID uint32 // Deliver: the sender
	PID    uint32
	Data   []byte

	Members, Left, Joined []cpg.Address // Confchg

	Ring         cpg.RingID // TotemConfchg
	TotemMembers []uint32
}

// assembly is a fragmented message being put together.
type assembly struct {
	buf []byte
}

// Recv waits for the next callback and returns it. Fragments are
// reassembled per sender and only the whole message is returned; an
// assembly of a sender named in a confchg's left list is dropped, as
// libcpg drops it.
func (c *Client) Recv(ctx context.Context) (*Message, error) {
	c.evMu.Lock()
	defer c.evMu.Unlock()
	for {
		m, err := c.recvOne(ctx)
		if m != nil || err != nil {
			return m, err
		}
	}
}

// recvOne reads one event; nil, nil for a fragment that completed nothing.
func (c *Client) recvOne(ctx context.Context) (*Message, error) {
	n, err := c.ipc.Event(ctx, c.ev)
	if err != nil {
		return nil, ipcError("dispatch", err)
	}
	ev := &c.event
	if err := cpg.DecodeEvent(c.ev[:n], ev); err != nil {
		return nil, ipcError("dispatch", err)
	}
	m := &c.msg
	m.Group, m.NodeID, m.PID, m.Data = ev.Group, ev.NodeID, ev.PID, nil
	switch ev.ID {
	case cpg.ResDeliver:
		m.Kind, m.Data = Deliver, ev.Payload
	case cpg.ResPartialDeliver:
		data, done := c.assemble(ev)
		if !done {
			return nil, nil
		}
		m.Kind, m.Data = Deliver, data
	case cpg.ResConfchg:
		m.Kind, m.Members, m.Left, m.Joined = Confchg, ev.Members, ev.Left, ev.Joined
		for _, a := range ev.Left {
			delete(c.asm, [2]uint32{a.NodeID, a.PID})
		}
	case cpg.ResTotemConfchg:
		m.Kind, m.Ring, m.TotemMembers = TotemConfchg, ev.Ring, ev.TotemMembers
	}
	return m, nil
}

// assemble adds one fragment; the whole message when it was the last.
func (c *Client) assemble(ev *cpg.Event) ([]byte, bool) {
	key := [2]uint32{ev.NodeID, ev.PID}
	a := c.asm[key]
	if ev.FragType == cpg.PartialFirst {
		if a == nil {
			a = &assembly{}
			c.asm[key] = a
		}
		a.buf = a.buf[:0]
	}
	if a == nil {
		return nil, false // the first fragment was never seen here
	}
	a.buf = append(a.buf, ev.Payload...)
	if ev.FragType != cpg.PartialLast {
		return nil, false
	}
	if len(a.buf) != int(ev.MsgLen) {
		a.buf = a.buf[:0]
		return nil, false
	}
	return a.buf, true
}

// DispatchFlags are cs_dispatch_flags_t.
type DispatchFlags int

// The dispatch modes.
const (
	DispatchOne            DispatchFlags = 1 // wait for one callback
	DispatchAll            DispatchFlags = 2 // every callback pending now, without waiting
	DispatchBlocking       DispatchFlags = 3 // callbacks until ctx ends or the connection does
	DispatchOneNonblocking DispatchFlags = 4 // one pending callback, or CS_ERR_TRY_AGAIN
)

// Handler receives Dispatch's callbacks (the Message is valid during the
// call only).
type Handler func(m *Message)

// Dispatch runs callbacks as cpg_dispatch does.
func (c *Client) Dispatch(ctx context.Context, flags DispatchFlags, h Handler) error {
	for {
		if flags == DispatchAll || flags == DispatchOneNonblocking {
			if !c.pending() {
				if flags == DispatchOneNonblocking {
					return cserror.ErrTryAgain
				}
				return nil
			}
		}
		m, err := c.Recv(ctx)
		if err != nil {
			if flags == DispatchBlocking && ctx.Err() != nil {
				return nil
			}
			return err
		}
		h(m)
		if flags == DispatchOne || flags == DispatchOneNonblocking {
			return nil
		}
	}
}

// pending: an event notification is waiting on the descriptor.
func (c *Client) pending() bool {
	fds := [1]unix.PollFd{{Fd: int32(c.Fd()), Events: unix.POLLIN}}
	n, err := unix.Poll(fds[:], 0)
	return err == nil && n > 0 && fds[0].Revents&unix.POLLIN != 0
}
