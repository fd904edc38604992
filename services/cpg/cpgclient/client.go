package cpgclient

import (
	"context"
	"os"
	"sync"
	"time"

	"github.com/gorosync/gorosync/services/cpg"
	"github.com/gorosync/gorosync/services/cserror"
	"github.com/gorosync/gorosync/shm/client"
)

// ServiceName is the cpg service's IPC socket name.
const ServiceName = "cpg"

// Options configure Initialize.
type Options struct {
	// Service is the socket name; default ServiceName (tests serve a
	// private name).
	Service string
	// IPC configures the libqb connection.
	IPC client.Options
	// Flags are the model-v1 flags sent with each join:
	// cpg.FlagInitialTotemConf asks for a totem confchg right after it.
	Flags uint32
	// PID is the pid this handle joins and leaves with; default the
	// process's (libcpg's getpid()). A test running several "processes"
	// in one gives each its own.
	PID uint32
}

// Client is one connection to the cpg service (a cpg_handle_t).
type Client struct {
	ipc   *client.Client
	flags uint32
	pid   uint32

	mu       sync.Mutex // the request path
	req      []byte
	resp     []byte
	claimN   int    // the size of an open Claim's payload, -1 when none
	claimBuf []byte // the open Claim's request

	evMu  sync.Mutex // the event path
	ev    []byte
	event cpg.Event
	msg   Message
	asm   map[[2]uint32]*assembly
}

// Initialize connects with opts (cpg_model_initialize with CPG_MODEL_V1).
// Errors are *IPCError values (a daemon not ready yet: CS_ERR_TRY_AGAIN;
// none: CS_ERR_LIBRARY).
func Initialize(ctx context.Context, opts Options) (*Client, error) {
	if opts.Flags&^cpg.FlagInitialTotemConf != 0 {
		return nil, cserror.ErrInvalidParam
	}
	name := opts.Service
	if name == "" {
		name = ServiceName
	}
	ipc, err := client.Dial(ctx, name, opts.IPC)
	if err != nil {
		return nil, ipcError("initialize", err)
	}
	pid := opts.PID
	if pid == 0 {
		pid = uint32(os.Getpid())
	}
	return &Client{
		ipc:    ipc,
		flags:  opts.Flags,
		pid:    pid,
		req:    make([]byte, 256),
		resp:   make([]byte, cpg.MembershipResSize),
		claimN: -1,
		ev:     make([]byte, ipc.MaxMsgSize()),
		asm:    map[[2]uint32]*assembly{},
	}, nil
}

// PID is the pid the handle joins with.
func (c *Client) PID() uint32 { return c.pid }

// Fd is the descriptor to poll for events before Recv or Dispatch
// (cpg_fd_get).
func (c *Client) Fd() int { return c.ipc.Fd() }

// MaxAtomicMsgSize is the largest message sent in one request
// (cpg_max_atomic_msgsize_get); larger ones are fragmented.
func (c *Client) MaxAtomicMsgSize() int { return cpg.MaxAtomicMsgSize }

// FlowControlDisabled is cpg_flow_control_state_get's only answer in
// corosync 3.1.7.
const FlowControlDisabled = 0

// FlowControlState is cpg_flow_control_state_get: always disabled (the
// back-pressure is CS_ERR_TRY_AGAIN from Mcast).
func (c *Client) FlowControlState() int { return FlowControlDisabled }

// call sends req (under c.mu) and returns the checked reply in c.resp.
func (c *Client) call(ctx context.Context, op string, req []byte, id int32, size int) ([]byte, error) {
	n, err := c.ipc.Request(ctx, req, c.resp)
	if err != nil {
		return nil, ipcError(op, err)
	}
	b := c.resp[:n]
	if n < cpg.ResHeaderSize || (cpg.HeaderError(b) == cserror.OK && n < size) {
		return nil, ipcError(op, errBadReply)
	}
	if e := cpg.HeaderError(b); e != cserror.OK {
		return b, e
	}
	return b, nil
}

// retryBusy repeats a join or leave while the service answers CS_ERR_BUSY
// (a join or leave of this handle still in flight), as libcpg does, but
// bounded by ctx.
func (c *Client) retryBusy(ctx context.Context, op string, req []byte, id int32) error {
	for {
		_, err := c.call(ctx, op, req, id, cpg.ResHeaderSize)
		if err != cserror.ErrBusy {
			return err
		}
		c.mu.Unlock()
		select {
		case <-ctx.Done():
			c.mu.Lock()
			return ipcError(op, ctx.Err())
		case <-time.After(time.Millisecond):
		}
		c.mu.Lock()
	}
}

func checkName(group []byte) error {
	if len(group) > cpg.NameMax {
		return cserror.ErrNameTooLong
	}
	return nil
}

// Join joins group (cpg_join). CS_ERR_EXIST when this handle or pid is
// in it already, CS_ERR_TRY_AGAIN during sync or while a previous leave is
// not yet delivered.
func (c *Client) Join(ctx context.Context, group []byte) error {
	if err := checkName(group); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.retryBusy(ctx, "join", cpg.EncodeJoin(c.req, group, c.pid, c.flags), cpg.ResJoin)
}

// Leave leaves group (cpg_leave): once the leave is delivered the handle
// may join again.
func (c *Client) Leave(ctx context.Context, group []byte) error {
	if err := checkName(group); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.retryBusy(ctx, "leave", cpg.EncodeLeave(c.req, group, c.pid), cpg.ResLeave)
}

// LocalGet returns the local node id (cpg_local_get).
func (c *Client) LocalGet(ctx context.Context) (uint32, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, err := c.call(ctx, "local get", cpg.EncodeHeaderOnly(c.req, cpg.ReqLocalGet), cpg.ResLocalGet, cpg.LocalGetResSize)
	if err != nil {
		return 0, err
	}
	return le32(b[24:]), nil
}

// MembershipGet returns group's processes (cpg_membership_get), appended
// to out[:0].
func (c *Client) MembershipGet(ctx context.Context, group []byte, out []cpg.Address) ([]cpg.Address, error) {
	if err := checkName(group); err != nil {
		return out, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	b, err := c.call(ctx, "membership get", cpg.EncodeMembership(c.req, group), cpg.ResMembership, cpg.MembershipResSize)
	if err != nil {
		return out[:0], err
	}
	out, e, derr := cpg.DecodeMembership(b, out)
	if derr != nil {
		return out, ipcError("membership get", derr)
	}
	if e != cserror.OK {
		return out, e
	}
	return out, nil
}

// Close finalizes the handle (cpg_finalize: a FINALIZE request, then the
// disconnect; the service turns a joined handle's exit into a PROCDOWN
// leave) and disconnects.
func (c *Client) Close() error {
	c.mu.Lock()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	_, err := c.call(ctx, "finalize", cpg.EncodeHeaderOnly(c.req, cpg.ReqFinalize), cpg.ResFinalize, cpg.ResHeaderSize)
	cancel()
	c.mu.Unlock()
	if cerr := c.ipc.Close(); cerr != nil && err == nil {
		err = ipcError("finalize", cerr)
	}
	return err
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func le64(b []byte) uint64 { return uint64(le32(b)) | uint64(le32(b[4:]))<<32 }
