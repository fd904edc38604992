package cmapclient

import (
	"bytes"
	"context"
	"math"

	"github.com/gorosync/gorosync/services/cmap"
	"github.com/gorosync/gorosync/services/cserror"
)

// KeyInfo is a key with its value's type and length (what ITER_NEXT and a
// GET length probe return).
type KeyInfo struct {
	Key  string
	Len  int
	Type cmap.ValueType
}

// GET buffer sizes: the typed getters ask for 16 bytes, as libcmap does;
// Get and GetString start with defaultGetLen and ask again with the exact
// length when the value is larger.
const (
	numGetLen     = 16
	defaultGetLen = 256
	getTries      = 4 // the value may grow between the length probe and the fetch
)

// get sends one GET asking for want value bytes (0: a length probe);
// c.mu held. The reply's value aliases c.resp.
func (c *Client) get(ctx context.Context, key string, want int) (getReply, error) {
	b, err := c.call(ctx, "get", encodeGet(c.req, key, want), cmap.ReqGet)
	if err != nil {
		return getReply{}, err
	}
	r, err := decodeGet(b, want)
	if err != nil {
		return getReply{}, ipcError("get", err)
	}
	return r, nil
}

// getValue fetches key's value asking first for want bytes; when the
// service says the buffer is too small (CS_ERR_INVALID_PARAM) it probes
// the length and asks again. c.mu held.
func (c *Client) getValue(ctx context.Context, key string, want int) (getReply, error) {
	want = min(max(want, 1), cmap.MaxValueLen)
	for range getTries {
		r, err := c.get(ctx, key, want)
		if err != cmap.ErrInvalid {
			return r, err
		}
		p, err := c.get(ctx, key, 0)
		if err != nil {
			return getReply{}, err
		}
		if p.len <= uint64(want) { // refused for another reason
			return getReply{}, cmap.ErrInvalid
		}
		if p.len > cmap.MaxValueLen {
			return getReply{}, cserror.ErrTooBig
		}
		want = int(p.len)
	}
	return getReply{}, cserror.ErrTryAgain
}

// Get returns key's value (cmap_get), its bytes newly allocated. Strings
// come with their terminating NUL, as the service stores them.
func (c *Client) Get(ctx context.Context, key string) (cmap.Value, error) {
	return c.GetInto(ctx, key, nil)
}

// GetInto is Get with the value's bytes appended to buf[:0]: no
// allocation when buf is large enough. A first request asks for cap(buf)
// bytes (at least defaultGetLen).
func (c *Client) GetInto(ctx context.Context, key string, buf []byte) (cmap.Value, error) {
	if err := checkKey(key); err != nil {
		return cmap.Value{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	r, err := c.getValue(ctx, key, max(cap(buf), defaultGetLen))
	if err != nil {
		return cmap.Value{}, err
	}
	return cmap.Value{Type: r.typ, Data: append(buf[:0], r.value...)}, nil
}

// Info returns key's type and value length without its value (cmap_get
// with a NULL value).
func (c *Client) Info(ctx context.Context, key string) (KeyInfo, error) {
	if err := checkKey(key); err != nil {
		return KeyInfo{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	r, err := c.get(ctx, key, 0)
	if err != nil {
		return KeyInfo{}, err
	}
	return KeyInfo{Key: key, Len: int(min(r.len, math.MaxInt32)), Type: r.typ}, nil
}

// GetString returns a string value without its NUL (cmap_get_string):
// CS_ERR_INVALID_PARAM if key holds another type.
func (c *Client) GetString(ctx context.Context, key string) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	r, err := c.getValue(ctx, key, defaultGetLen)
	if err != nil {
		return "", err
	}
	if r.typ != cmap.String {
		return "", cmap.ErrInvalid
	}
	v := r.value
	if i := bytes.IndexByte(v, 0); i >= 0 {
		v = v[:i]
	}
	return string(v), nil
}

// getNum is libcmap's cmap_get_int: GET into 16 bytes, then the type must
// be t (else CS_ERR_INVALID_PARAM). It returns the value's bits.
func (c *Client) getNum(ctx context.Context, key string, t cmap.ValueType) (uint64, error) {
	if err := checkKey(key); err != nil {
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	r, err := c.get(ctx, key, numGetLen)
	if err != nil {
		return 0, err
	}
	if r.typ != t || len(r.value) != cmap.TypeLen(t) {
		return 0, cmap.ErrInvalid
	}
	switch len(r.value) {
	case 1:
		return uint64(r.value[0]), nil
	case 2:
		return uint64(le.Uint16(r.value)), nil
	case 4:
		return uint64(le.Uint32(r.value)), nil
	}
	return le.Uint64(r.value), nil
}

// The typed getters (cmap_get_int8 …): CS_ERR_INVALID_PARAM if the key
// holds another type, CS_ERR_NOT_EXIST if it does not exist.

func (c *Client) GetInt8(ctx context.Context, key string) (int8, error) {
	u, err := c.getNum(ctx, key, cmap.I8)
	return int8(u), err
}

func (c *Client) GetUint8(ctx context.Context, key string) (uint8, error) {
	u, err := c.getNum(ctx, key, cmap.U8)
	return uint8(u), err
}

func (c *Client) GetInt16(ctx context.Context, key string) (int16, error) {
	u, err := c.getNum(ctx, key, cmap.I16)
	return int16(u), err
}

func (c *Client) GetUint16(ctx context.Context, key string) (uint16, error) {
	u, err := c.getNum(ctx, key, cmap.U16)
	return uint16(u), err
}

func (c *Client) GetInt32(ctx context.Context, key string) (int32, error) {
	u, err := c.getNum(ctx, key, cmap.I32)
	return int32(u), err
}

func (c *Client) GetUint32(ctx context.Context, key string) (uint32, error) {
	u, err := c.getNum(ctx, key, cmap.U32)
	return uint32(u), err
}

func (c *Client) GetInt64(ctx context.Context, key string) (int64, error) {
	u, err := c.getNum(ctx, key, cmap.I64)
	return int64(u), err
}

func (c *Client) GetUint64(ctx context.Context, key string) (uint64, error) {
	return c.getNum(ctx, key, cmap.U64)
}

func (c *Client) GetFloat(ctx context.Context, key string) (float32, error) {
	u, err := c.getNum(ctx, key, cmap.Float)
	return math.Float32frombits(uint32(u)), err
}

func (c *Client) GetDouble(ctx context.Context, key string) (float64, error) {
	u, err := c.getNum(ctx, key, cmap.Double)
	return math.Float64frombits(u), err
}
