package cfg

import (
	"testing"

	"github.com/gorosync/gorosync/services/cserror"
)

// FuzzDecodeRequest feeds arbitrary bytes to the request decoder and then
// to the engine: no panic, what decodes has its exact size and survives a
// re-encoding, and every request gets exactly one reply.
// Seeds: testdata/fuzz/FuzzDecodeRequest.
func FuzzDecodeRequest(f *testing.F) {
	for _, r := range []Request{
		{ID: ReqKillNode, NodeID: 2, Reason: "Killed by corosync-cfgtool"},
		{ID: ReqTryShutdown, Flags: ShutdownRegardless},
		{ID: ReqNodeStatusGet, NodeID: 1, Version: 1},
		{ID: ReqTrackStart},
	} {
		f.Add(EncodeRequest(r))
	}
	cl := newCluster(f, 2)
	n1 := cl.nodes[1]
	f.Fuzz(func(t *testing.T, req []byte) {
		r, e := DecodeRequest(req)
		if e == cserror.OK {
			if want, _ := RequestSize(r.ID); len(req) != want {
				t.Fatalf("decoded %+v from %d bytes", r, len(req))
			}
			r2, e2 := DecodeRequest(EncodeRequest(r))
			if e2 != cserror.OK || r2 != r {
				t.Fatalf("re-encoded %+v decodes to %+v (%v)", r, r2, e2)
			}
		}
		c := n1.conn()
		n1.eng.request(c, req)
		waits := e == cserror.OK && (r.ID == ReqReloadConfig || r.ID == ReqTryShutdown && r.Flags < ShutdownImmediate && len(n1.eng.trackers) > 0)
		if len(c.replies) != 1 && !waits {
			t.Fatalf("%d replies to %x", len(c.replies), req)
		}
		n1.disconnect(c)
		cl.run()
	})
}

// FuzzExec delivers arbitrary exec messages: no panic, and a KILLNODE
// that is not for this node kills nobody.
func FuzzExec(f *testing.F) {
	f.Add(uint16(fnKillNode), encodeKillNode(2, "why"))
	f.Add(uint16(fnReloadConfig), make([]byte, 8))
	f.Add(uint16(fnShutdown), []byte{})
	cl := newCluster(f, 2)
	n1 := cl.nodes[1]
	f.Fuzz(func(t *testing.T, fn uint16, msg []byte) {
		kills := len(n1.kills)
		n1.eng.Deliver(2, fn, msg)
		target, _, ok := decodeKillNode(msg)
		if len(n1.kills) != kills && !(fn == fnKillNode && ok && target == 1) {
			t.Fatalf("killed by fn %d %x", fn, msg)
		}
		n1.log.Reset()
	})
}

// FuzzDecodeReplies feeds arbitrary replies to the client-side decoders:
// no panic, and what decodes is within the wire's bounds.
func FuzzDecodeReplies(f *testing.F) {
	f.Add(EncodeNodeStatus(make([]byte, NodeStatusResSize), NodeStatus{NodeID: 1, Reachable: true}))
	f.Add(EncodeRingStatus(make([]byte, RingStatusResSize), []RingStatus{{"0 10.0.0.1", "n3"}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		if st, e := DecodeNodeStatus(b); e == cserror.OK {
			for _, l := range st.Links {
				if len(l.Src) > hostLen || len(l.Dst) > hostLen {
					t.Fatalf("address of %d/%d bytes", len(l.Src), len(l.Dst))
				}
			}
		}
		if rings, e := DecodeRingStatus(b); e == cserror.OK && len(rings) > MaxInterfaces {
			t.Fatalf("%d rings", len(rings))
		}
		if addrs, e := DecodeNodeAddrs(b); e == cserror.OK && len(addrs)*addrLen > len(b) {
			t.Fatalf("%d addresses from %d bytes", len(addrs), len(b))
		}
	})
}
