package cfg

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/gorosync/gorosync/services/cmap"
	"github.com/gorosync/gorosync/services/cserror"
)

func TestKillNode(t *testing.T) {
	cl := newCluster(t, 3)
	n1 := cl.nodes[1]
	c := n1.conn()
	n1.call(c, Request{ID: ReqKillNode, NodeID: 2, Reason: "Killed by corosync-cfgtool"})
	if e := c.status(t, ResKillNode, 24); e != cserror.OK {
		t.Fatalf("KILLNODE 2: %v", e)
	}
	cl.run()
	for id, nd := range cl.nodes {
		want := []string(nil)
		if id == 2 {
			want = []string{"Killed by corosync-cfgtool"}
		}
		if !slices.Equal(nd.kills, want) {
			t.Errorf("node %d Kill hook: %q, want %q", id, nd.kills, want)
		}
	}
	if !strings.Contains(cl.nodes[2].log.String(), "Killed by node 1 : Killed by corosync-cfgtool") {
		t.Errorf("node 2 log:\n%s", cl.nodes[2].log)
	}
	if cl.shutdowns() != nil && len(cl.shutdowns()) != 0 {
		t.Errorf("kill ran Shutdown hooks: %v", cl.shutdowns())
	}
}

func TestKillNodeRefused(t *testing.T) {
	cl := newCluster(t, 3)
	n1 := cl.nodes[1]
	n1.store.Set("runtime.members.3.status", cmap.Str("left"))
	n1.store.Set("runtime.members.4.status", cmap.Int(cmap.U8, 1))
	for _, tc := range []struct {
		node uint32
		want Error
	}{
		{9, cserror.ErrNotExist}, // unknown
		{3, cserror.ErrNotExist}, // left
		{4, cserror.ErrLibrary},  // not a string
	} {
		c := n1.conn()
		n1.call(c, Request{ID: ReqKillNode, NodeID: tc.node, Reason: "x"})
		if e := c.status(t, ResKillNode, 24); e != tc.want {
			t.Errorf("KILLNODE %d: %v, want %v", tc.node, e, tc.want)
		}
	}
	cl.run()
	for id, nd := range cl.nodes {
		if len(nd.kills) != 0 {
			t.Errorf("node %d killed: %q", id, nd.kills)
		}
	}
}

func TestReloadEveryNode(t *testing.T) {
	cl := newCluster(t, 3)
	n1, n2 := cl.nodes[1], cl.nodes[2]
	n1.reloadRes = cserror.ErrInvalidParam // the origin's result is what its client gets
	c := n1.conn()
	bystander := n1.conn()
	n1.call(c, Request{ID: ReqReloadConfig})
	if len(c.replies) != 0 {
		t.Fatal("replied before the reload was delivered")
	}
	cl.run()
	for id, nd := range cl.nodes {
		if nd.reloads != 1 {
			t.Errorf("node %d reloaded %d times", id, nd.reloads)
		}
		if !strings.Contains(nd.log.String(), "Config reload requested by node 1") {
			t.Errorf("node %d log:\n%s", id, nd.log)
		}
	}
	if e := c.status(t, ResReloadConfig, 24); e != cserror.ErrInvalidParam {
		t.Errorf("RELOAD_CONFIG: %v, want the origin's CS_ERR_INVALID_PARAM", e)
	}
	if len(bystander.replies) != 0 {
		t.Error("another connection got a reply")
	}
	// From node 2: only node 2's client hears back.
	c2 := n2.conn()
	n2.call(c2, Request{ID: ReqReloadConfig})
	cl.run()
	if e := c2.status(t, ResReloadConfig, 24); e != cserror.OK {
		t.Errorf("RELOAD_CONFIG on node 2: %v", e)
	}
	if len(c.replies) != 0 {
		t.Error("node 1's client got node 2's reply")
	}
	for id, nd := range cl.nodes {
		if nd.reloads != 2 {
			t.Errorf("node %d reloaded %d times, want 2", id, nd.reloads)
		}
	}
	// A client that leaves before the delivery: the reload still happens.
	c3 := n1.conn()
	n1.call(c3, Request{ID: ReqReloadConfig})
	n1.disconnect(c3)
	cl.run()
	if n1.reloads != 3 || len(c3.replies) != 0 || len(n1.eng.reloads) != 0 {
		t.Errorf("reloads %d, replies %d, pending %d", n1.reloads, len(c3.replies), len(n1.eng.reloads))
	}
}

func TestFlowControlDuringSync(t *testing.T) {
	cl := newCluster(t, 2)
	n1 := cl.nodes[1]
	cl.bus.Form(1, 2) // a new ring: sync runs until the bus steps
	if !n1.bus.Host.Syncing() {
		t.Fatal("host not syncing after Form")
	}
	for id := range int32(numReqs) {
		c := n1.conn()
		r := Request{ID: id, Version: NodeStatusV1, NodeID: 2}
		n1.call(c, r)
		if !flowControlled[id] {
			if _, _, e, _ := ResHeader(c.takeReply(t)); e == cserror.ErrTryAgain {
				t.Errorf("request %d: TRY_AGAIN during sync, but it is not flow-controlled", id)
			}
			continue
		}
		if e := c.status(t, 0, errorReplySize(id)); e != cserror.ErrTryAgain {
			t.Errorf("request %d during sync: %v, want CS_ERR_TRY_AGAIN", id, e)
		}
	}
	cl.run()
	c := n1.conn()
	n1.call(c, Request{ID: ReqKillNode, NodeID: 2})
	if e := c.status(t, ResKillNode, 24); e != cserror.OK {
		t.Errorf("KILLNODE after sync: %v", e)
	}
}

func TestBadRequests(t *testing.T) {
	cl := newCluster(t, 1)
	n1 := cl.nodes[1]
	c := n1.conn()
	hdr := func(id int32, size int) []byte {
		b := make([]byte, size)
		binary.LittleEndian.PutUint32(b, uint32(id))
		binary.LittleEndian.PutUint32(b[8:], uint32(size))
		return b
	}
	for _, tc := range []struct {
		name   string
		req    []byte
		id     int32
		size   int
		status Error
	}{
		{"unknown id 12", hdr(12, 16), 0, 24, cserror.ErrInvalidParam},
		{"negative id", hdr(-1, 16), 0, 24, cserror.ErrInvalidParam},
		{"short header", []byte{1, 2, 3}, 0, 24, cserror.ErrInvalidParam},
		{"LOCAL_GET 24 bytes", hdr(ReqLocalGet, 24), ResLocalGet, 32, cserror.ErrInvalidParam},
		{"KILLNODE 24 bytes", hdr(ReqKillNode, 24), ResKillNode, 24, cserror.ErrInvalidParam},
		{"TRYSHUTDOWN 16 bytes", hdr(ReqTryShutdown, 16), ResTryShutdown, 24, cserror.ErrInvalidParam},
		{"NODESTATUSGET 24 bytes", hdr(ReqNodeStatusGet, 24), ResNodeStatusGet, 32, cserror.ErrInvalidParam},
		{"RINGSTATUSGET 24 bytes", hdr(ReqRingStatusGet, 24), ResRingStatusGet, RingStatusResSize, cserror.ErrInvalidParam},
	} {
		n1.eng.request(c, tc.req)
		if e := c.status(t, tc.id, tc.size); e != tc.status {
			t.Errorf("%s: %v, want %v", tc.name, e, tc.status)
		}
	}
	if n1.eng.neg != nil || len(n1.eng.trackers) != 0 {
		t.Error("a bad request changed the shutdown state")
	}
	// And the service carries on.
	n1.call(c, Request{ID: ReqLocalGet})
	r := c.takeReply(t)
	if want := localGetReply(1); !bytes.Equal(r, want) {
		t.Errorf("LOCAL_GET after bad requests:\n got %x\nwant %x", r, want)
	}
}

func localGetReply(id uint32) []byte {
	b := make([]byte, 32)
	PutResHeader(b, ResLocalGet, 32, cserror.OK)
	binary.LittleEndian.PutUint32(b[24:], id)
	return b
}

func TestSimpleReplies(t *testing.T) {
	cl := newCluster(t, 3)
	n2 := cl.nodes[2]
	c := n2.conn()
	n2.call(c, Request{ID: ReqLocalGet})
	if r := c.takeReply(t); !bytes.Equal(r, localGetReply(2)) {
		t.Errorf("LOCAL_GET: %x", r)
	}
	n2.call(c, Request{ID: ReqRingReenable})
	if e := c.status(t, ResRingReenable, 24); e != cserror.ErrNotSupported {
		t.Errorf("RINGREENABLE: %v", e)
	}
	n2.call(c, Request{ID: ReqReopenLogFiles})
	if e := c.status(t, ResReopenLogFiles, 24); e != cserror.OK {
		t.Errorf("REOPEN_LOG_FILES: %v", e)
	}
}

func TestNodeStatusGet(t *testing.T) {
	cl := newCluster(t, 3)
	cl.bus.Crash(3)
	cl.bus.Form(1, 2)
	cl.run()
	n1 := cl.nodes[1]
	c := n1.conn()
	for _, tc := range []struct {
		node      uint32
		reachable bool
	}{{1, true}, {2, true}, {3, false}} {
		n1.call(c, Request{ID: ReqNodeStatusGet, NodeID: tc.node, Version: NodeStatusV1})
		r := c.takeReply(t)
		if len(r) != NodeStatusResSize {
			t.Fatalf("node %d: %d bytes", tc.node, len(r))
		}
		st, e := DecodeNodeStatus(r)
		want := NodeStatus{NodeID: tc.node, Reachable: tc.reachable}
		want.Links[0] = LinkStatus{Enabled: true, Connected: tc.reachable, MTU: 1500, Src: testNodes[tc.node-1].Addrs[0].String()}
		if e != cserror.OK || st != want {
			t.Errorf("node %d: %v %+v\nwant %+v", tc.node, e, st, want)
		}
		// Byte offsets, against corosync's struct layout.
		if binary.LittleEndian.Uint32(r[24:]) != 1 || binary.LittleEndian.Uint32(r[28:]) != tc.node ||
			r[32] != b2u(tc.reachable) || r[40] != 1 || binary.LittleEndian.Uint32(r[44:]) != 1500 ||
			string(r[48:58]) != "198.18.1."+uitoa(tc.node) {
			t.Errorf("node %d: bytes %x", tc.node, r[:64])
		}
	}
	n1.call(c, Request{ID: ReqNodeStatusGet, NodeID: 2, Version: 2})
	if e := c.status(t, ResNodeStatusGet, 32); e != cserror.ErrNotSupported {
		t.Errorf("version 2: %v", e)
	}
	n1.call(c, Request{ID: ReqNodeStatusGet, NodeID: 7, Version: 1})
	if e := c.status(t, ResNodeStatusGet, 32); e != cserror.ErrFailedOperation {
		t.Errorf("unknown node: %v", e)
	}
}

func TestRingStatusAndAddrs(t *testing.T) {
	cl := newCluster(t, 3)
	cl.bus.Crash(3)
	cl.bus.Form(1, 2)
	cl.run()
	n2 := cl.nodes[2]
	c := n2.conn()
	n2.call(c, Request{ID: ReqRingStatusGet})
	r := c.takeReply(t)
	rings, e := DecodeRingStatus(r)
	if want := []RingStatus{{"0 198.18.1.2", "3n1"}}; e != cserror.OK || !slices.Equal(rings, want) || len(r) != RingStatusResSize {
		t.Errorf("RINGSTATUSGET: %v %q (%d bytes), want %q", e, rings, len(r), want)
	}
	for _, tc := range []struct {
		node uint32
		want []netip.Addr
	}{
		{0, []netip.Addr{netip.MustParseAddr("198.18.1.2")}},
		{3, []netip.Addr{netip.MustParseAddr("198.18.1.3")}},
	} {
		n2.call(c, Request{ID: ReqGetNodeAddrs, NodeID: tc.node})
		r := c.takeReply(t)
		got, e := DecodeNodeAddrs(r)
		if e != cserror.OK || !slices.Equal(got, tc.want) || len(r) != 48 ||
			binary.LittleEndian.Uint32(r[24:]) != AFInet || binary.LittleEndian.Uint32(r[28:]) != 1 {
			t.Errorf("GET_NODE_ADDRS %d: %v %v (%x)", tc.node, e, got, r)
		}
	}
	n2.call(c, Request{ID: ReqGetNodeAddrs, NodeID: 9})
	if e := c.status(t, ResGetNodeAddrs, 32); e != cserror.ErrNotExist {
		t.Errorf("GET_NODE_ADDRS 9: %v", e)
	}
}

// Malformed exec messages from a buggy peer are dropped, and nothing
// else happens.
func TestExecMalformed(t *testing.T) {
	cl := newCluster(t, 2)
	n1 := cl.nodes[1]
	good := encodeKillNode(1, "why")
	for _, tc := range []struct {
		fn  uint16
		msg []byte
	}{
		{fnKillNode, good[:5]},
		{fnKillNode, append(slices.Clone(good), 'x')},
		{fnKillNode, good[:len(good)-1]},
		{fnShutdown, []byte{0}},
		{fnReloadConfig, make([]byte, 7)},
		{99, nil},
	} {
		n1.eng.Deliver(2, tc.fn, tc.msg)
	}
	if len(n1.kills) != 0 || n1.shutdowns != 0 || n1.reloads != 0 {
		t.Errorf("kills %q, shutdowns %d, reloads %d", n1.kills, n1.shutdowns, n1.reloads)
	}
	if c := strings.Count(n1.log.String(), "malformed"); c != 6 {
		t.Errorf("%d drops logged, want 6:\n%s", c, n1.log)
	}
	n1.eng.Deliver(2, fnKillNode, good)
	if !slices.Equal(n1.kills, []string{"why"}) {
		t.Errorf("a good KILLNODE after the bad ones: %q", n1.kills)
	}
}

func TestExecKillNodeRoundTrip(t *testing.T) {
	long := strings.Repeat("r", 300)
	target, reason, ok := decodeKillNode(encodeKillNode(7, long))
	if !ok || target != 7 || reason != long[:maxReasonBytes] {
		t.Errorf("got %d %d bytes %v", target, len(reason), ok)
	}
}
