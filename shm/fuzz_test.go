package shm

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// FuzzHandshake drives the connection-request parser (and what the
// acceptor does with a request it accepts: negotiate, encode the response)
// with arbitrary first messages.
func FuzzHandshake(f *testing.F) {
	f.Add(goldenRequest)
	f.Add(connRequestBytes(0))
	f.Add(connRequestBytes(0xffffffff))
	f.Add(bytes.Repeat([]byte{0xff}, 24))
	f.Add([]byte{})
	f.Add(goldenRequest[:23])
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := parseConnRequest(data)
		le := binary.LittleEndian
		switch {
		case len(data) != connRequestSize:
			if err != errRequestLength {
				t.Fatalf("%d bytes: %v", len(data), err)
			}
			return
		case int32(le.Uint32(data)) != -1:
			if err != errNotAuthRequest {
				t.Fatalf("id %d: %v", int32(le.Uint32(data)), err)
			}
			return
		case err != nil:
			t.Fatalf("valid request refused: %v", err)
		}
		if r.maxMsgSize != le.Uint32(data[16:]) || r.size != int32(le.Uint32(data[8:])) {
			t.Fatalf("fields %+v", r)
		}
		const min, cap = 1 << 20, 64 << 20
		n := negotiateMaxMsg(r.maxMsgSize, min, cap)
		if n < min || n > cap || (uint64(r.maxMsgSize) <= cap && n < int(r.maxMsgSize)) {
			t.Fatalf("negotiated %d for %d", n, r.maxMsgSize)
		}
		var buf [connResponseSize]byte
		resp := connResponse{connType: 1, maxMsg: uint32(n), request: "/dev/shm/x/qb-request-s"}
		if err := resp.encode(&buf); err != nil {
			t.Fatal(err)
		}
		if int32(le.Uint32(buf[0:])) != -1 || le.Uint32(buf[8:]) != connResponseSize || le.Uint32(buf[respOffMaxMsg:]) != uint32(n) {
			t.Fatal("response header")
		}
	})
}

// FuzzRequestHeader drives request-header validation with arbitrary
// message bytes and max_msg_size values.
func FuzzRequestHeader(f *testing.F) {
	f.Add(hdr16(1, 16, 16), uint32(1<<20))
	f.Add(hdr16(1, 200, 100), uint32(1<<20))
	f.Add(hdr16(1, 100, 200), uint32(50))
	f.Add(hdr16(-3, 16, 16), uint32(1<<20))
	f.Add(hdr16(2, 0, 40), uint32(1<<20))
	f.Add(hdr16(2, -1, 40), uint32(1<<20))
	f.Add([]byte{1, 2, 3}, uint32(1<<20))
	f.Add([]byte{}, uint32(1<<20))
	f.Fuzz(func(t *testing.T, data []byte, maxMsg uint32) {
		max := int(maxMsg % (1 << 30))
		size, v := checkRequest(data, len(data), max)
		if len(data) == 0 {
			if v != reqDisconnect {
				t.Fatalf("empty message: %v", v)
			}
			return
		}
		if len(data) < 16 {
			if v != reqBad {
				t.Fatalf("%d bytes: %v", len(data), v)
			}
			return
		}
		le := binary.LittleEndian
		id, sz := int32(le.Uint32(data)), int32(le.Uint32(data[8:]))
		switch {
		case id == -3 || sz == 0:
			if v != reqDisconnect {
				t.Fatalf("id %d size %d: %v", id, sz, v)
			}
		case sz >= 16 && int(sz) <= len(data) && int(sz) <= max:
			if v != reqOK || size != int(sz) {
				t.Fatalf("valid header (size %d of %d, max %d): %v %d", sz, len(data), max, v, size)
			}
		default:
			if v != reqBad {
				t.Fatalf("size %d of %d, max %d: %v", sz, len(data), max, v)
			}
		}
		if v == reqOK && (size < 16 || size > len(data) || size > max) {
			t.Fatalf("accepted size %d outside [16, %d]", size, min(len(data), max))
		}
	})
}
