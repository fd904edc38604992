package cmapclient

import (
	"context"
	"sync"

	"github.com/gorosync/gorosync/services/cmap"
	"github.com/gorosync/gorosync/shm/client"
)

// Map selects the map a connection works on (cmap_map_t).
type Map int32

// The maps of corosync 3.1.7.
const (
	MapICMap Map = 0 // CMAP_MAP_ICMAP, the default: configuration and runtime keys
	MapStats Map = 1 // CMAP_MAP_STATS: read-only statistics
)

// ServiceName is the cmap service's IPC socket name.
const ServiceName = "cmap"

// Options configure Dial.
type Options struct {
	// Service is the socket name; default ServiceName. Tests serve a
	// private name.
	Service string
	// IPC configures the libqb connection (shm/client.Options).
	IPC client.Options
}

// Client is one connection to the cmap service (a cmap_handle_t).
type Client struct {
	ipc *client.Client

	mu   sync.Mutex // the request path: req, resp
	req  []byte
	resp []byte

	evMu sync.Mutex // the event path: ev
	ev   []byte

	trackMu    sync.Mutex
	tracks     map[uint64]*track // by track_inst_handle (our cookie)
	nextCookie uint64
}

// Request buffers: the largest request this client sends without growing
// its buffer (SET of the largest value icmap takes), and the largest
// reply (GET of such a value).
const (
	reqBufSize  = cmap.SetReqSize + cmap.MaxValueLen
	respBufSize = cmap.GetResSize + cmap.MaxValueLen
)

// Initialize connects to the cmap service on the default map
// (cmap_initialize: no SET_CURRENT_MAP is sent).
func Initialize(ctx context.Context) (*Client, error) {
	return Dial(ctx, Options{})
}

// InitializeMap connects and selects map m (cmap_initialize_map).
func InitializeMap(ctx context.Context, m Map) (*Client, error) {
	c, err := Dial(ctx, Options{})
	if err != nil {
		return nil, err
	}
	if err := c.SetMap(ctx, m); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// Dial connects with opts, on the default map. Errors are *IPCError values
// (a daemon not ready yet: CS_ERR_TRY_AGAIN; no daemon: CS_ERR_LIBRARY).
func Dial(ctx context.Context, opts Options) (*Client, error) {
	name := opts.Service
	if name == "" {
		name = ServiceName
	}
	ipc, err := client.Dial(ctx, name, opts.IPC)
	if err != nil {
		return nil, ipcError("connect", err)
	}
	return &Client{
		ipc:    ipc,
		req:    make([]byte, reqBufSize),
		resp:   make([]byte, respBufSize),
		tracks: map[uint64]*track{},
	}, nil
}

// SetMap switches the connection to map m (SET_CURRENT_MAP): CS_ERR_BUSY
// while it has iterators or tracks, CS_ERR_NOT_EXIST for an unknown map.
func (c *Client) SetMap(ctx context.Context, m Map) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	req := encodeHandle(c.req, cmap.ReqSetCurrentMap, uint64(uint32(m)))
	_, err := c.call(ctx, "set map", req, cmap.ResSetCurrentMap)
	return err
}

// Close disconnects (cmap_finalize); the service drops the connection's
// iterators and tracks. Calls after Close fail with CS_ERR_BAD_HANDLE.
func (c *Client) Close() error {
	if err := c.ipc.Close(); err != nil {
		return ipcError("close", err)
	}
	return nil
}

// Fd is the descriptor to poll for readable notifications before calling
// Dispatch or Recv (cmap_fd_get).
func (c *Client) Fd() int { return c.ipc.Fd() }

// call sends req (under c.mu) and returns the checked reply in c.resp: a
// transport failure as an *IPCError, a service error as its cmap.Error.
func (c *Client) call(ctx context.Context, op string, req []byte, id int32) ([]byte, error) {
	n, err := c.ipc.Request(ctx, req, c.resp)
	if err != nil {
		return nil, ipcError(op, err)
	}
	b := c.resp[:n]
	e, err := checkReply(b, id)
	if err != nil {
		return nil, ipcError(op, err)
	}
	if e != cmap.OK {
		return nil, e
	}
	return b, nil
}

// checkKey is libcmap's check of a key argument: CS_ERR_NAME_TOO_LONG
// from CS_MAX_NAME_LENGTH bytes on. A NUL cannot be sent in a key (the
// service would cut it there): CS_ERR_INVALID_PARAM.
func checkKey(key string) error {
	if len(key) >= cmap.NameMax {
		return cmap.ErrNameLong
	}
	for i := 0; i < len(key); i++ {
		if key[i] == 0 {
			return cmap.ErrInvalid
		}
	}
	return nil
}
