package cpg

import (
	"cmp"
	"slices"
	"testing"

	"github.com/gorosync/gorosync/services/cserror"
)

// Seeds of the request fuzzer: one well-formed request of each kind.
func requestSeeds() [][]byte {
	b := func(n int) []byte { return make([]byte, n) }
	return [][]byte{
		EncodeJoin(b(JoinReqSize), []byte("g"), 9, 1),
		EncodeLeave(b(LeaveReqSize), []byte("g"), 42),
		append(EncodeMcastHeader(b(McastReqSize), Agreed, 4), "abcd"...),
		append(EncodePartialHeader(b(PartialReqSize), Safe, 10, 4, PartialFirst), "abcd"...),
		EncodeMembership(b(MembershipReqSize), []byte("g")),
		EncodeHeaderOnly(b(ReqHeaderSize), ReqLocalGet),
		EncodeIterInit(b(IterInitReqSize), IterAll, nil),
		EncodeIter(b(IterReqSize), ReqIterNext, 1),
		EncodeIter(b(IterReqSize), ReqIterFinalize, 1),
		EncodeHeaderOnly(b(ReqHeaderSize), ReqFinalize),
		EncodeHeaderOnly(b(ReqHeaderSize), 99),
	}
}

// FuzzServe feeds arbitrary requests to a joined connection: no panic; an
// MCAST never gets a reply, anything else gets exactly one, whose size
// field is its length; the service still answers afterwards. Seeds:
// testdata/fuzz/FuzzServe.
func FuzzServe(f *testing.F) {
	for _, s := range requestSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, req []byte) {
		e, l, c := joinedEngine(t)
		if len(req) >= ReqHeaderSize {
			le.PutUint32(req[8:], uint32(len(req))) // the shm server checked it
		}
		c.respN = -1
		e.Serve(c, req)
		mcast := len(req) >= ReqHeaderSize && HeaderID(req) == ReqMcast
		switch {
		case mcast && c.respN != -1:
			t.Fatalf("a reply to an MCAST request")
		case !mcast && c.respN < ResHeaderSize:
			t.Fatalf("no reply to request %x", req[:min(len(req), 16)])
		case !mcast && int(HeaderSize(c.reply())) != c.respN:
			t.Fatalf("reply size field %d, length %d", HeaderSize(c.reply()), c.respN)
		}
		for l.sent > 0 {
			l.sent = 0
			l.deliverLast()
		}
		e.Serve(c, EncodeHeaderOnly(make([]byte, ReqHeaderSize), ReqLocalGet))
		if c.respN != LocalGetResSize || HeaderError(c.reply()) != cserror.OK {
			t.Fatalf("LOCAL_GET after the request: %d bytes, %v", c.respN, HeaderError(c.reply()))
		}
	})
}

// FuzzDeliver feeds arbitrary exec messages to an engine with a joined
// local process: no panic, and the process table stays sorted without
// duplicates. Seeds: testdata/fuzz/FuzzDeliver.
func FuzzDeliver(f *testing.F) {
	name := []byte("g")
	f.Add(uint16(fnProcJoin), appendName(putProcJoinHeader(nil, 5), name))
	f.Add(uint16(fnProcLeave), appendName(putProcLeaveHeader(nil, 42, ReasonLeave), name))
	f.Add(uint16(fnMcast), append(appendName(putMcastHeader(nil, 42), name), "hello"...))
	f.Add(uint16(fnPartialMcast), append(appendName(putPartialHeader(nil, 42, 9, PartialFirst), name), "part"...))
	f.Add(uint16(fnJoinList), encodeJoinList(nil, []Entry{{Group: "g", PID: 3}}))
	f.Add(uint16(fnDownlist), encodeDownlist(nil, 2, []uint32{3}))
	f.Fuzz(func(t *testing.T, fn uint16, msg []byte) {
		e, _, _ := joinedEngine(t)
		for _, from := range []uint32{1, 2} {
			e.Deliver(from, fn, msg)
		}
		for _, g := range e.procs.groups {
			if !slices.IsSortedFunc(g.members, func(a, b entry) int {
				if a.nodeid != b.nodeid {
					return cmp.Compare(a.nodeid, b.nodeid)
				}
				return cmp.Compare(a.pid, b.pid)
			}) {
				t.Fatalf("group %q unsorted: %v", g.name, g.members)
			}
			for i := 1; i < len(g.members); i++ {
				if g.members[i].nodeid == g.members[i-1].nodeid && g.members[i].pid == g.members[i-1].pid {
					t.Fatalf("group %q has a duplicate: %v", g.name, g.members)
				}
			}
		}
	})
}

// FuzzDecodeEvent: the client-side event decoder never panics, and what it
// accepts is consistent with its header. Seeds: testdata/fuzz/FuzzDecodeEvent.
func FuzzDecodeEvent(f *testing.F) {
	e, l, c := joinedEngine(f)
	c.keep = true
	e.Serve(c, append(EncodeMcastHeader(make([]byte, McastReqSize), Agreed, 3), "abc"...))
	l.deliverLast()
	e.Serve(c, append(EncodePartialHeader(make([]byte, PartialReqSize), Agreed, 9, 3, PartialFirst), "abc"...))
	l.deliverLast()
	e.sync.syncedMembers = []uint32{1, 2}
	e.totemConfchg(e.cpds[0])
	for _, b := range c.all {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var ev Event
		if DecodeEvent(b, &ev) != nil {
			return
		}
		if int(HeaderSize(b)) != len(b) {
			t.Fatalf("accepted a size field %d for %d bytes", HeaderSize(b), len(b))
		}
		if ev.ID == ResConfchg && ConfchgSize+AddressSize*(len(ev.Members)+len(ev.Left)+len(ev.Joined)) != len(b) {
			t.Fatalf("confchg lists do not add up to %d bytes", len(b))
		}
		if len(ev.Group) > NameMax {
			t.Fatalf("group of %d bytes", len(ev.Group))
		}
	})
}
