package cmap

import "testing"

// FuzzDecodeRequest feeds arbitrary bytes to the request decoder and the
// SET value conversion: no panic, and what decodes has its exact size.
// Seeds: testdata/fuzz/FuzzDecodeRequest.
func FuzzDecodeRequest(f *testing.F) {
	f.Add(setReq("a.b", 6, u32le(5)))
	f.Add(getReq("a.b", 16))
	f.Add(trackAddReq("a.", 15, 1))
	f.Fuzz(func(t *testing.T, req []byte) {
		r, e := DecodeRequest(req)
		if e != OK {
			return
		}
		if r.ID < 0 || r.ID >= numReqs || len(req) < reqHdr {
			t.Fatalf("decoded %+v from %d bytes", r, len(req))
		}
		if r.ID == ReqSet {
			if uint64(len(r.Value)) != r.ValueLen || len(req) != setReqSize+len(r.Value) {
				t.Fatalf("SET value %d bytes, value_len %d", len(r.Value), r.ValueLen)
			}
			if v, e := setValue(r.Type, r.Value); e == OK && checkValue(v) != OK {
				t.Fatalf("setValue gave an invalid value %+v", v)
			}
		}
		if len(r.Key) > nameMax {
			t.Fatalf("key of %d bytes", len(r.Key))
		}
	})
}
