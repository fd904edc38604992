package cmap

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/gorosync/gorosync/shm/client"
	"github.com/gorosync/gorosync/shm/shmtest"
)

func dial(t *testing.T, s *server) *client.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, s.name, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// call sends req and returns the reply, checking its header's size.
func call(t *testing.T, c *client.Client, req []byte) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	buf := make([]byte, 1<<20)
	n, err := c.Request(ctx, req, buf)
	if err != nil {
		t.Fatal(err)
	}
	if int(binary.LittleEndian.Uint32(buf[8:])) != n {
		t.Fatalf("reply size field %d, got %d bytes", binary.LittleEndian.Uint32(buf[8:]), n)
	}
	return buf[:n]
}

func hdr(id, size, e int) []byte {
	b := make([]byte, size)
	binary.LittleEndian.PutUint32(b[0:], uint32(id))
	binary.LittleEndian.PutUint32(b[8:], uint32(size))
	binary.LittleEndian.PutUint32(b[16:], uint32(e))
	return b
}

func expect(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Errorf("%s\n got %x\nwant %x", what, got, want)
	}
}

func u32le(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }

func TestIPCGolden(t *testing.T) {
	st := NewStore()
	st.Set("totem.cluster_name", Str("gs"))
	s := startServer(t, shmtest.Name("gscmap"), st)
	c := dial(t, s)

	expect(t, "SET", call(t, c, setReq("test.a", 6, u32le(5))), hdr(0, 24, 1))
	s.Do(t, func() {
		if v, _ := st.Get("test.a"); v.String() != "(u32) = 5" {
			t.Errorf("store: %v", v)
		}
	})
	expect(t, "SET ro", call(t, c, setReq("totem.cluster_name", 11, []byte("x"))), hdr(0, 24, 11))
	expect(t, "SET bad name", call(t, c, setReq("a b", 6, u32le(5))), hdr(0, 24, 13))
	expect(t, "SET bad len", call(t, c, setReq("test.b", 6, []byte{1})), hdr(0, 24, 7))
	expect(t, "SET str", call(t, c, setReq("test.s", 11, []byte("hello"))), hdr(0, 24, 1))

	// GET: 40 + requested length, value_len the actual one.
	want := hdr(2, 40+16, 1)
	binary.LittleEndian.PutUint64(want[24:], 6)
	want[32] = 11
	copy(want[40:], "hello\x00")
	expect(t, "GET str", call(t, c, getReq("test.s", 16)), want)
	want = hdr(2, 40, 1)
	binary.LittleEndian.PutUint64(want[24:], 6)
	want[32] = 11
	expect(t, "GET len probe", call(t, c, getReq("test.s", 0)), want)
	expect(t, "GET small buf", call(t, c, getReq("test.s", 3)), hdr(2, 40, 7))
	expect(t, "GET missing", call(t, c, getReq("no.such", 16)), hdr(2, 40, 12))

	expect(t, "ADJUST", call(t, c, adjustReq("test.a", -6)), hdr(3, 24, 1))
	s.Do(t, func() {
		if v, _ := st.Get("test.a"); v.String() != "(u32) = 4294967295" {
			t.Errorf("store: %v", v)
		}
	})
	expect(t, "ADJUST str", call(t, c, adjustReq("test.s", 1)), hdr(3, 24, 7))
	expect(t, "ADJUST missing", call(t, c, adjustReq("no.such", 1)), hdr(3, 24, 12))
	expect(t, "ADJUST ro", call(t, c, adjustReq("totem.cluster_name", 1)), hdr(3, 24, 11))
	expect(t, "DELETE missing", call(t, c, keyReq(1, 280, "no.such")), hdr(1, 24, 12))
	expect(t, "DELETE ro", call(t, c, keyReq(1, 280, "totem.cluster_name")), hdr(1, 24, 11))

	// Iteration over "test.".
	r := call(t, c, keyReq(4, 280, "test."))
	if len(r) != 32 || binary.LittleEndian.Uint32(r[16:]) != 1 {
		t.Fatalf("ITER_INIT %x", r)
	}
	h := binary.LittleEndian.Uint64(r[24:])
	for _, k := range []struct {
		key string
		n   int
		typ byte
	}{{"test.a", 4, 6}, {"test.s", 6, 11}} {
		want := hdr(5, 304, 1)
		binary.LittleEndian.PutUint16(want[24:], uint16(len(k.key)))
		copy(want[32:], k.key)
		binary.LittleEndian.PutUint64(want[288:], uint64(k.n))
		want[296] = k.typ
		expect(t, "ITER_NEXT "+k.key, call(t, c, handleReq(5, h)), want)
	}
	expect(t, "ITER_NEXT end", call(t, c, handleReq(5, h)), hdr(5, 304, 27))
	expect(t, "ITER_NEXT bad", call(t, c, handleReq(5, h+1)), hdr(5, 304, 9))
	expect(t, "ITER_FINALIZE", call(t, c, handleReq(6, h)), hdr(6, 24, 1))
	expect(t, "ITER_FINALIZE again", call(t, c, handleReq(6, h)), hdr(6, 24, 9))

	// Bad requests.
	expect(t, "unknown id", call(t, c, reqHeader(make([]byte, 24), 11)), hdr(0, 24, 7))
	expect(t, "short DELETE", call(t, c, reqHeader(make([]byte, 100), 1)), hdr(1, 24, 7))
	expect(t, "short GET", call(t, c, reqHeader(make([]byte, 100), 2)), hdr(2, 40, 7))
	expect(t, "SET_CURRENT_MAP 7", call(t, c, reqHeader(append(make([]byte, 16), 7, 0, 0, 0, 0, 0, 0, 0), 9)), hdr(10, 24, 12))
	expect(t, "TRACK_DELETE bad", call(t, c, handleReq(8, 42)), hdr(8, 32, 9))
	expect(t, "TRACK_ADD bad type", call(t, c, trackAddReq("x", 16, 1)), hdr(7, 32, 7))
}

func TestIPCTrack(t *testing.T) {
	st := NewStore()
	s := startServer(t, shmtest.Name("gscmap"), st)
	c := dial(t, s)
	r := call(t, c, trackAddReq("tr.", TrackAdd|TrackModify|TrackDelete|TrackPrefix, 0xabcdef))
	if len(r) != 32 || binary.LittleEndian.Uint32(r[16:]) != 1 {
		t.Fatalf("TRACK_ADD %x", r)
	}
	th := binary.LittleEndian.Uint64(r[24:])
	// Map switching is refused while a track is open.
	expect(t, "SET_CURRENT_MAP busy", call(t, c, reqHeader(make([]byte, 24), 9)), hdr(10, 24, 10))

	call(t, c, setReq("tr.k", 6, u32le(1)))
	call(t, c, setReq("tr.k", 6, u32le(1))) // no event
	call(t, c, setReq("tr.k", 4, []byte{2, 0}))
	s.Do(t, func() { st.Delete("tr.k") }) // the daemon's own change
	call(t, c, setReq("other.k", 6, u32le(1)))

	ev := func(kind int, nt, ot byte, nv, ov []byte) []byte {
		b := hdr(9, 336+len(nv)+len(ov), 1)
		binary.LittleEndian.PutUint64(b[24:], 0xabcdef)
		binary.LittleEndian.PutUint16(b[32:], 4)
		copy(b[40:], "tr.k")
		binary.LittleEndian.PutUint32(b[296:], uint32(kind))
		b[304], b[312] = nt, ot
		binary.LittleEndian.PutUint64(b[320:], uint64(len(nv)))
		binary.LittleEndian.PutUint64(b[328:], uint64(len(ov)))
		copy(b[336:], nv)
		copy(b[336+len(nv):], ov)
		return b
	}
	wants := [][]byte{
		ev(4, 6, 0, u32le(1), nil),
		ev(2, 4, 6, []byte{2, 0}, u32le(1)),
		ev(1, 0, 4, nil, []byte{2, 0}),
	}
	buf := make([]byte, 1<<20)
	for i, w := range wants {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		n, err := c.Event(ctx, buf)
		cancel()
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		expect(t, fmt.Sprint("event ", i), buf[:n], w)
	}
	want := hdr(8, 32, 1)
	binary.LittleEndian.PutUint64(want[24:], 0xabcdef)
	expect(t, "TRACK_DELETE", call(t, c, handleReq(8, th)), want)
	s.Do(t, func() {
		if st.Tracks() != 0 {
			t.Errorf("tracks left: %d", st.Tracks())
		}
	})
	// Tracks of a connection that goes away are freed.
	c2 := dial(t, s)
	call(t, c2, trackAddReq("tr.", TrackAdd|TrackPrefix, 1))
	c2.Close()
	deadline := time.Now().Add(5 * time.Second)
	for n := 1; n != 0; {
		s.Do(t, func() { n = st.Tracks() })
		if time.Now().After(deadline) {
			t.Fatalf("track of a closed connection still there")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
