// Package vqclient is the Go client of corosync's votequorum service
// (libvotequorum's calls over shm/client): typed requests and decoded
// notifications. A Client allows one goroutine making calls and one
// reading events at a time, as shm/client does.
package vqclient

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/gorosync/gorosync/services"
	"github.com/gorosync/gorosync/services/cserror"
	"github.com/gorosync/gorosync/services/quorum"
	"github.com/gorosync/gorosync/services/votequorum"
	"github.com/gorosync/gorosync/shm/client"
)

// Options configure Dial.
type Options struct {
	// Service is the socket name (default "votequorum"; tests use private
	// ones).
	Service string
	// IPC are the transport's options.
	IPC client.Options
}

// Client is one connection to the votequorum service.
type Client struct {
	c    *client.Client
	req  [528]byte
	resp [votequorum.GetInfoResSize]byte
	ev   []byte
}

var le = binary.LittleEndian

// Dial connects (votequorum_initialize sends nothing more).
func Dial(ctx context.Context, opts Options) (*Client, error) {
	name := opts.Service
	if name == "" {
		name = "votequorum"
	}
	c, err := client.Dial(ctx, name, opts.IPC)
	if err != nil {
		return nil, err
	}
	return &Client{c: c}, nil
}

// call sends c.req[:size] with its header and returns the reply, which
// must be at least want bytes. A reply error other than CS_OK is returned
// as a quorum.Error together with the reply.
func (c *Client) call(ctx context.Context, id int32, size, want int) ([]byte, error) {
	le.PutUint32(c.req[0:], uint32(id))
	le.PutUint32(c.req[4:], 0)
	le.PutUint32(c.req[8:], uint32(size))
	le.PutUint32(c.req[12:], 0)
	n, err := c.c.Request(ctx, c.req[:size], c.resp[:])
	clear(c.req[:size])
	if err != nil {
		return nil, err
	}
	if n < want {
		return nil, fmt.Errorf("votequorum: reply of %d bytes to request %d, want %d: %w", n, id, want, client.ErrInvalid)
	}
	if e := quorum.Error(le.Uint32(c.resp[16:])); e != cserror.OK {
		return c.resp[:n], e
	}
	return c.resp[:n], nil
}

func (c *Client) status(ctx context.Context, id int32, size int) error {
	_, err := c.call(ctx, id, size, votequorum.ResHdrSize)
	return err
}

// GetInfo asks about nodeid (0: this node): cserror.ErrNotExist for a node
// the service does not know.
func (c *Client) GetInfo(ctx context.Context, nodeid uint32) (votequorum.Info, error) {
	le.PutUint32(c.req[16:], nodeid)
	b, err := c.call(ctx, votequorum.ReqGetInfo, 24, votequorum.GetInfoResSize)
	if err != nil {
		return votequorum.Info{}, err
	}
	return votequorum.DecodeGetInfo(b)
}

// SetExpected changes the cluster's expected votes.
func (c *Client) SetExpected(ctx context.Context, expected uint32) error {
	le.PutUint32(c.req[16:], expected)
	return c.status(ctx, votequorum.ReqSetExpected, 24)
}

// SetVotes changes a node's votes.
func (c *Client) SetVotes(ctx context.Context, nodeid, votes uint32) error {
	le.PutUint32(c.req[16:], votes)
	le.PutUint32(c.req[20:], nodeid)
	return c.status(ctx, votequorum.ReqSetVotes, 24)
}

// TrackStart starts tracking (votequorum.TrackCurrent, TrackChanges,
// TrackChangesOnly); events carry context. With CURRENT or CHANGES a
// nodelist and a quorum event are queued before the call returns.
func (c *Client) TrackStart(ctx context.Context, context uint64, flags uint32) error {
	le.PutUint64(c.req[16:], context)
	le.PutUint32(c.req[24:], flags)
	return c.status(ctx, votequorum.ReqTrackStart, 32)
}

// TrackStop stops tracking (cserror.ErrNotExist if not tracking).
func (c *Client) TrackStop(ctx context.Context) error {
	return c.status(ctx, votequorum.ReqTrackStop, votequorum.ReqHdrSize)
}

func (c *Client) putName(off int, name string) error {
	if len(name) >= votequorum.QdeviceNameLen {
		return cserror.ErrInvalidParam
	}
	copy(c.req[off:], name)
	return nil
}

// QdeviceRegister registers a quorum device by name.
func (c *Client) QdeviceRegister(ctx context.Context, name string) error {
	return c.named(ctx, votequorum.ReqQdeviceRegister, 272, name)
}

// QdeviceUnregister unregisters the quorum device.
func (c *Client) QdeviceUnregister(ctx context.Context, name string) error {
	return c.named(ctx, votequorum.ReqQdeviceUnregister, 272, name)
}

func (c *Client) named(ctx context.Context, id int32, size int, name string) error {
	if err := c.putName(16, name); err != nil {
		return err
	}
	return c.status(ctx, id, size)
}

// QdeviceUpdate renames the quorum device.
func (c *Client) QdeviceUpdate(ctx context.Context, oldName, newName string) error {
	if err := c.putName(16, oldName); err != nil {
		return err
	}
	if err := c.putName(16+votequorum.QdeviceNameLen, newName); err != nil {
		clear(c.req[:])
		return err
	}
	return c.status(ctx, votequorum.ReqQdeviceUpdate, 528)
}

// QdevicePoll is the device's heartbeat: its vote, for the ring of the
// last sync.
func (c *Client) QdevicePoll(ctx context.Context, name string, castVote bool, ring services.RingID) error {
	if err := c.putName(16, name); err != nil {
		return err
	}
	if castVote {
		le.PutUint32(c.req[272:], 1)
	}
	le.PutUint32(c.req[280:], ring.Rep)
	le.PutUint64(c.req[288:], ring.Seq)
	return c.status(ctx, votequorum.ReqQdevicePoll, 296)
}

// QdeviceMasterWins sets the device's master_wins.
func (c *Client) QdeviceMasterWins(ctx context.Context, name string, allow bool) error {
	if err := c.putName(16, name); err != nil {
		return err
	}
	if allow {
		le.PutUint32(c.req[272:], 1)
	}
	return c.status(ctx, votequorum.ReqQdeviceMasterWins, 280)
}

// Event waits for the next notification and decodes it.
func (c *Client) Event(ctx context.Context) (votequorum.Event, error) {
	if c.ev == nil {
		c.ev = make([]byte, c.c.MaxMsgSize())
	}
	n, err := c.c.Event(ctx, c.ev)
	if err != nil {
		return votequorum.Event{}, err
	}
	return votequorum.DecodeEvent(c.ev[:n])
}

// Request sends a raw request (header included, its size field set by
// the caller) and copies the reply into resp: for tests of malformed
// requests.
func (c *Client) Request(ctx context.Context, req, resp []byte) (int, error) {
	return c.c.Request(ctx, req, resp)
}

// Fd is the descriptor to poll for events.
func (c *Client) Fd() int { return c.c.Fd() }

// Close ends the connection.
func (c *Client) Close() error { return c.c.Close() }
