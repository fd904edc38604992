package quorum

import (
	"testing"

	"github.com/gorosync/gorosync/services"
	"github.com/gorosync/gorosync/services/cserror"
)

// FuzzDecodeRequest: no panic; what decodes has its request's exact size.
// Seeds: testdata/fuzz/FuzzDecodeRequest.
func FuzzDecodeRequest(f *testing.F) {
	f.Add(make([]byte, 16))
	f.Fuzz(func(t *testing.T, req []byte) {
		r, e := DecodeRequest(req)
		if e != cserror.OK {
			return
		}
		if r.ID < 0 || r.ID >= numReqs {
			t.Fatalf("decoded id %d", r.ID)
		}
		want := ReqHdrSize
		if r.ID == ReqTrackStart || r.ID == ReqModelGetType {
			want = 24
		}
		if len(req) != want {
			t.Fatalf("id %d decoded from %d bytes", r.ID, len(req))
		}
	})
}

// FuzzDecodeEvent: no panic; a decoded event re-encodes to the same lists.
// Seeds: testdata/fuzz/FuzzDecodeEvent.
func FuzzDecodeEvent(f *testing.F) {
	f.Add(AppendV1NodeList(nil, services.RingID{Rep: 1, Seq: 2}, []uint32{1, 2}, []uint32{2}, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := DecodeEvent(b)
		if err != nil {
			return
		}
		var re []byte
		switch ev.ID {
		case ResNotification:
			re = AppendNotification(nil, ev.Quorate, ev.Ring.Seq, ev.Members)
		case ResV1Quorum:
			re = AppendV1Quorum(nil, ev.Quorate, ev.Ring, ev.Members)
		case ResV1NodeList:
			re = AppendV1NodeList(nil, ev.Ring, ev.Members, ev.Joined, ev.Left)
		}
		back, err := DecodeEvent(re)
		if err != nil || back.ID != ev.ID || len(back.Members) != len(ev.Members) || len(back.Joined) != len(ev.Joined) || len(back.Left) != len(ev.Left) {
			t.Fatalf("re-encoded %+v as %+v (%v)", ev, back, err)
		}
	})
}
