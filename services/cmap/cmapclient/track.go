package cmapclient

import (
	"context"
	"errors"
	"time"

	"github.com/gorosync/gorosync/services/cmap"
	"github.com/gorosync/gorosync/services/cserror"
)

// TrackHandle is the service's handle of a track (cmap_track_handle_t).
type TrackHandle uint64

// Notification is one change seen by a track: Kind is cmap.TrackAdd,
// TrackDelete or TrackModify; an addition has no Old value, a deletion no
// New one (zero Values). Values are the Notification's own.
type Notification struct {
	Track TrackHandle
	cmap.Event
}

// NotifyFunc receives a track's notifications, from Dispatch.
type NotifyFunc func(Notification)

type track struct {
	handle TrackHandle // 0 until TRACK_ADD's reply
	fn     NotifyFunc
}

// DispatchFlags say how much Dispatch does (cs_dispatch_flags_t).
type DispatchFlags int

// The dispatch modes of corosync's libraries.
const (
	DispatchOne            DispatchFlags = 1 // wait for one event and handle it
	DispatchAll            DispatchFlags = 2 // handle the events already there, then return
	DispatchBlocking       DispatchFlags = 3 // handle events until ctx ends or an error
	DispatchOneNonblocking DispatchFlags = 4 // handle one event if there is one, else CS_ERR_TRY_AGAIN
)

// TrackAdd watches key (cmap_track_add): typ is a bitmask of
// cmap.TrackAdd, TrackDelete, TrackModify and TrackPrefix (then key is a
// prefix, "" = every key). The key need not exist. fn (may be nil: use
// Recv) gets the notifications through Dispatch.
func (c *Client) TrackAdd(ctx context.Context, key string, typ int32, fn NotifyFunc) (TrackHandle, error) {
	if err := checkKey(key); err != nil {
		return 0, err
	}
	t := &track{fn: fn}
	c.trackMu.Lock()
	c.nextCookie++
	cookie := c.nextCookie
	c.tracks[cookie] = t // before the request: an event may overtake the reply
	c.trackMu.Unlock()

	h, err := c.trackAdd(ctx, key, typ, cookie)
	c.trackMu.Lock()
	defer c.trackMu.Unlock()
	if err != nil {
		delete(c.tracks, cookie)
		return 0, err
	}
	t.handle = h
	return h, nil
}

func (c *Client) trackAdd(ctx context.Context, key string, typ int32, cookie uint64) (TrackHandle, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, err := c.call(ctx, "track add", encodeTrackAdd(c.req, key, typ, cookie), cmap.ReqTrackAdd)
	if err != nil {
		return 0, err
	}
	h, err := decodeHandle(b)
	if err != nil {
		return 0, ipcError("track add", err)
	}
	return TrackHandle(h), nil
}

// TrackDelete ends a track (cmap_track_delete); its notifications still
// queued are dropped by Recv and Dispatch.
func (c *Client) TrackDelete(ctx context.Context, h TrackHandle) error {
	c.mu.Lock()
	b, err := c.call(ctx, "track delete", encodeHandle(c.req, cmap.ReqTrackDelete, uint64(h)), cmap.ReqTrackDelete)
	var cookie uint64
	if err == nil {
		if cookie, err = decodeHandle(b); err != nil {
			err = ipcError("track delete", err)
		}
	}
	c.mu.Unlock()
	if err != nil {
		return err
	}
	c.trackMu.Lock()
	defer c.trackMu.Unlock()
	if _, ok := c.tracks[cookie]; !ok {
		return cmap.ErrBadHandle // not one of ours: libcmap's answer too
	}
	delete(c.tracks, cookie)
	return nil
}

// Recv waits for the next notification of a live track and returns it
// without calling the track's NotifyFunc.
func (c *Client) Recv(ctx context.Context) (Notification, error) {
	for {
		n, t, err := c.next(ctx)
		if err != nil {
			return Notification{}, ipcError("recv", err)
		}
		if t != nil {
			return n, nil
		}
	}
}

// Dispatch reads notifications and calls their tracks' NotifyFuncs
// (cmap_dispatch), as flags say. Notifications of deleted tracks are
// dropped.
func (c *Client) Dispatch(ctx context.Context, flags DispatchFlags) error {
	switch flags {
	case DispatchOne:
		return c.dispatchOne(ctx)
	case DispatchOneNonblocking:
		err := c.dispatchOne(expired{})
		if errors.Is(err, context.DeadlineExceeded) {
			return cserror.ErrTryAgain
		}
		return err
	case DispatchAll:
		for {
			err := c.dispatchOne(expired{})
			if errors.Is(err, context.DeadlineExceeded) {
				return nil
			}
			if err != nil {
				return err
			}
		}
	case DispatchBlocking:
		for {
			if err := c.dispatchOne(ctx); err != nil {
				return err
			}
		}
	}
	return cmap.ErrInvalid
}

func (c *Client) dispatchOne(ctx context.Context) error {
	n, t, err := c.next(ctx)
	if err != nil {
		return ipcError("dispatch", err)
	}
	if t != nil && t.fn != nil {
		t.fn(n)
	}
	return nil
}

// next reads and decodes one event; t is nil for a track no longer ours.
func (c *Client) next(ctx context.Context) (Notification, *track, error) {
	c.evMu.Lock()
	if c.ev == nil {
		c.ev = make([]byte, c.ipc.MaxMsgSize())
	}
	n, err := c.ipc.Event(ctx, c.ev)
	var cookie uint64
	var ev cmap.Event
	if err == nil {
		cookie, ev, err = decodeNotify(c.ev[:n])
	}
	c.evMu.Unlock()
	if err != nil {
		return Notification{}, nil, err
	}
	c.trackMu.Lock()
	t := c.tracks[cookie]
	var h TrackHandle
	if t != nil {
		h = t.handle
	}
	c.trackMu.Unlock()
	return Notification{Track: h, Event: ev}, t, nil
}

// expired is a context whose deadline has passed: the shm client then
// looks for an event that is already there and does not wait.
type expired struct{}

var closedCh = func() chan struct{} { ch := make(chan struct{}); close(ch); return ch }()

func (expired) Deadline() (time.Time, bool) { return time.Unix(0, 0), true }
func (expired) Done() <-chan struct{}       { return closedCh }
func (expired) Err() error                  { return context.DeadlineExceeded }
func (expired) Value(any) any               { return nil }
