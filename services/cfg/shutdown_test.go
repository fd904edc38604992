package cfg

import (
	"maps"
	"slices"
	"testing"

	"github.com/gorosync/gorosync/services/cmap"
	"github.com/gorosync/gorosync/services/cserror"
)

func tryShutdown(flags uint32) Request { return Request{ID: ReqTryShutdown, Flags: flags} }
func replyShutdown(resp uint32) Request {
	return Request{ID: ReqReplyToShutdown, Response: resp}
}

var (
	trackStart = Request{ID: ReqTrackStart}
	trackStop  = Request{ID: ReqTrackStop}
)

// tracker connects a shutdown tracker to nd.
func tracker(t *testing.T, nd *node) *fakeConn {
	t.Helper()
	c := nd.conn()
	nd.call(c, trackStart)
	if e := c.status(t, ResTrackStart, 24); e != cserror.OK {
		t.Fatalf("TRACKSTART: %v", e)
	}
	return c
}

func wantShutdowns(t *testing.T, cl *cluster, want map[uint32]int) {
	t.Helper()
	if got := cl.shutdowns(); !maps.Equal(got, want) {
		t.Errorf("Shutdown hooks ran %v, want %v", got, want)
	}
}

func wantEvents(t *testing.T, c *fakeConn, want ...[2]uint32) {
	t.Helper()
	if got := c.testShutdowns(t); !slices.Equal(got, want) {
		t.Errorf("conn %d TESTSHUTDOWN events (status, flags) %v, want %v", c.id, got, want)
	}
}

func TestShutdownNoTrackers(t *testing.T) {
	cl := newCluster(t, 3)
	n1 := cl.nodes[1]
	req := n1.conn()
	n1.call(req, tryShutdown(ShutdownRequest))
	if e := req.status(t, ResTryShutdown, 24); e != cserror.OK {
		t.Fatalf("TRYSHUTDOWN: %v", e)
	}
	wantShutdowns(t, cl, nil) // not before SHUTDOWN is delivered
	cl.run()
	wantShutdowns(t, cl, map[uint32]int{1: 1})
	cl.shutdownLogged(t, 1)
}

// The requester's own tracking does not count: it is not asked.
func TestShutdownRequesterIsTracker(t *testing.T) {
	cl := newCluster(t, 1)
	n1 := cl.nodes[1]
	req := tracker(t, n1)
	n1.call(req, tryShutdown(ShutdownRequest))
	if e := req.status(t, ResTryShutdown, 24); e != cserror.OK {
		t.Fatalf("TRYSHUTDOWN: %v", e)
	}
	wantEvents(t, req)
	cl.run()
	wantShutdowns(t, cl, map[uint32]int{1: 1})
}

func TestShutdownOneTracker(t *testing.T) {
	for _, tc := range []struct {
		name   string
		flags  uint32
		answer uint32
		want   Error
	}{
		{"request yes", ShutdownRequest, ReplyYes, cserror.OK},
		{"request no", ShutdownRequest, ReplyNo, cserror.ErrBusy},
		{"request yes as 7", ShutdownRequest, 7, cserror.OK},
		{"regardless no", ShutdownRegardless, ReplyNo, cserror.OK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl := newCluster(t, 3)
			n1 := cl.nodes[1]
			tr := tracker(t, n1)
			req := n1.conn()
			n1.call(req, tryShutdown(tc.flags))
			if len(req.replies) != 0 {
				t.Fatalf("replied before the tracker answered: %x", req.replies)
			}
			wantEvents(t, tr, [2]uint32{uint32(cserror.OK), tc.flags})
			n1.call(tr, replyShutdown(tc.answer))
			if e := tr.status(t, ResReplyToShutdown, 24); e != cserror.OK {
				t.Fatalf("REPLYTOSHUTDOWN: %v", e)
			}
			if e := req.status(t, ResTryShutdown, 24); e != tc.want {
				t.Fatalf("TRYSHUTDOWN: %v, want %v", e, tc.want)
			}
			cl.run()
			if tc.want == cserror.OK {
				wantShutdowns(t, cl, map[uint32]int{1: 1})
				cl.shutdownLogged(t, 1)
			} else {
				wantShutdowns(t, cl, nil)
			}
			// The negotiation is over: an answer now is refused.
			n1.call(tr, replyShutdown(ReplyYes))
			if e := tr.status(t, ResReplyToShutdown, 24); e != cserror.ErrAccess {
				t.Errorf("late REPLYTOSHUTDOWN: %v, want CS_ERR_ACCESS", e)
			}
		})
	}
}

func TestShutdownTwoTrackers(t *testing.T) {
	for _, tc := range []struct {
		name    string
		flags   uint32
		answers [2]uint32
		want    Error
	}{
		{"yes yes", ShutdownRequest, [2]uint32{ReplyYes, ReplyYes}, cserror.OK},
		{"yes no", ShutdownRequest, [2]uint32{ReplyYes, ReplyNo}, cserror.ErrBusy},
		{"no yes", ShutdownRequest, [2]uint32{ReplyNo, ReplyYes}, cserror.ErrBusy},
		{"regardless no no", ShutdownRegardless, [2]uint32{ReplyNo, ReplyNo}, cserror.OK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl := newCluster(t, 2)
			n1 := cl.nodes[1]
			trs := []*fakeConn{tracker(t, n1), tracker(t, n1)}
			req := n1.conn()
			n1.call(req, tryShutdown(tc.flags))
			for i, tr := range trs {
				wantEvents(t, tr, [2]uint32{uint32(cserror.OK), tc.flags})
				n1.call(tr, replyShutdown(tc.answers[i]))
				tr.takeReply(t)
				if i == 0 && len(req.replies) != 0 {
					t.Fatal("replied after one answer of two")
				}
			}
			if e := req.status(t, ResTryShutdown, 24); e != tc.want {
				t.Fatalf("TRYSHUTDOWN: %v, want %v", e, tc.want)
			}
			cl.run()
			want := map[uint32]int(nil)
			if tc.want == cserror.OK {
				want = map[uint32]int{1: 1}
			}
			wantShutdowns(t, cl, want)
		})
	}
}

// A tracker that changes its mind is counted once, with its last answer.
func TestShutdownAnswerCountedOnce(t *testing.T) {
	cl := newCluster(t, 1)
	n1 := cl.nodes[1]
	tr1, tr2 := tracker(t, n1), tracker(t, n1)
	req := n1.conn()
	n1.call(req, tryShutdown(ShutdownRequest))
	n1.call(tr1, replyShutdown(ReplyYes))
	n1.call(tr1, replyShutdown(ReplyYes))
	if len(req.replies) != 0 {
		t.Fatal("two answers from one tracker decided for two trackers")
	}
	n1.call(tr2, replyShutdown(ReplyNo))
	if e := req.status(t, ResTryShutdown, 24); e != cserror.ErrBusy {
		t.Fatalf("TRYSHUTDOWN: %v, want CS_ERR_BUSY", e)
	}
	// A connection that was not asked may answer; it changes nothing.
	n1.call(req, tryShutdown(ShutdownRequest))
	other := n1.conn()
	n1.call(other, replyShutdown(ReplyYes))
	if e := other.status(t, ResReplyToShutdown, 24); e != cserror.OK || len(req.replies) != 0 {
		t.Fatalf("unasked answer: %v, requester replies %d", e, len(req.replies))
	}
}

func TestShutdownTimeout(t *testing.T) {
	for _, tc := range []struct {
		name  string
		flags uint32
		want  Error
	}{
		{"request", ShutdownRequest, cserror.ErrBusy},
		{"regardless", ShutdownRegardless, cserror.OK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cl := newCluster(t, 2)
			n1 := cl.nodes[1]
			n1.store.Set("cfg.shutdown_timeout", cmap.Int(cmap.U32, 100))
			yes, silent := tracker(t, n1), tracker(t, n1)
			req := n1.conn()
			n1.call(req, tryShutdown(tc.flags))
			n1.call(yes, replyShutdown(ReplyYes))
			yes.takeReply(t)
			wantEvents(t, yes, [2]uint32{uint32(cserror.OK), tc.flags})
			wantEvents(t, silent, [2]uint32{uint32(cserror.OK), tc.flags})
			cl.runMs(95)
			if len(req.replies) != 0 {
				t.Fatalf("replied before cfg.shutdown_timeout (100 ms)")
			}
			cl.runMs(10)
			if e := req.status(t, ResTryShutdown, 24); e != tc.want {
				t.Fatalf("TRYSHUTDOWN: %v, want %v", e, tc.want)
			}
			// Every tracker hears of the timeout.
			wantEvents(t, yes, [2]uint32{uint32(cserror.ErrTimeout), tc.flags})
			wantEvents(t, silent, [2]uint32{uint32(cserror.ErrTimeout), tc.flags})
			cl.run()
			want := map[uint32]int(nil)
			if tc.want == cserror.OK {
				want = map[uint32]int{1: 1}
			}
			wantShutdowns(t, cl, want)
		})
	}
}

func TestShutdownDefaultTimeout(t *testing.T) {
	cl := newCluster(t, 1)
	n1 := cl.nodes[1]
	n1.store.Set("cfg.shutdown_timeout", cmap.Str("100")) // wrong type: ignored, as icmap_get_uint32 does
	tracker(t, n1)
	req := n1.conn()
	n1.call(req, tryShutdown(ShutdownRequest))
	cl.runMs(DefaultShutdownTimeoutMs - 5)
	if len(req.replies) != 0 {
		t.Fatal("replied before the default 5000 ms")
	}
	cl.runMs(10)
	if e := req.status(t, ResTryShutdown, 24); e != cserror.ErrBusy {
		t.Fatalf("TRYSHUTDOWN: %v, want CS_ERR_BUSY", e)
	}
}

func TestShutdownImmediate(t *testing.T) {
	cl := newCluster(t, 3)
	n2 := cl.nodes[2]
	tr := tracker(t, n2)
	req := n2.conn()
	n2.call(req, tryShutdown(ShutdownImmediate))
	if e := req.status(t, ResTryShutdown, 24); e != cserror.OK {
		t.Fatalf("IMMEDIATE: %v", e)
	}
	wantEvents(t, tr) // nobody is asked
	cl.run()
	wantShutdowns(t, cl, map[uint32]int{2: 1})
	cl.shutdownLogged(t, 2)
}

func TestShutdownTrackerDisconnect(t *testing.T) {
	for _, how := range []string{"disconnect", "trackstop"} {
		t.Run(how, func(t *testing.T) {
			cl := newCluster(t, 2)
			n1 := cl.nodes[1]
			tr1, tr2 := tracker(t, n1), tracker(t, n1)
			req := n1.conn()
			n1.call(req, tryShutdown(ShutdownRequest))
			n1.call(tr1, replyShutdown(ReplyNo)) // withdrawn by leaving
			n1.call(tr2, replyShutdown(ReplyYes))
			if e := req.status(t, ResTryShutdown, 24); e != cserror.ErrBusy {
				t.Fatalf("first round: %v", e)
			}
			n1.call(req, tryShutdown(ShutdownRequest))
			n1.call(tr2, replyShutdown(ReplyYes))
			if len(req.replies) != 0 {
				t.Fatal("decided without tr1")
			}
			if how == "disconnect" {
				n1.disconnect(tr1)
			} else {
				tr1.replies = nil // its REPLYTOSHUTDOWN answer
				n1.call(tr1, trackStop)
				if e := tr1.status(t, ResTrackStop, 24); e != cserror.OK {
					t.Fatalf("TRACKSTOP: %v", e)
				}
			}
			if e := req.status(t, ResTryShutdown, 24); e != cserror.OK {
				t.Fatalf("after tr1 left: %v, want CS_OK (leaving is a yes)", e)
			}
			cl.run()
			wantShutdowns(t, cl, map[uint32]int{1: 1})
		})
	}
}

func TestShutdownRequesterDisconnect(t *testing.T) {
	cl := newCluster(t, 2)
	n1 := cl.nodes[1]
	n1.store.Set("cfg.shutdown_timeout", cmap.Int(cmap.U32, 50))
	tr := tracker(t, n1)
	req := n1.conn()
	n1.call(req, tryShutdown(ShutdownRegardless))
	wantEvents(t, tr, [2]uint32{uint32(cserror.OK), ShutdownRegardless})
	n1.disconnect(req)
	n1.call(tr, replyShutdown(ReplyYes))
	if e := tr.status(t, ResReplyToShutdown, 24); e != cserror.ErrAccess {
		t.Errorf("answer after the requester left: %v, want CS_ERR_ACCESS", e)
	}
	cl.runMs(100) // the timer is gone with the negotiation
	wantEvents(t, tr)
	cl.run()
	wantShutdowns(t, cl, nil)
	// A new request is not refused as a second one.
	req2 := n1.conn()
	n1.call(req2, tryShutdown(ShutdownRequest))
	if len(req2.replies) != 0 {
		t.Fatalf("reply %x, want it to wait for the tracker", req2.replies)
	}
	wantEvents(t, tr, [2]uint32{uint32(cserror.OK), ShutdownRequest})
}

func TestShutdownSecondRequest(t *testing.T) {
	cl := newCluster(t, 1)
	n1 := cl.nodes[1]
	tracker(t, n1)
	req, again := n1.conn(), n1.conn()
	n1.call(req, tryShutdown(ShutdownRequest))
	n1.call(again, tryShutdown(ShutdownRequest))
	if e := again.status(t, ResTryShutdown, 24); e != cserror.ErrExist {
		t.Fatalf("second TRYSHUTDOWN: %v, want CS_ERR_EXIST", e)
	}
	n1.call(again, tryShutdown(9))
	if e := again.status(t, ResTryShutdown, 24); e != cserror.ErrInvalidParam {
		t.Fatalf("TRYSHUTDOWN flags 9: %v, want CS_ERR_INVALID_PARAM", e)
	}
	// IMMEDIATE goes through even then.
	n1.call(again, tryShutdown(ShutdownImmediate))
	if e := again.status(t, ResTryShutdown, 24); e != cserror.OK {
		t.Fatalf("IMMEDIATE during a negotiation: %v", e)
	}
}

func TestReplyWithoutNegotiation(t *testing.T) {
	cl := newCluster(t, 1)
	n1 := cl.nodes[1]
	c := n1.conn()
	n1.call(c, replyShutdown(ReplyYes))
	if e := c.status(t, ResReplyToShutdown, 24); e != cserror.ErrAccess {
		t.Fatalf("REPLYTOSHUTDOWN: %v, want CS_ERR_ACCESS", e)
	}
}

// A tracker that starts during a negotiation is asked at once, before its
// TRACKSTART reply, and the decision waits for it.
func TestShutdownLateTracker(t *testing.T) {
	cl := newCluster(t, 1)
	n1 := cl.nodes[1]
	early := tracker(t, n1)
	req := n1.conn()
	n1.call(req, tryShutdown(ShutdownRequest))
	late := n1.conn()
	n1.call(late, trackStart)
	if len(late.events) != 1 || len(late.replies) != 1 {
		t.Fatalf("late tracker: %d events, %d replies", len(late.events), len(late.replies))
	}
	late.takeReply(t)
	wantEvents(t, late, [2]uint32{uint32(cserror.OK), ShutdownRequest})
	n1.call(early, replyShutdown(ReplyYes))
	if len(req.replies) != 0 {
		t.Fatal("decided without the late tracker")
	}
	n1.call(late, replyShutdown(ReplyYes))
	if e := req.status(t, ResTryShutdown, 24); e != cserror.OK {
		t.Fatalf("TRYSHUTDOWN: %v", e)
	}
}

// A second TRACKSTART changes nothing; TRACKSTOP without tracking is fine.
func TestTrackIdempotent(t *testing.T) {
	cl := newCluster(t, 1)
	n1 := cl.nodes[1]
	tr := tracker(t, n1)
	n1.call(tr, trackStart)
	tr.takeReply(t)
	if len(n1.eng.trackers) != 1 {
		t.Fatalf("%d trackers", len(n1.eng.trackers))
	}
	other := n1.conn()
	n1.call(other, trackStop)
	if e := other.status(t, ResTrackStop, 24); e != cserror.OK {
		t.Fatalf("TRACKSTOP: %v", e)
	}
	n1.disconnect(tr)
	if len(n1.eng.trackers) != 0 {
		t.Fatalf("%d trackers after disconnect", len(n1.eng.trackers))
	}
}
