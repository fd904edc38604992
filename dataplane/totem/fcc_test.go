package totem

import (
	"testing"

	"github.com/gorosync/gorosync/dataplane/wire"
)

// TestFlowControlArithmetic pins corosync's fcc_calculate and
// fcc_token_update, quirks included (spec §2.7).
func TestFlowControlArithmetic(t *testing.T) {
	cases := []struct {
		name                    string
		fcc, backlog            uint32
		queued, pbl, trc        uint32
		wantAllowed             uint32
		sent                    uint32
		wantFCC, wantBacklogTok uint32
	}{
		{name: "idle ring: max_messages", wantAllowed: 17},
		{name: "window nearly used", fcc: 40, queued: 5, wantAllowed: 10, sent: 5, wantFCC: 45, wantBacklogTok: 5},
		{name: "window used up", fcc: 50, queued: 5, wantAllowed: 0, wantFCC: 50, wantBacklogTok: 5},
		// unsigned window - fcc wraps when fcc > window: back to max_messages
		{name: "fcc over window wraps", fcc: 60, wantAllowed: 17, wantFCC: 60},
		// fair share: window * my previous backlog / new total backlog
		{name: "fair share", backlog: 100, queued: 10, pbl: 10, wantAllowed: 5, sent: 5, wantFCC: 5, wantBacklogTok: 100},
		{name: "own contribution replaced", fcc: 30, backlog: 20, queued: 4, pbl: 20, trc: 12, wantAllowed: 17, sent: 4, wantFCC: 22, wantBacklogTok: 4},
	}
	for _, c := range cases {
		n, err := New(Config{NodeID: 1, Ring: wire.RingID{Rep: 1, Seq: 4}, Members: []uint32{1, 2}})
		if err != nil {
			t.Fatal(err)
		}
		n.Start(0)
		for range c.queued {
			if err := n.Submit([]byte("m"), Agreed); err != nil {
				t.Fatal(err)
			}
		}
		n.pbl, n.trc = c.pbl, c.trc
		tok := wire.OrfToken{FCC: c.fcc, Backlog: c.backlog}
		if got := n.fccCalculate(&tok, &n.sendQ); got != c.wantAllowed {
			t.Errorf("%s: allowed %d, want %d", c.name, got, c.wantAllowed)
		}
		n.fccUpdate(&tok, c.sent)
		if tok.FCC != c.wantFCC || tok.Backlog != c.wantBacklogTok {
			t.Errorf("%s: token fcc %d backlog %d, want %d %d", c.name, tok.FCC, tok.Backlog, c.wantFCC, c.wantBacklogTok)
		}
		if n.trc != c.sent || n.pbl != c.queued {
			t.Errorf("%s: trc %d pbl %d, want %d %d", c.name, n.trc, n.pbl, c.sent, c.queued)
		}
	}
}
