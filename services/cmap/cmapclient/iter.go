package cmapclient

import (
	"context"
	"iter"

	"github.com/gorosync/gorosync/services/cmap"
)

// IterHandle is the service's handle of an iteration (cmap_iter_handle_t).
type IterHandle uint64

// IterInit starts an iteration over the keys that start with prefix (""
// = all keys), in lexicographic order (cmap_iter_init).
func (c *Client) IterInit(ctx context.Context, prefix string) (IterHandle, error) {
	if err := checkKey(prefix); err != nil {
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	req := encodeKeyReq(c.req, cmap.ReqIterInit, cmap.IterInitReqSize, prefix)
	b, err := c.call(ctx, "iter init", req, cmap.ReqIterInit)
	if err != nil {
		return 0, err
	}
	h, err := decodeHandle(b)
	if err != nil {
		return 0, ipcError("iter init", err)
	}
	return IterHandle(h), nil
}

// IterNext returns the next key with its value's type and length
// (cmap_iter_next); cmap.ErrNoSection (CS_ERR_NO_SECTIONS) at the end.
func (c *Client) IterNext(ctx context.Context, h IterHandle) (KeyInfo, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	b, err := c.call(ctx, "iter next", encodeHandle(c.req, cmap.ReqIterNext, uint64(h)), cmap.ReqIterNext)
	if err != nil {
		return KeyInfo{}, err
	}
	ki, err := decodeIterNext(b)
	if err != nil {
		return KeyInfo{}, ipcError("iter next", err)
	}
	return ki, nil
}

// IterFinalize ends an iteration (cmap_iter_finalize).
func (c *Client) IterFinalize(ctx context.Context, h IterHandle) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := c.call(ctx, "iter finalize", encodeHandle(c.req, cmap.ReqIterFinalize, uint64(h)), cmap.ReqIterFinalize)
	return err
}

// Iter iterates over the keys that start with prefix: IterInit, IterNext
// until the end, IterFinalize (also when the loop stops early). An error
// is yielded once, with a zero KeyInfo, and ends the iteration.
func (c *Client) Iter(ctx context.Context, prefix string) iter.Seq2[KeyInfo, error] {
	return func(yield func(KeyInfo, error) bool) {
		h, err := c.IterInit(ctx, prefix)
		if err != nil {
			yield(KeyInfo{}, err)
			return
		}
		defer func() { _ = c.IterFinalize(ctx, h) }()
		for {
			ki, err := c.IterNext(ctx, h)
			if err == cmap.ErrNoSection {
				return
			}
			if !yield(ki, err) || err != nil {
				return
			}
		}
	}
}
