package votequorum

import (
	"testing"

	"github.com/gorosync/gorosync/services"
	"github.com/gorosync/gorosync/services/cmap"
	"github.com/gorosync/gorosync/services/cserror"
)

// FuzzDecodeRequest: no panic; what decodes has its request's exact size
// and names within their field. Seeds: testdata/fuzz/FuzzDecodeRequest.
func FuzzDecodeRequest(f *testing.F) {
	f.Add(make([]byte, 24))
	f.Fuzz(func(t *testing.T, req []byte) {
		r, e := DecodeRequest(req)
		if e != cserror.OK {
			return
		}
		if n := reqSize(r.ID); n == 0 || len(req) != n {
			t.Fatalf("id %d decoded from %d bytes", r.ID, len(req))
		}
		if len(r.Name) >= QdeviceNameLen || len(r.NewName) >= QdeviceNameLen {
			t.Fatalf("names of %d and %d bytes", len(r.Name), len(r.NewName))
		}
	})
}

// FuzzDecodeEvent: no panic; counts never exceed the bytes there.
// Seeds: testdata/fuzz/FuzzDecodeEvent.
func FuzzDecodeEvent(f *testing.F) {
	f.Add(AppendQuorumEvent(nil, true, 7, []NodeStatus{{1, 1}, {2, 2}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := DecodeEvent(b)
		if err != nil {
			return
		}
		if 8*len(ev.Nodes)+quorumEvSize > len(b) && len(ev.Nodes) > 0 || 4*len(ev.Members)+nodeListEvSize > len(b) && len(ev.Members) > 0 {
			t.Fatalf("%d nodes, %d members from %d bytes", len(ev.Nodes), len(ev.Members), len(b))
		}
	})
}

// sink is a Host that keeps nothing.
type sink struct{}

func (sink) Send(uint16, uint16, ...[]byte) error { return nil }

// FuzzDeliver feeds arbitrary exec messages to an engine in sync: no
// panic, and the engine's own node stays what it is. The input is a
// series of messages, each fn (1 byte), sender (1 byte), body length
// (u16) and body. Seeds: testdata/fuzz/FuzzDeliver.
func FuzzDeliver(f *testing.F) {
	f.Add([]byte{0, 2, 16, 0, 2, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		s := confStore([]uint32{1, 2, 3}, 1, map[string]cmap.Value{"quorum.device.model": cmap.Str("net")})
		e, err := New(Config{NodeID: 1, Store: s, StateDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		e.SetHost(sink{})
		e.SyncInit([]uint32{1}, []uint32{1, 2, 3}, services.RingID{Rep: 1, Seq: 4})
		for n := 0; len(b) >= 4 && n < 16; n++ {
			fn, from, size := uint16(b[0]%5), uint32(b[1]%4), int(le.Uint16(b[2:]))
			body := b[4:min(len(b), 4+size)]
			e.Deliver(from, fn, body)
			b = b[4+len(body):]
		}
		e.SyncProcess()
		e.SyncActivate()
		if e.find(1) != e.us || e.us.id != 1 {
			t.Fatal("our node was replaced")
		}
		if _, res := e.GetInfo(0); res != cserror.OK {
			t.Fatalf("getinfo: %v", res)
		}
	})
}
