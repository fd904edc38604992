package cmapclient

import (
	"context"
	"math"

	"github.com/gorosync/gorosync/services/cmap"
	"github.com/gorosync/gorosync/services/cserror"
	"github.com/gorosync/gorosync/shm/client"
)

// reqBuf returns a request buffer of n bytes (c.mu held): c.req, or for a
// value larger than icmap takes (the service refuses it), a temporary
// one; beyond the connection's message size, CS_ERR_TOO_BIG.
func (c *Client) reqBuf(n int) ([]byte, error) {
	if n <= len(c.req) {
		return c.req[:n], nil
	}
	if n > c.ipc.MaxMsgSize() {
		return nil, &IPCError{Op: "set", Code: cserror.ErrTooBig, Err: client.ErrTooBig}
	}
	return make([]byte, n), nil
}

// set sends SET of typ with data as the value bytes.
func (c *Client) set(ctx context.Context, key string, typ cmap.ValueType, data []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	b, err := c.reqBuf(cmap.SetReqSize + len(data))
	if err != nil {
		return err
	}
	_, err = c.call(ctx, "set", encodeSet(b, key, typ, data), cmap.ReqSet)
	return err
}

// Set creates or replaces key (cmap_set). A String value may be given
// with or without its terminating NUL (cmap.Str adds one); it is sent
// without, as cmap_set_string sends it. Errors are the service's:
// CS_ERR_INVALID_PARAM for a bad type or length (values up to
// cmap.MaxValueLen), CS_ERR_NAME_TOO_LONG for a bad new key name,
// CS_ERR_ACCESS for a read-only key, CS_ERR_NOT_SUPPORTED in the stats
// map.
func (c *Client) Set(ctx context.Context, key string, v cmap.Value) error {
	d := v.Data
	if v.Type == cmap.String && len(d) > 0 && d[len(d)-1] == 0 {
		d = d[:len(d)-1]
	}
	return c.set(ctx, key, v.Type, d)
}

// setNum sets a numeric value of type t from the low bits of u.
func (c *Client) setNum(ctx context.Context, key string, t cmap.ValueType, u uint64) error {
	var b [8]byte
	le.PutUint64(b[:], u)
	return c.set(ctx, key, t, b[:cmap.TypeLen(t)])
}

// The typed setters (cmap_set_int8 …).

func (c *Client) SetInt8(ctx context.Context, key string, v int8) error {
	return c.setNum(ctx, key, cmap.I8, uint64(v))
}

func (c *Client) SetUint8(ctx context.Context, key string, v uint8) error {
	return c.setNum(ctx, key, cmap.U8, uint64(v))
}

func (c *Client) SetInt16(ctx context.Context, key string, v int16) error {
	return c.setNum(ctx, key, cmap.I16, uint64(v))
}

func (c *Client) SetUint16(ctx context.Context, key string, v uint16) error {
	return c.setNum(ctx, key, cmap.U16, uint64(v))
}

func (c *Client) SetInt32(ctx context.Context, key string, v int32) error {
	return c.setNum(ctx, key, cmap.I32, uint64(v))
}

func (c *Client) SetUint32(ctx context.Context, key string, v uint32) error {
	return c.setNum(ctx, key, cmap.U32, uint64(v))
}

func (c *Client) SetInt64(ctx context.Context, key string, v int64) error {
	return c.setNum(ctx, key, cmap.I64, uint64(v))
}

func (c *Client) SetUint64(ctx context.Context, key string, v uint64) error {
	return c.setNum(ctx, key, cmap.U64, v)
}

func (c *Client) SetFloat(ctx context.Context, key string, v float32) error {
	return c.setNum(ctx, key, cmap.Float, uint64(math.Float32bits(v)))
}

func (c *Client) SetDouble(ctx context.Context, key string, v float64) error {
	return c.setNum(ctx, key, cmap.Double, math.Float64bits(v))
}

// SetString sets a string value (cmap_set_string); the service refuses a
// NUL inside s (CS_ERR_INVALID_PARAM).
func (c *Client) SetString(ctx context.Context, key, s string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	b, err := c.reqBuf(cmap.SetReqSize + len(s))
	if err != nil {
		return err
	}
	_, err = c.call(ctx, "set", encodeSetString(b, key, s), cmap.ReqSet)
	return err
}

// SetBinary sets a binary value.
func (c *Client) SetBinary(ctx context.Context, key string, v []byte) error {
	return c.set(ctx, key, cmap.Binary, v)
}

// Delete removes key (cmap_delete): CS_ERR_NOT_EXIST if absent,
// CS_ERR_ACCESS if read-only.
func (c *Client) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := c.call(ctx, "delete", encodeKeyReq(c.req, cmap.ReqDelete, cmap.DeleteReqSize, key), cmap.ReqDelete)
	return err
}

// Adjust adds step to an integer key, wrapping at its width: CS_ERR_NOT_EXIST
// if absent, CS_ERR_INVALID_PARAM for float, double, string and binary.
func (c *Client) Adjust(ctx context.Context, key string, step int32) error {
	if err := checkKey(key); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := c.call(ctx, "adjust", encodeAdjust(c.req, key, step), cmap.ReqAdjustInt)
	return err
}

// Inc adds 1 to an integer key (cmap_inc).
func (c *Client) Inc(ctx context.Context, key string) error { return c.Adjust(ctx, key, 1) }

// Dec subtracts 1 from an integer key (cmap_dec).
func (c *Client) Dec(ctx context.Context, key string) error { return c.Adjust(ctx, key, -1) }
