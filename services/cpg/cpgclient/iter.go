package cpgclient

import (
	"context"

	"github.com/gorosync/gorosync/services/cpg"
	"github.com/gorosync/gorosync/services/cserror"
)

// Iteration walks a snapshot of the service's process table
// (cpg_iteration_*).
type Iteration struct {
	c      *Client
	handle uint64
	done   bool
}

// IterationInitialize snapshots the process table: cpg.IterAll (every
// process), cpg.IterNameOnly (one entry per group, node and pid 0) or
// cpg.IterOneGroup (group's processes).
func (c *Client) IterationInitialize(ctx context.Context, typ cpg.IterType, group []byte) (*Iteration, error) {
	if (typ == cpg.IterOneGroup) != (group != nil) || typ < cpg.IterNameOnly || typ > cpg.IterAll {
		return nil, cserror.ErrInvalidParam
	}
	if err := checkName(group); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	b, err := c.call(ctx, "iteration initialize", cpg.EncodeIterInit(c.req, typ, group), cpg.ResIterInit, cpg.IterInitResSize)
	if err != nil {
		return nil, err
	}
	return &Iteration{c: c, handle: le64(b[24:])}, nil
}

// Next returns the next process (Group aliases nothing: it is a copy);
// cserror.ErrNoSections after the last.
func (it *Iteration) Next(ctx context.Context) (cpg.Entry, error) {
	if it.done {
		return cpg.Entry{}, cserror.ErrNoSections
	}
	c := it.c
	c.mu.Lock()
	defer c.mu.Unlock()
	b, err := c.call(ctx, "iteration next", cpg.EncodeIter(c.req, cpg.ReqIterNext, it.handle), cpg.ResIterNext, cpg.IterNextResSize)
	if err != nil {
		if err == cserror.ErrNoSections {
			it.done = true
		}
		return cpg.Entry{}, err
	}
	name, node, pid, _, derr := cpg.DecodeIterNext(b)
	if derr != nil {
		return cpg.Entry{}, ipcError("iteration next", derr)
	}
	return cpg.Entry{Group: string(name), NodeID: node, PID: pid}, nil
}

// Finalize frees the snapshot on the service.
func (it *Iteration) Finalize(ctx context.Context) error {
	c := it.c
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := c.call(ctx, "iteration finalize", cpg.EncodeIter(c.req, cpg.ReqIterFinalize, it.handle), cpg.ResIterFinalize, cpg.ResHeaderSize)
	return err
}
