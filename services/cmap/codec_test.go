package cmap

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// Request builders by the spec's offsets (LIBQB_IPC_SPEC §5.1), written
// independently of codec.go's constants.
func reqHeader(b []byte, id int) []byte {
	binary.LittleEndian.PutUint32(b[0:], uint32(id))
	binary.LittleEndian.PutUint32(b[8:], uint32(len(b)))
	return b
}

func name(b []byte, off int, key string) {
	binary.LittleEndian.PutUint16(b[off:], uint16(len(key)))
	copy(b[off+8:], key)
}

func setReq(key string, typ byte, val []byte) []byte {
	b := make([]byte, 296+len(val))
	name(b, 16, key)
	binary.LittleEndian.PutUint64(b[280:], uint64(len(val)))
	b[288] = typ
	copy(b[296:], val)
	return reqHeader(b, 0)
}

func keyReq(id int, size int, key string) []byte {
	b := make([]byte, size)
	name(b, 16, key)
	return reqHeader(b, id)
}

func getReq(key string, n uint64) []byte {
	b := keyReq(2, 288, key)
	binary.LittleEndian.PutUint64(b[280:], n)
	return b
}

func adjustReq(key string, step int32) []byte {
	b := keyReq(3, 288, key)
	binary.LittleEndian.PutUint32(b[280:], uint32(step))
	return b
}

func handleReq(id int, h uint64) []byte {
	b := make([]byte, 24)
	binary.LittleEndian.PutUint64(b[16:], h)
	return reqHeader(b, id)
}

func trackAddReq(key string, typ int32, inst uint64) []byte {
	b := keyReq(7, 296, key)
	binary.LittleEndian.PutUint32(b[280:], uint32(typ))
	binary.LittleEndian.PutUint64(b[288:], inst)
	return b
}

func TestDecodeRequest(t *testing.T) {
	r, e := DecodeRequest(setReq("a.b.c", 6, []byte{5, 0, 0, 0}))
	if e != OK || r.ID != ReqSet || r.Key != "a.b.c" || r.KeyLen != 5 || r.Type != U32 || r.ValueLen != 4 || !bytes.Equal(r.Value, []byte{5, 0, 0, 0}) {
		t.Errorf("SET: %+v %v", r, e)
	}
	r, e = DecodeRequest(getReq("k.ey", 16))
	if e != OK || r.Key != "k.ey" || r.ValueLen != 16 {
		t.Errorf("GET: %+v %v", r, e)
	}
	r, e = DecodeRequest(adjustReq("k.ey", -1))
	if e != OK || r.Step != -1 {
		t.Errorf("ADJUST: %+v %v", r, e)
	}
	r, e = DecodeRequest(trackAddReq("x.", 12, 0xdeadbeef01))
	if e != OK || r.Key != "x." || r.Track != 12 || r.Handle != 0xdeadbeef01 {
		t.Errorf("TRACK_ADD: %+v %v", r, e)
	}
	r, e = DecodeRequest(handleReq(5, 1<<40|7))
	if e != OK || r.Handle != 1<<40|7 {
		t.Errorf("ITER_NEXT: %+v %v", r, e)
	}
	// ITER_INIT: a zero length field means all keys even with bytes in value.
	b := keyReq(4, 280, "abc")
	binary.LittleEndian.PutUint16(b[16:], 0)
	if r, e = DecodeRequest(b); e != OK || r.Key != "" {
		t.Errorf("ITER_INIT: %+v %v", r, e)
	}
	// Bad sizes and ids.
	for i, bad := range [][]byte{
		nil, make([]byte, 15),
		reqHeader(make([]byte, 281), 1),                // DELETE one byte long
		reqHeader(make([]byte, 24), 10),                // unknown id
		reqHeader(make([]byte, 24), -1),                // negative id
		setReq("a.b", 6, []byte{1, 2, 3, 4})[:299],     // truncated value
		reqHeader(make([]byte, 287), 2),                // GET short
		reqHeader(make([]byte, 25), 5),                 // ITER_NEXT long
		setReq("a.b", 12, make([]byte, MaxValueLen+1)), // too big
	} {
		if _, e := DecodeRequest(bad); e != ErrInvalid {
			t.Errorf("bad %d: %v", i, e)
		}
	}
	// A name with no NUL in its 256 bytes is 256 bytes long.
	b = keyReq(1, 280, "")
	copy(b[24:280], bytes.Repeat([]byte("k"), 256))
	if r, _ = DecodeRequest(b); len(r.Key) != 256 {
		t.Errorf("unterminated name: %d", len(r.Key))
	}
}

func TestSetValue(t *testing.T) {
	for _, c := range []struct {
		typ  ValueType
		in   string
		want string
		e    Error
	}{
		{String, "abc", "abc\x00", OK},
		{String, "abc\x00", "abc\x00", OK},
		{String, "ab\x00\x00", "", ErrInvalid},
		{String, "", "\x00", OK},
		{U16, "\x01\x02", "\x01\x02", OK},
		{U16, "\x01", "", ErrInvalid},
		{Double, "12345678", "12345678", OK},
		{Binary, "a\x00b", "a\x00b", OK},
		{0, "", "", ErrInvalid},
		{13, "", "", ErrInvalid},
	} {
		v, e := setValue(c.typ, []byte(c.in))
		if e != c.e || e == OK && string(v.Data) != c.want {
			t.Errorf("setValue(%v, %q) = %q %v", c.typ, c.in, v.Data, e)
		}
	}
}

func TestEncodeNotifyGolden(t *testing.T) {
	var buf [336]byte
	ev := Event{Kind: TrackModify, Key: "a.key", New: Int(U32, 7), Old: Int(U16, 3)}
	got := EncodeNotify(buf[:], 0x1122334455667788, ev)
	want := make([]byte, 336)
	binary.LittleEndian.PutUint32(want[0:], 9)
	binary.LittleEndian.PutUint32(want[8:], 336+4+2)
	binary.LittleEndian.PutUint32(want[16:], 1)
	binary.LittleEndian.PutUint64(want[24:], 0x1122334455667788)
	binary.LittleEndian.PutUint16(want[32:], 5)
	copy(want[40:], "a.key")
	binary.LittleEndian.PutUint32(want[296:], 2)
	want[304] = 6
	want[312] = 4
	binary.LittleEndian.PutUint64(want[320:], 4)
	binary.LittleEndian.PutUint64(want[328:], 2)
	if !bytes.Equal(got, want) {
		t.Errorf("notify\n got %x\nwant %x", got, want)
	}
}
