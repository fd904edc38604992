package cmapclient_test

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"

	"github.com/gorosync/gorosync/services/cmap"
	"github.com/gorosync/gorosync/services/cmap/cmapclient"
	"github.com/gorosync/gorosync/services/cserror"
	"github.com/gorosync/gorosync/shm"
)

// typeCase sets one value through its typed setter and reads it back
// through its typed getter.
type typeCase struct {
	typ  cmap.ValueType
	want cmap.Value
	set  func(ctx context.Context, c *cmapclient.Client, key string) error
	get  func(ctx context.Context, c *cmapclient.Client, key string) (any, error)
	val  any
}

var typeCases = []typeCase{
	{cmap.I8, cmap.Int(cmap.I8, uint64(0x80)), func(ctx context.Context, c *cmapclient.Client, k string) error { return c.SetInt8(ctx, k, -128) },
		func(ctx context.Context, c *cmapclient.Client, k string) (any, error) { return c.GetInt8(ctx, k) }, int8(-128)},
	{cmap.U8, cmap.Int(cmap.U8, 255), func(ctx context.Context, c *cmapclient.Client, k string) error { return c.SetUint8(ctx, k, 255) },
		func(ctx context.Context, c *cmapclient.Client, k string) (any, error) { return c.GetUint8(ctx, k) }, uint8(255)},
	{cmap.I16, cmap.Int(cmap.I16, uint64(0x8ad0)), func(ctx context.Context, c *cmapclient.Client, k string) error { return c.SetInt16(ctx, k, -30000) },
		func(ctx context.Context, c *cmapclient.Client, k string) (any, error) { return c.GetInt16(ctx, k) }, int16(-30000)},
	{cmap.U16, cmap.Int(cmap.U16, 65535), func(ctx context.Context, c *cmapclient.Client, k string) error { return c.SetUint16(ctx, k, 65535) },
		func(ctx context.Context, c *cmapclient.Client, k string) (any, error) { return c.GetUint16(ctx, k) }, uint16(65535)},
	{cmap.I32, cmap.Int(cmap.I32, uint64(uint32(0xfff8_5ee0))), func(ctx context.Context, c *cmapclient.Client, k string) error { return c.SetInt32(ctx, k, -500000) },
		func(ctx context.Context, c *cmapclient.Client, k string) (any, error) { return c.GetInt32(ctx, k) }, int32(-500000)},
	{cmap.U32, cmap.Int(cmap.U32, 4000000000), func(ctx context.Context, c *cmapclient.Client, k string) error {
		return c.SetUint32(ctx, k, 4000000000)
	},
		func(ctx context.Context, c *cmapclient.Client, k string) (any, error) { return c.GetUint32(ctx, k) }, uint32(4000000000)},
	{cmap.I64, cmap.Int(cmap.I64, uint64(math.MaxUint64-4999999999)), func(ctx context.Context, c *cmapclient.Client, k string) error {
		return c.SetInt64(ctx, k, -5000000000)
	},
		func(ctx context.Context, c *cmapclient.Client, k string) (any, error) { return c.GetInt64(ctx, k) }, int64(-5000000000)},
	{cmap.U64, cmap.Int(cmap.U64, math.MaxUint64), func(ctx context.Context, c *cmapclient.Client, k string) error {
		return c.SetUint64(ctx, k, math.MaxUint64)
	},
		func(ctx context.Context, c *cmapclient.Client, k string) (any, error) { return c.GetUint64(ctx, k) }, uint64(math.MaxUint64)},
	{cmap.Float, cmap.FloatValue(cmap.Float, 1.5), func(ctx context.Context, c *cmapclient.Client, k string) error { return c.SetFloat(ctx, k, 1.5) },
		func(ctx context.Context, c *cmapclient.Client, k string) (any, error) { return c.GetFloat(ctx, k) }, float32(1.5)},
	{cmap.Double, cmap.FloatValue(cmap.Double, -2.25e300), func(ctx context.Context, c *cmapclient.Client, k string) error { return c.SetDouble(ctx, k, -2.25e300) },
		func(ctx context.Context, c *cmapclient.Client, k string) (any, error) { return c.GetDouble(ctx, k) }, float64(-2.25e300)},
	{cmap.String, cmap.Str("hello world"), func(ctx context.Context, c *cmapclient.Client, k string) error {
		return c.SetString(ctx, k, "hello world")
	},
		func(ctx context.Context, c *cmapclient.Client, k string) (any, error) { return c.GetString(ctx, k) }, "hello world"},
	{cmap.Binary, cmap.Value{Type: cmap.Binary, Data: []byte{0, 1, 0xff, '\\'}}, func(ctx context.Context, c *cmapclient.Client, k string) error {
		return c.SetBinary(ctx, k, []byte{0, 1, 0xff, '\\'})
	}, nil, nil},
}

// TestTypes: every type through its typed setter and getter, Set, Get,
// GetInto and Info, checked in the service's store; typed getters refuse
// other types; missing keys are CS_ERR_NOT_EXIST.
func TestTypes(t *testing.T) {
	modes(t, func(t *testing.T, mode shm.Mode) {
		s, c := start(t, mode)
		ctx := ctxT(t)
		for _, tc := range typeCases {
			key := "typed." + tc.typ.String()
			if err := tc.set(ctx, c, key); err != nil {
				t.Fatalf("%s: set: %v", key, err)
			}
			if v, ok := storeGet(t, s, key); !ok || !v.Equal(tc.want) {
				t.Errorf("%s in store: %v %v, want %v", key, v, ok, tc.want)
			}
			if tc.get != nil {
				got, err := tc.get(ctx, c, key)
				if err != nil || got != tc.val {
					t.Errorf("%s: typed get %v %v, want %v", key, got, err, tc.val)
				}
			}
			v, err := c.Get(ctx, key)
			if err != nil || !v.Equal(tc.want) {
				t.Errorf("%s: Get %v %v, want %v", key, v, err, tc.want)
			}
			buf := make([]byte, 0, 64)
			v, err = c.GetInto(ctx, key, buf)
			if err != nil || !v.Equal(tc.want) || &v.Data[:1][0] != &buf[:1][0] {
				t.Errorf("%s: GetInto %v %v (in the given buffer: want)", key, v, err)
			}
			ki, err := c.Info(ctx, key)
			if err != nil || ki != (cmapclient.KeyInfo{Key: key, Len: len(tc.want.Data), Type: tc.typ}) {
				t.Errorf("%s: Info %+v %v", key, ki, err)
			}
			// The same value through Set, on a second key.
			if err := c.Set(ctx, key+"2", tc.want); err != nil {
				t.Errorf("%s2: Set: %v", key, err)
			}
			if v, ok := storeGet(t, s, key+"2"); !ok || !v.Equal(tc.want) {
				t.Errorf("%s2 in store: %v %v, want %v", key, v, ok, tc.want)
			}
		}
		// A typed getter on another type, and on a missing key.
		_, err := c.GetUint32(ctx, "typed.u8")
		wantCode(t, "GetUint32 of a u8", err, cmap.ErrInvalid)
		_, err = c.GetString(ctx, "typed.u32")
		wantCode(t, "GetString of a u32", err, cmap.ErrInvalid)
		_, err = c.GetUint8(ctx, "typed.str")
		wantCode(t, "GetUint8 of a str", err, cmap.ErrInvalid)
		_, err = c.GetUint8(ctx, "typed.none")
		wantCode(t, "GetUint8 of a missing key", err, cmap.ErrNotExist)
		_, err = c.Get(ctx, "typed.none")
		wantCode(t, "Get of a missing key", err, cmap.ErrNotExist)
		_, err = c.Info(ctx, "typed.none")
		wantCode(t, "Info of a missing key", err, cmap.ErrNotExist)
		// Empty values: a string ("" + NUL) and a binary.
		if err := c.SetString(ctx, "typed.empty", ""); err != nil {
			t.Error(err)
		}
		if s, err := c.GetString(ctx, "typed.empty"); s != "" || err != nil {
			t.Errorf("empty string: %q %v", s, err)
		}
		if err := c.SetBinary(ctx, "typed.emptybin", nil); err != nil {
			t.Error(err)
		}
		if v, err := c.Get(ctx, "typed.emptybin"); err != nil || v.Type != cmap.Binary || len(v.Data) != 0 {
			t.Errorf("empty binary: %v %v", v, err)
		}
	})
}

// TestLargeValues: values up to icmap's 16 KiB go and come back, also
// through a small first GET buffer; larger ones get the service's
// CS_ERR_INVALID_PARAM, and beyond the message size the IPC's
// CS_ERR_TOO_BIG.
func TestLargeValues(t *testing.T) {
	modes(t, func(t *testing.T, mode shm.Mode) {
		s, c := start(t, mode)
		ctx := ctxT(t)
		big := bytes.Repeat([]byte{0xa5, 0}, cmap.MaxValueLen/2)
		if err := c.SetBinary(ctx, "large.bin", big); err != nil {
			t.Fatal(err)
		}
		v, err := c.GetInto(ctx, "large.bin", make([]byte, 0, 16))
		if err != nil || !bytes.Equal(v.Data, big) {
			t.Errorf("16 KiB binary: %d bytes, %v", len(v.Data), err)
		}
		str := strings.Repeat("x", cmap.MaxValueLen-1) // + NUL = 16 KiB
		if err := c.SetString(ctx, "large.str", str); err != nil {
			t.Fatal(err)
		}
		if got, err := c.GetString(ctx, "large.str"); got != str || err != nil {
			t.Errorf("16 KiB string: %d bytes, %v", len(got), err)
		}
		wantCode(t, "16 KiB + 1 binary", c.SetBinary(ctx, "large.bin2", append(big, 1)), cmap.ErrInvalid)
		wantCode(t, "16 KiB string + NUL", c.SetString(ctx, "large.str2", str+"x"), cmap.ErrInvalid)
		wantCode(t, "2 MiB binary", c.SetBinary(ctx, "large.bin3", make([]byte, 2<<20)), cserror.ErrTooBig)
		if d := s.Dump(t, "large."); strings.Count(d, "\n") != 2 {
			t.Errorf("store has %q", d)
		}
		// The connection still works.
		if err := c.SetUint8(ctx, "large.after", 1); err != nil {
			t.Error(err)
		}
	})
}

// TestBadInput: bad key names, lengths and types get the service's (or,
// where libcmap checks first, the client's) cs_error, and nothing is
// stored.
func TestBadInput(t *testing.T) {
	s, c := start(t, shm.ModeSHM)
	ctx := ctxT(t)
	long := strings.Repeat("k", 255)
	cases := []struct {
		what string
		err  error
		want cmap.Error
	}{
		{"key of 2 bytes", c.SetUint8(ctx, "ab", 1), cmap.ErrNameLong},
		{"key with a space", c.SetUint8(ctx, "a b.c", 1), cmap.ErrNameLong},
		{"key with !", c.SetString(ctx, "bad!key", "x"), cmap.ErrNameLong},
		{"key of 256 bytes", c.SetUint8(ctx, long+"k", 1), cmap.ErrNameLong},
		{"key with a NUL", c.SetUint8(ctx, "abc\x00def", 1), cmap.ErrInvalid},
		{"u32 of 3 bytes", c.Set(ctx, "bad.u32", cmap.Value{Type: cmap.U32, Data: []byte{1, 2, 3}}), cmap.ErrInvalid},
		{"type 13", c.Set(ctx, "bad.type", cmap.Value{Type: 13, Data: []byte{1}}), cmap.ErrInvalid},
		{"type 0", c.Set(ctx, "bad.type0", cmap.Value{Type: 0}), cmap.ErrInvalid},
		{"string with a NUL inside", c.SetString(ctx, "bad.str", "a\x00b"), cmap.ErrInvalid},
		{"get of a 256-byte key", func() error { _, err := c.Get(ctx, long+"k"); return err }(), cmap.ErrNameLong},
		{"delete of a missing key", c.Delete(ctx, "bad.none"), cmap.ErrNotExist},
	}
	for _, tc := range cases {
		wantCode(t, tc.what, tc.err, tc.want)
	}
	if d := s.Dump(t, ""); d != "" {
		t.Errorf("stored:\n%s", d)
	}
	if err := c.SetUint8(ctx, long, 1); err != nil {
		t.Errorf("key of 255 bytes: %v", err)
	}
}

// TestDeleteAdjust: delete, inc and dec (wrapping at the type's width),
// refused types, and read-only keys.
func TestDeleteAdjust(t *testing.T) {
	s, c := start(t, shm.ModeSHM)
	ctx := ctxT(t)
	storeSet(t, s, "totem.cluster_name", cmap.Str("gs")) // read-only for clients
	for _, err := range []error{
		c.SetUint8(ctx, "adj.u8", 255), c.SetInt8(ctx, "adj.i8", -128),
		c.SetUint64(ctx, "adj.u64", 0), c.SetInt32(ctx, "adj.i32", 7),
		c.SetFloat(ctx, "adj.flt", 1), c.SetDouble(ctx, "adj.dbl", 1),
		c.SetString(ctx, "adj.str", "1"), c.SetBinary(ctx, "adj.bin", []byte{1}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	wantCode(t, "inc u8 255", c.Inc(ctx, "adj.u8"), cmap.OK)
	wantCode(t, "dec i8 -128", c.Dec(ctx, "adj.i8"), cmap.OK)
	wantCode(t, "dec u64 0", c.Dec(ctx, "adj.u64"), cmap.OK)
	wantCode(t, "adjust i32 by -10", c.Adjust(ctx, "adj.i32", -10), cmap.OK)
	if u, err := c.GetUint8(ctx, "adj.u8"); u != 0 || err != nil {
		t.Errorf("u8 after inc: %d %v", u, err)
	}
	if i, err := c.GetInt8(ctx, "adj.i8"); i != 127 || err != nil {
		t.Errorf("i8 after dec: %d %v", i, err)
	}
	if u, err := c.GetUint64(ctx, "adj.u64"); u != math.MaxUint64 || err != nil {
		t.Errorf("u64 after dec: %d %v", u, err)
	}
	if i, err := c.GetInt32(ctx, "adj.i32"); i != -3 || err != nil {
		t.Errorf("i32 after adjust: %d %v", i, err)
	}
	for _, k := range []string{"adj.flt", "adj.dbl", "adj.str", "adj.bin"} {
		wantCode(t, "inc "+k, c.Inc(ctx, k), cmap.ErrInvalid)
	}
	wantCode(t, "inc of a missing key", c.Inc(ctx, "adj.none"), cmap.ErrNotExist)
	wantCode(t, "set read-only", c.SetString(ctx, "totem.cluster_name", "x"), cmap.ErrAccess)
	wantCode(t, "delete read-only", c.Delete(ctx, "totem.cluster_name"), cmap.ErrAccess)
	wantCode(t, "inc read-only", c.Inc(ctx, "totem.cluster_name"), cmap.ErrAccess)
	if v, _ := storeGet(t, s, "totem.cluster_name"); !v.Equal(cmap.Str("gs")) {
		t.Errorf("read-only key is now %v", v)
	}
	wantCode(t, "delete", c.Delete(ctx, "adj.u8"), cmap.OK)
	if _, ok := storeGet(t, s, "adj.u8"); ok {
		t.Error("adj.u8 still there")
	}
	wantCode(t, "delete again", c.Delete(ctx, "adj.u8"), cmap.ErrNotExist)
}

// TestIter: prefixes, lexicographic order, early stop (the iterator is
// finalized: the map can be switched again), bad handles.
func TestIter(t *testing.T) {
	modes(t, func(t *testing.T, mode shm.Mode) {
		s, c := start(t, mode)
		ctx := ctxT(t)
		for _, k := range []string{"it.b", "it.a.2", "it.a.10", "it.c", "other.x", "itz"} {
			storeSet(t, s, k, cmap.Str(k))
		}
		var got []string
		for ki, err := range c.Iter(ctx, "it.") {
			if err != nil {
				t.Fatal(err)
			}
			if ki.Type != cmap.String || ki.Len != len(ki.Key)+1 {
				t.Errorf("%+v", ki)
			}
			got = append(got, ki.Key)
		}
		if strings.Join(got, " ") != "it.a.10 it.a.2 it.b it.c" {
			t.Errorf("it.: %q", got)
		}
		n := 0
		for range c.Iter(ctx, "") {
			n++
		}
		if n != 6 {
			t.Errorf("all keys: %d", n)
		}
		for range c.Iter(ctx, "no.such.") {
			t.Error("a key under no.such.")
		}
		for ki := range c.Iter(ctx, "it.") {
			if ki.Key != "it.a.10" {
				t.Errorf("first %q", ki.Key)
			}
			break
		}
		// An open iterator makes SET_CURRENT_MAP busy; the broken loop's
		// was finalized.
		wantCode(t, "set map after the loops", c.SetMap(ctx, cmapclient.MapICMap), cmap.OK)
		h, err := c.IterInit(ctx, "it.")
		if err != nil {
			t.Fatal(err)
		}
		wantCode(t, "set map with an iterator", c.SetMap(ctx, cmapclient.MapStats), cmap.ErrBusy)
		ki, err := c.IterNext(ctx, h)
		if err != nil || ki.Key != "it.a.10" {
			t.Errorf("IterNext %+v %v", ki, err)
		}
		wantCode(t, "finalize", c.IterFinalize(ctx, h), cmap.OK)
		_, err = c.IterNext(ctx, h)
		wantCode(t, "next after finalize", err, cmap.ErrBadHandle)
		wantCode(t, "finalize again", c.IterFinalize(ctx, h), cmap.ErrBadHandle)
		_, err = c.IterInit(ctx, strings.Repeat("p", 256))
		wantCode(t, "prefix of 256 bytes", err, cmap.ErrNameLong)
		for _, err := range c.Iter(ctx, strings.Repeat("p", 256)) {
			wantCode(t, "Iter with a prefix of 256 bytes", err, cmap.ErrNameLong)
		}
	})
}

// TestStatsMap: the stats map reads like the main one and refuses writes
// (CS_ERR_NOT_SUPPORTED); unknown maps are CS_ERR_NOT_EXIST.
func TestStatsMap(t *testing.T) {
	s, c := start(t, shm.ModeSHM)
	ctx := ctxT(t)
	s.Do(t, func() { s.Service.Stats.Set("stats.srp.mcast_tx", cmap.Int(cmap.U64, 42)) })
	storeSet(t, s, "main.key", cmap.Int(cmap.U8, 1))
	wantCode(t, "set map 1", c.SetMap(ctx, cmapclient.MapStats), cmap.OK)
	if u, err := c.GetUint64(ctx, "stats.srp.mcast_tx"); u != 42 || err != nil {
		t.Errorf("stats key: %d %v", u, err)
	}
	_, err := c.GetUint8(ctx, "main.key")
	wantCode(t, "main key in the stats map", err, cmap.ErrNotExist)
	var keys []string
	for ki, err := range c.Iter(ctx, "") {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, ki.Key)
	}
	if strings.Join(keys, " ") != "stats.srp.mcast_tx" {
		t.Errorf("stats keys %q", keys)
	}
	wantCode(t, "set in stats", c.SetUint64(ctx, "stats.srp.mcast_tx", 1), cmap.ErrNotSupp)
	wantCode(t, "new key in stats", c.SetUint8(ctx, "stats.new", 1), cmap.ErrNotSupp)
	wantCode(t, "delete in stats", c.Delete(ctx, "stats.srp.mcast_tx"), cmap.ErrNotSupp)
	wantCode(t, "inc in stats", c.Inc(ctx, "stats.srp.mcast_tx"), cmap.ErrNotSupp)
	wantCode(t, "map 7", c.SetMap(ctx, 7), cmap.ErrNotExist)
	wantCode(t, "back to icmap", c.SetMap(ctx, cmapclient.MapICMap), cmap.OK)
	if u, err := c.GetUint8(ctx, "main.key"); u != 1 || err != nil {
		t.Errorf("main key: %d %v", u, err)
	}
}
