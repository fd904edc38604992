package cpgclient

import (
	"context"
	"errors"
	"time"

	"github.com/gorosync/gorosync/services/cpg"
	"github.com/gorosync/gorosync/services/cserror"
	"github.com/gorosync/gorosync/shm/client"
)

// Mcast multicasts msg to the joined group (cpg_mcast_joined). Up to
// cpg.MaxAtomicMsgSize it is one asynchronous request written straight
// into the request ring (no reply: CS_OK means the service has it);
// larger messages go as synchronous PARTIAL_MCAST fragments, each retried
// on CS_ERR_TRY_AGAIN up to 100 times 10 ms apart, as libcpg does.
// CS_ERR_TRY_AGAIN: the service's flow control refused it, send later.
func (c *Client) Mcast(ctx context.Context, g cpg.Guarantee, msg []byte) error {
	if len(msg) > cpg.MaxAtomicMsgSize {
		return c.mcastFragments(ctx, g, msg)
	}
	buf, err := c.Claim(len(msg))
	if err != nil {
		return err
	}
	copy(buf, msg)
	return c.Commit(g)
}

// Claim reserves an n-byte message (n ≤ cpg.MaxAtomicMsgSize) and returns
// its bytes to fill in place: in the request ring itself unless the chunk
// wraps around the ring's end. Commit sends it. Every successful Claim
// must be followed by Commit before any other request.
func (c *Client) Claim(n int) ([]byte, error) {
	if n < 0 || n > cpg.MaxAtomicMsgSize {
		return nil, cserror.ErrTooBig
	}
	c.mu.Lock()
	buf, err := c.ipc.Claim(cpg.McastReqSize + n)
	if err != nil {
		c.mu.Unlock()
		return nil, ipcError("mcast", err)
	}
	c.claimN, c.claimBuf = n, buf
	cpg.EncodeMcastHeader(buf, cpg.Agreed, n)
	return buf[cpg.McastReqSize:], nil // c.mu stays held until Commit
}

// Commit sends the claimed message with guarantee g.
func (c *Client) Commit(g cpg.Guarantee) error {
	if c.claimN < 0 {
		return cserror.ErrBadHandle
	}
	defer c.mu.Unlock()
	n := cpg.McastReqSize + c.claimN
	putLE32(c.claimBuf[cpg.GuaranteeOff:], uint32(g))
	c.claimN, c.claimBuf = -1, nil
	if err := c.ipc.Commit(n); err != nil {
		return ipcError("mcast", err)
	}
	return nil
}

func putLE32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}

// maxRetries and retryGap are libcpg's for fragments refused with
// CS_ERR_TRY_AGAIN.
const (
	maxRetries = 100
	retryGap   = 10 * time.Millisecond
	// maxRingWaits bounds the 100 µs waits for room in the request ring
	// (about a second) before a fragment counts as refused.
	maxRingWaits = 10000
)

// mcastFragments sends a large message as PARTIAL_MCAST fragments.
func (c *Client) mcastFragments(ctx context.Context, g cpg.Guarantee, msg []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for sent := 0; sent < len(msg); {
		n := min(len(msg)-sent, cpg.MaxAtomicMsgSize)
		typ := cpg.PartialContinued
		switch {
		case sent == 0:
			typ = cpg.PartialFirst
		case sent+n == len(msg):
			typ = cpg.PartialLast
		}
		if err := c.fragment(ctx, g, msg, sent, n, typ); err != nil {
			return err
		}
		sent += n
	}
	return nil
}

func (c *Client) fragment(ctx context.Context, g cpg.Guarantee, msg []byte, off, n int, typ uint32) error {
	for try := 0; ; try++ {
		err := c.sendFragment(ctx, g, msg, off, n, typ)
		if cserror.Code(err) != cserror.ErrTryAgain || try >= maxRetries {
			return err
		}
		select {
		case <-ctx.Done():
			return ipcError("mcast", ctx.Err())
		case <-time.After(retryGap):
		}
	}
}

// sendFragment writes one fragment into the ring and waits for its reply.
func (c *Client) sendFragment(ctx context.Context, g cpg.Guarantee, msg []byte, off, n int, typ uint32) error {
	size := cpg.PartialReqSize + n
	var buf []byte
	var err error
	for wait := 0; ; wait++ {
		buf, err = c.ipc.Claim(size)
		if !errors.Is(err, client.ErrTryAgain) || wait == maxRingWaits {
			break
		}
		// The ring is full (or flow control): let the service catch up.
		select {
		case <-ctx.Done():
			return ipcError("mcast", ctx.Err())
		case <-time.After(100 * time.Microsecond):
		}
	}
	if err != nil {
		return ipcError("mcast", err)
	}
	cpg.EncodePartialHeader(buf, g, len(msg), n, typ)
	copy(buf[cpg.PartialReqSize:], msg[off:off+n])
	if err := c.ipc.Commit(size); err != nil {
		return ipcError("mcast", err)
	}
	k, err := c.ipc.Recv(ctx, c.resp)
	if err != nil {
		return ipcError("mcast", err)
	}
	if k < cpg.ResHeaderSize {
		return ipcError("mcast", errBadReply)
	}
	if e := cpg.HeaderError(c.resp); e != cserror.OK {
		return e
	}
	return nil
}
