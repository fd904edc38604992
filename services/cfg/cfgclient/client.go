// Package cfgclient is the Go client of corosync's cfg service (libcfg's
// calls, LIBQB_IPC_SPEC §5.2) over shm/client: it works against corosync
// 3.1.7 and gorosync alike. Server statuses come back as cfg.Error values;
// transport failures as the shm/client error, wrapped (cserror.FromErrno
// maps either to the cs_error_t libcfg would report).
//
// A Client allows one goroutine making calls and one reading events
// (NextEvent) at the same time, as shm/client does; Close may be called
// from any goroutine.
//
// Where libcfg differs: ReplyToShutdown reports the server's status
// (libcfg returns only transport errors, so CS_ERR_ACCESS is lost), and
// every call checks the reply's size before reading a field.
package cfgclient

import (
	"context"
	"encoding/binary"
	"fmt"
	"net/netip"
	"sync"

	"github.com/gorosync/gorosync/services/cfg"
	"github.com/gorosync/gorosync/services/cserror"
	"github.com/gorosync/gorosync/shm/client"
)

// ServiceName is the libqb service corosync serves cfg under.
const ServiceName = "cfg"

// Client is one connection to the cfg service.
type Client struct {
	qb   *client.Client
	mu   sync.Mutex // the reply buffer
	buf  []byte
	evMu sync.Mutex
	ev   []byte
}

// Dial connects to the local daemon's cfg service.
func Dial(ctx context.Context) (*Client, error) {
	return DialService(ctx, ServiceName, client.Options{})
}

// DialService connects to cfg served under another name (tests).
func DialService(ctx context.Context, name string, opts client.Options) (*Client, error) {
	qb, err := client.Dial(ctx, name, opts)
	if err != nil {
		return nil, err
	}
	return &Client{qb: qb, buf: make([]byte, qb.MaxMsgSize()), ev: make([]byte, qb.MaxMsgSize())}, nil
}

// Close disconnects (a tracker's pending answer then counts as YES, a
// pending TryShutdown of this client is cancelled).
func (c *Client) Close() error { return c.qb.Close() }

// Fd is the descriptor to poll before NextEvent.
func (c *Client) Fd() int { return c.qb.Fd() }

// call sends r and returns the reply (valid until the next call), checked
// to be a whole reply of at least minSize bytes. A shorter reply carrying
// an error is returned with that error.
func (c *Client) call(ctx context.Context, op string, r cfg.Request, minSize int) ([]byte, error) {
	n, err := c.qb.Request(ctx, cfg.EncodeRequest(r), c.buf)
	if err != nil {
		return nil, fmt.Errorf("cfg %s: %w", op, err)
	}
	b := c.buf[:n]
	_, size, e, ok := cfg.ResHeader(b)
	if !ok || size != n {
		return nil, fmt.Errorf("cfg %s: malformed reply of %d bytes: %w", op, n, cserror.ErrLibrary)
	}
	if e != cserror.OK {
		return b, e
	}
	if n < minSize {
		return nil, fmt.Errorf("cfg %s: reply of %d bytes, want %d: %w", op, n, minSize, cserror.ErrLibrary)
	}
	return b, nil
}

// status makes a call whose reply is the header alone.
func (c *Client) status(ctx context.Context, op string, r cfg.Request) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := c.call(ctx, op, r, cfg.ResHeaderSize)
	return err
}

// LocalGet returns the local node id (corosync_cfg_local_get).
func (c *Client) LocalGet(ctx context.Context) (uint32, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, err := c.call(ctx, "local_get", cfg.Request{ID: cfg.ReqLocalGet}, 28)
	if err != nil {
		return 0, err
	}
	return le32(b[24:]), nil
}

// NodeStatusGet returns what the daemon knows about nodeid's links
// (corosync_cfg_node_status_get, version 1).
func (c *Client) NodeStatusGet(ctx context.Context, nodeid uint32) (cfg.NodeStatus, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := cfg.Request{ID: cfg.ReqNodeStatusGet, NodeID: nodeid, Version: cfg.NodeStatusV1}
	b, err := c.call(ctx, "node_status_get", r, cfg.ResHeaderSize)
	if err != nil {
		return cfg.NodeStatus{}, err
	}
	st, e := cfg.DecodeNodeStatus(b)
	if e != cserror.OK {
		return st, fmt.Errorf("cfg node_status_get: %w", e)
	}
	return st, nil
}

// RingStatusGet returns the local node's links and their per-node status
// (corosync_cfg_ring_status_get).
func (c *Client) RingStatusGet(ctx context.Context) ([]cfg.RingStatus, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, err := c.call(ctx, "ring_status_get", cfg.Request{ID: cfg.ReqRingStatusGet}, cfg.RingStatusResSize)
	if err != nil {
		return nil, err
	}
	rings, e := cfg.DecodeRingStatus(b)
	if e != cserror.OK {
		return nil, fmt.Errorf("cfg ring_status_get: %w", e)
	}
	return rings, nil
}

// GetNodeAddrs returns nodeid's link addresses (0 = this node)
// (corosync_cfg_get_node_addrs).
func (c *Client) GetNodeAddrs(ctx context.Context, nodeid uint32) ([]netip.Addr, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, err := c.call(ctx, "get_node_addrs", cfg.Request{ID: cfg.ReqGetNodeAddrs, NodeID: nodeid}, cfg.NodeAddrsResSize)
	if err != nil {
		return nil, err
	}
	addrs, e := cfg.DecodeNodeAddrs(b)
	if e != cserror.OK {
		return nil, fmt.Errorf("cfg get_node_addrs: %w", e)
	}
	return addrs, nil
}

// KillNode asks nodeid to stop at once, logging reason there
// (corosync_cfg_kill_node). A reason of 256 bytes or more is
// CS_ERR_NAME_TOO_LONG, as libcfg refuses it.
func (c *Client) KillNode(ctx context.Context, nodeid uint32, reason string) error {
	if len(reason) >= 256 {
		return fmt.Errorf("cfg kill_node: reason of %d bytes: %w", len(reason), cserror.ErrNameTooLong)
	}
	return c.status(ctx, "kill_node", cfg.Request{ID: cfg.ReqKillNode, NodeID: nodeid, Reason: reason})
}

// TryShutdown asks the local daemon to shut down (cfg.ShutdownRequest,
// ShutdownRegardless or ShutdownImmediate) and waits for the trackers'
// verdict: CS_ERR_BUSY when one vetoed or did not answer in time.
func (c *Client) TryShutdown(ctx context.Context, flags uint32) error {
	return c.status(ctx, "try_shutdown", cfg.Request{ID: cfg.ReqTryShutdown, Flags: flags})
}

// ReplyToShutdown answers a TESTSHUTDOWN event: yes lets the daemon go.
// CS_ERR_ACCESS when no shutdown is being negotiated.
func (c *Client) ReplyToShutdown(ctx context.Context, yes bool) error {
	resp := cfg.ReplyNo
	if yes {
		resp = cfg.ReplyYes
	}
	return c.status(ctx, "replyto_shutdown", cfg.Request{ID: cfg.ReqReplyToShutdown, Response: resp})
}

// TrackStart makes this connection a shutdown tracker: it gets a
// TESTSHUTDOWN event whenever another client asks for a shutdown
// (corosync_cfg_trackstart; flags are unused by corosync).
func (c *Client) TrackStart(ctx context.Context, flags uint8) error {
	return c.status(ctx, "trackstart", cfg.Request{ID: cfg.ReqTrackStart, TrackFlags: flags})
}

// TrackStop ends tracking (an answer owed counts as YES).
func (c *Client) TrackStop(ctx context.Context) error {
	return c.status(ctx, "trackstop", cfg.Request{ID: cfg.ReqTrackStop})
}

// ReloadConfig makes every node re-read its corosync.conf and returns this
// node's result (corosync_cfg_reload_config).
func (c *Client) ReloadConfig(ctx context.Context) error {
	return c.status(ctx, "reload_config", cfg.Request{ID: cfg.ReqReloadConfig})
}

// ReopenLogFiles makes the daemon reopen its log files.
func (c *Client) ReopenLogFiles(ctx context.Context) error {
	return c.status(ctx, "reopen_log_files", cfg.Request{ID: cfg.ReqReopenLogFiles})
}

// ShutdownEvent is a TESTSHUTDOWN event: the daemon asks whether it may
// shut down (Status OK; answer with ReplyToShutdown), or says the
// question timed out (Status CS_ERR_TIMEOUT; no answer expected). Flags
// are the requester's.
type ShutdownEvent struct {
	Status cfg.Error
	Flags  uint32
}

// NextEvent waits for the next event. An event that is not TESTSHUTDOWN
// is CS_ERR_LIBRARY, as libcfg's dispatch treats it.
func (c *Client) NextEvent(ctx context.Context) (ShutdownEvent, error) {
	c.evMu.Lock()
	defer c.evMu.Unlock()
	n, err := c.qb.Event(ctx, c.ev)
	if err != nil {
		return ShutdownEvent{}, fmt.Errorf("cfg dispatch: %w", err)
	}
	id, size, e, ok := cfg.ResHeader(c.ev[:n])
	if !ok || id != cfg.ResTestShutdown || size != n || n < 28 {
		return ShutdownEvent{}, fmt.Errorf("cfg dispatch: event id %d of %d bytes: %w", id, n, cserror.ErrLibrary)
	}
	return ShutdownEvent{Status: e, Flags: le32(c.ev[24:])}, nil
}

func le32(b []byte) uint32 { return binary.LittleEndian.Uint32(b) }
