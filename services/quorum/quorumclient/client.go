// Package quorumclient is the Go client of corosync's quorum service
// (libquorum's calls over shm/client): typed requests and decoded
// notifications. A Client allows one goroutine making calls and one
// reading events at a time, as shm/client does.
package quorumclient

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/gorosync/gorosync/services/cserror"
	"github.com/gorosync/gorosync/services/quorum"
	"github.com/gorosync/gorosync/shm/client"
)

// Options configure Dial.
type Options struct {
	// Service is the socket name (default "quorum"; tests use private ones).
	Service string
	// Model is quorum.ModelV0 (the default: Pacemaker's, GETTYPE) or
	// quorum.ModelV1 (MODEL_GETTYPE; adds nodelist events).
	Model uint32
	// IPC are the transport's options.
	IPC client.Options
}

// Client is one connection to the quorum service.
type Client struct {
	c     *client.Client
	model uint32
	typ   uint32
	req   [24]byte
	resp  [32]byte
	ev    []byte
}

var le = binary.LittleEndian

// Dial connects, tells the service the model and learns the quorum type
// (quorum_initialize / quorum_model_initialize).
func Dial(ctx context.Context, opts Options) (*Client, error) {
	name := opts.Service
	if name == "" {
		name = "quorum"
	}
	if opts.Model != quorum.ModelV0 && opts.Model != quorum.ModelV1 {
		return nil, cserror.ErrInvalidParam
	}
	qc, err := client.Dial(ctx, name, opts.IPC)
	if err != nil {
		return nil, err
	}
	c := &Client{c: qc, model: opts.Model}
	id, size := int32(quorum.ReqGetType), quorum.ReqHdrSize
	if opts.Model == quorum.ModelV1 {
		id, size = quorum.ReqModelGetType, 24
		le.PutUint32(c.req[16:], opts.Model)
	}
	b, err := c.call(ctx, id, size, 32)
	if err != nil {
		qc.Close()
		return nil, err
	}
	c.typ = le.Uint32(b[24:])
	return c, nil
}

// call sends the request in c.req[:size] with its header set and returns
// the reply, which must be at least want bytes and carry CS_OK.
func (c *Client) call(ctx context.Context, id int32, size, want int) ([]byte, error) {
	le.PutUint32(c.req[0:], uint32(id))
	le.PutUint32(c.req[4:], 0)
	le.PutUint32(c.req[8:], uint32(size))
	le.PutUint32(c.req[12:], 0)
	n, err := c.c.Request(ctx, c.req[:size], c.resp[:])
	if err != nil {
		return nil, err
	}
	if n < quorum.ResHdrSize || n < want {
		return nil, fmt.Errorf("quorum: reply of %d bytes to request %d, want %d: %w", n, id, want, client.ErrInvalid)
	}
	if e := quorum.Error(le.Uint32(c.resp[16:])); e != cserror.OK {
		return nil, e
	}
	return c.resp[:n], nil
}

// Type is the quorum type the service reported at Dial: quorum.TypeSet
// when a provider decides, quorum.TypeFree when the node is always
// quorate.
func (c *Client) Type() uint32 { return c.typ }

// Quorate asks whether the node is quorate (quorum_getquorate).
func (c *Client) Quorate(ctx context.Context) (bool, error) {
	b, err := c.call(ctx, quorum.ReqGetQuorate, quorum.ReqHdrSize, 32)
	if err != nil {
		return false, err
	}
	return le.Uint32(b[24:]) != 0, nil
}

// TrackStart starts tracking (quorum.TrackCurrent, TrackChanges,
// TrackChangesOnly): with CURRENT or CHANGES the current state is queued
// as events before the call returns. Tracking twice gives
// cserror.ErrExist.
func (c *Client) TrackStart(ctx context.Context, flags uint32) error {
	le.PutUint32(c.req[16:], flags)
	_, err := c.call(ctx, quorum.ReqTrackStart, 24, quorum.ResHdrSize)
	return err
}

// TrackStop stops tracking.
func (c *Client) TrackStop(ctx context.Context) error {
	_, err := c.call(ctx, quorum.ReqTrackStop, quorum.ReqHdrSize, quorum.ResHdrSize)
	return err
}

// Event waits for the next notification and decodes it.
func (c *Client) Event(ctx context.Context) (quorum.Event, error) {
	if c.ev == nil {
		c.ev = make([]byte, c.c.MaxMsgSize())
	}
	n, err := c.c.Event(ctx, c.ev)
	if err != nil {
		return quorum.Event{}, err
	}
	return quorum.DecodeEvent(c.ev[:n])
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
