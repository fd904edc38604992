package votequorum

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorosync/gorosync/services/cmap"
	"github.com/gorosync/gorosync/services/cserror"
)

var ids3 = []uint32{1, 2, 3}
var ids4 = []uint32{1, 2, 3, 4}

func (c *cluster) wantQuorum(q, expected uint32, ids ...uint32) {
	c.t.Helper()
	for _, id := range ids {
		n := c.nodes[id]
		if n.vq.Quorum() != q || n.vq.ExpectedVotes() != expected {
			c.t.Errorf("node %d: quorum %d expected votes %d, want %d and %d (%s)", id, n.vq.Quorum(), n.vq.ExpectedVotes(), q, expected, c.describe(n))
		}
	}
}

func TestThreeNodes(t *testing.T) {
	c := newCluster(t, ids3, nil)
	c.boot()
	c.form(1, 2, 3)
	c.expect(allOf(true, 1, 2, 3))
	c.wantQuorum(2, 3, 1, 2, 3)

	c.crash(3)
	c.form(1, 2)
	c.expect(allOf(true, 1, 2))
	c.wantQuorum(2, 3, 1, 2)

	c.crash(2)
	c.form(1)
	c.expect(allOf(false, 1))

	c.start(2)
	c.form(1, 2)
	c.expect(allOf(true, 1, 2))
	c.start(3)
	c.form(1, 2, 3)
	c.expect(allOf(true, 1, 2, 3))
	c.wantQuorum(2, 3, 1, 2, 3)
}

func TestPartitionHeals(t *testing.T) {
	c := newCluster(t, ids3, nil)
	c.boot()
	c.form(1, 2, 3)
	c.bus.Form(1, 2)
	c.form(3)
	c.expect(merge(allOf(true, 1, 2), allOf(false, 3)))
	if st := c.nodes[1].vq.find(3).state; st != NodeDead {
		t.Errorf("node 3 on node 1: state %d, want DEAD", st)
	}
	c.form(1, 2, 3)
	c.expect(allOf(true, 1, 2, 3))
	if st := c.nodes[1].vq.find(3).state; st != NodeMember {
		t.Errorf("node 3 on node 1 after the heal: state %d, want MEMBER", st)
	}
}

func TestTwoNode(t *testing.T) {
	c := newCluster(t, []uint32{1, 2}, map[string]cmap.Value{"quorum.two_node": u8(1)})
	c.start(1)
	c.form(1)
	c.expect(allOf(false, 1)) // wait_for_all follows two_node: the peer was never seen
	if in, _ := c.nodes[1].vq.GetInfo(0); in.Flags != InfoTwoNode|InfoWaitForAll {
		t.Errorf("flags %#x, want TWONODE|WAIT_FOR_ALL", in.Flags)
	}
	c.start(2)
	c.form(1, 2)
	c.expect(allOf(true, 1, 2))
	c.wantQuorum(1, 2, 1, 2)
	c.crash(2)
	c.form(1)
	c.expect(allOf(true, 1))
	c.wantQuorum(1, 2, 1)
}

func TestWaitForAll(t *testing.T) {
	c := newCluster(t, ids3, map[string]cmap.Value{"quorum.wait_for_all": u8(1)})
	c.start(1)
	c.start(2)
	c.form(1, 2)
	c.expect(allOf(false, 1, 2)) // a majority, but not everyone seen yet
	c.start(3)
	c.form(1, 2, 3)
	c.expect(allOf(true, 1, 2, 3))
	c.crash(3)
	c.form(1, 2)
	c.expect(allOf(true, 1, 2))
	c.crash(2)
	c.form(1)
	c.expect(allOf(false, 1))
	// Losing quorum re-armed wait_for_all: two of three are not enough.
	c.start(2)
	c.form(1, 2)
	c.expect(allOf(false, 1, 2))
	// quorum.cancel_wait_for_all, written at runtime on one node, cancels
	// it on every node and is reset to 0.
	if e := c.nodes[1].store.Set("quorum.cancel_wait_for_all", u8(1)); e != cmap.OK {
		t.Fatal(e)
	}
	c.run()
	c.expect(allOf(true, 1, 2))
	if v, _ := getU8(c.nodes[1].store, "quorum.cancel_wait_for_all"); v != 0 {
		t.Errorf("quorum.cancel_wait_for_all = %d after the cancel, want 0", v)
	}
}

func lmsKeys() map[string]cmap.Value {
	return map[string]cmap.Value{
		"quorum.last_man_standing":        u8(1),
		"quorum.last_man_standing_window": u32(100),
		"quorum.auto_tie_breaker":         u8(1),
		"quorum.wait_for_all":             u8(1), // ATB in an odd-sized cluster needs it
	}
}

func TestLastManStanding(t *testing.T) {
	for _, survivor := range []uint32{1, 2} {
		c := newCluster(t, ids3, lmsKeys())
		c.boot()
		c.form(1, 2, 3)
		c.expect(allOf(true, 1, 2, 3))
		c.crash(3)
		c.form(1, 2)
		c.expect(allOf(true, 1, 2))
		c.wantQuorum(2, 3, 1, 2)
		c.advance(150) // the window: expected votes drop to the two present
		c.wantQuorum(2, 2, 1, 2)
		c.expect(allOf(true, 1, 2))

		other := 3 - survivor
		c.crash(other)
		c.form(survivor)
		if survivor == 1 {
			// An even split: the tie breaker (lowest node id while quorate)
			// is here, and the window brings expected votes down to 1.
			c.expect(allOf(true, 1))
			c.advance(150)
			c.wantQuorum(1, 1, 1)
			c.expect(allOf(true, 1))
		} else {
			c.expect(allOf(false, 2))
			c.advance(150)
			c.wantQuorum(2, 2, 2)
			c.expect(allOf(false, 2))
		}
	}
}

func TestAutoTieBreaker(t *testing.T) {
	for _, tc := range []struct {
		node    string // quorum.auto_tie_breaker_node ("" = unset: lowest)
		lowHalf bool   // {1,2} wins; else {3,4}
		atbType uint32
	}{
		{"", true, 1},
		{"lowest", true, 1},
		{"highest", false, 2},
		{"3 1", false, 3},
		{"2 3", true, 3},
	} {
		t.Run(tc.node, func(t *testing.T) {
			keys := map[string]cmap.Value{"quorum.auto_tie_breaker": u8(1)}
			if tc.node != "" {
				keys["quorum.auto_tie_breaker_node"] = cmap.Str(tc.node)
			}
			c := newCluster(t, ids4, keys)
			c.boot()
			c.form(1, 2, 3, 4)
			c.expect(allOf(true, 1, 2, 3, 4))
			c.wantQuorum(3, 4, 1, 2, 3, 4)
			if v, _ := getU32(c.nodes[1].store, keyATBType); v != tc.atbType {
				t.Errorf("atb_type %d, want %d", v, tc.atbType)
			}
			c.bus.Form(1, 2)
			c.form(3, 4)
			c.expect(merge(allOf(tc.lowHalf, 1, 2), allOf(!tc.lowHalf, 3, 4)))
			c.form(1, 2, 3, 4)
			c.expect(allOf(true, 1, 2, 3, 4))
		})
	}
	// Without the tie breaker neither half is quorate.
	c := newCluster(t, ids4, nil)
	c.boot()
	c.form(1, 2, 3, 4)
	c.bus.Form(1, 2)
	c.form(3, 4)
	c.expect(allOf(false, 1, 2, 3, 4))
}

func TestAllowDownscale(t *testing.T) {
	c := newCluster(t, ids4, map[string]cmap.Value{"quorum.allow_downscale": u8(1)})
	c.boot()
	c.form(1, 2, 3, 4)
	c.expect(allOf(true, 1, 2, 3, 4))
	c.wantQuorum(3, 4, 1, 2, 3, 4)

	if err := c.nodes[4].vq.Leave(); err != nil {
		t.Fatal(err)
	}
	c.run()
	for _, id := range []uint32{1, 2, 3} {
		if st := c.nodes[id].vq.find(4).state; st != NodeLeaving {
			t.Errorf("node 4 on node %d: state %d, want LEAVING", id, st)
		}
	}
	// Expected votes follow the nodes present; the quorum stays at the
	// configured expected votes' majority (ev_barrier 4).
	c.wantQuorum(3, 3, 1, 2, 3)
	c.expect(allOf(true, 1, 2, 3))
	c.crash(4)
	c.form(1, 2, 3)
	c.expect(allOf(true, 1, 2, 3))

	if err := c.nodes[3].vq.Leave(); err != nil {
		t.Fatal(err)
	}
	c.run()
	c.wantQuorum(3, 2, 1, 2)
	c.expect(allOf(false, 1, 2))

	// Without allow_downscale a clean exit tells nobody.
	d := newCluster(t, ids3, nil)
	d.boot()
	d.form(1, 2, 3)
	if err := d.nodes[3].vq.Leave(); err != nil {
		t.Fatal(err)
	}
	d.run()
	if st := d.nodes[1].vq.find(3).state; st != NodeMember {
		t.Errorf("without allow_downscale: node 3 state %d, want MEMBER", st)
	}
}

func TestExpectedVotesTracking(t *testing.T) {
	ids5 := []uint32{1, 2, 3, 4, 5}
	keys := map[string]cmap.Value{"quorum.expected_votes_tracking": u8(1)}
	c := newCluster(t, ids5, keys)
	c.boot()
	c.form(1, 2, 3, 4, 5)
	c.expect(allOf(true, 1, 2, 3, 4, 5))
	for _, id := range []uint32{1, 2} {
		b, err := os.ReadFile(filepath.Join(c.nodes[id].dir, "ev_tracking"))
		if err != nil || len(b) != 4 || binary.NativeEndian.Uint32(b) != 5 {
			t.Fatalf("node %d ev_tracking: % x %v, want 5", id, b, err)
		}
		if v, _ := getU32(c.nodes[id].store, keyEVTrackingBarrier); v != 5 {
			t.Errorf("node %d: %s = %d", id, keyEVTrackingBarrier, v)
		}
	}
	// Nodes 1 and 2 restart with a three-node nodelist: the stored barrier
	// (5) is their expected votes, so two of them are not a quorum.
	for _, id := range []uint32{3, 4, 5} {
		c.crash(id)
	}
	for _, id := range []uint32{1, 2} {
		c.startWith(id, ids3, keys)
	}
	c.form(1, 2)
	c.wantQuorum(3, 5, 1, 2)
	c.expect(allOf(false, 1, 2))

	// The same restart without the stored state: two of three are quorate.
	d := newCluster(t, ids3, keys)
	d.start(1)
	d.start(2)
	d.form(1, 2)
	d.wantQuorum(2, 3, 1, 2)
	d.expect(allOf(true, 1, 2))
}

func TestSetExpectedSetVotes(t *testing.T) {
	c := newCluster(t, ids3, nil)
	c.boot()
	c.form(1, 2, 3)
	vq := c.nodes[1].vq
	if e := vq.SetExpected(2); e != cserror.ErrInvalidParam {
		t.Errorf("SetExpected(2) below the 3 votes present: %v", e)
	}
	if e := vq.SetExpected(6); e != cserror.ErrInvalidParam {
		t.Errorf("SetExpected(6) would make a quorate cluster lose quorum: %v", e)
	}
	if e := vq.SetExpected(5); e != cserror.OK {
		t.Fatalf("SetExpected(5): %v", e)
	}
	c.run()
	c.wantQuorum(3, 5, 1, 2, 3)
	c.expect(allOf(true, 1, 2, 3))
	if v, _ := getU32(c.nodes[2].store, keyEVBarrier); v != 5 {
		t.Errorf("node 2 ev_barrier %d, want 5", v)
	}

	if e := vq.SetVotes(99, 1); e != cserror.ErrNameNotFound {
		t.Errorf("SetVotes of an unknown node: %v", e)
	}
	if e := vq.SetVotes(3, 2); e != cserror.OK {
		t.Fatalf("SetVotes(3, 2): %v", e)
	}
	c.run()
	for _, id := range ids3 {
		if in, _ := c.nodes[id].vq.GetInfo(3); in.Votes != 2 || in.TotalVotes != 4 {
			t.Errorf("node %d: node 3 votes %d, total %d; want 2 and 4", id, in.Votes, in.TotalVotes)
		}
	}
	// Node 3's two votes and node 2's one make the quorum of 3.
	c.crash(1)
	c.form(2, 3)
	c.expect(allOf(true, 2, 3))
	c.crash(3)
	c.form(2)
	c.expect(allOf(false, 2))
}

func TestRuntimeKeys(t *testing.T) {
	c := newCluster(t, ids3, nil)
	c.boot()
	c.form(1, 2, 3)
	// What corosync 3.1.7 publishes for this configuration (cmapctl-all.txt).
	var got []string
	for _, k := range c.nodes[2].store.Keys("runtime.votequorum.") {
		v, _ := c.nodes[2].store.Get(k)
		got = append(got, k+" "+v.String())
	}
	want := []string{
		"runtime.votequorum.ev_barrier (u32) = 3",
		"runtime.votequorum.highest_node_id (u32) = 3",
		"runtime.votequorum.lowest_node_id (u32) = 1",
		"runtime.votequorum.this_node_id (u32) = 2",
		"runtime.votequorum.two_node (u8) = 0",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !c.nodes[2].store.ReadOnly("quorum.wait_for_all") || !c.nodes[2].store.ReadOnly("quorum.expected_votes_tracking") {
		t.Error("startup-only quorum keys are writable")
	}
}

func TestReloadRuntimeKeys(t *testing.T) {
	c := newCluster(t, ids3, nil)
	c.boot()
	c.form(1, 2, 3)
	// quorum.expected_votes written at runtime on node 1 reaches every node.
	c.nodes[1].store.Set("quorum.expected_votes", u32(5))
	c.run()
	c.wantQuorum(3, 5, 1, 2, 3)
	c.expect(allOf(true, 1, 2, 3))
	// During a full reload nothing happens until it ends.
	s := c.nodes[1].store
	s.Set(keyReloading, u8(1))
	s.Set("quorum.expected_votes", u32(4))
	c.run()
	c.wantQuorum(3, 5, 1)
	s.Set(keyReloading, u8(0))
	c.run()
	for _, id := range ids3 {
		if e := c.nodes[id].vq.ExpectedVotes(); e != 4 {
			t.Errorf("node %d: expected votes %d after the reload, want 4", id, e)
		}
	}
	// two_node is runtime-changeable (its quorum of 1 needs ≤ 2 voters).
	s.Set("quorum.two_node", u8(1))
	c.run()
	if in, _ := c.nodes[1].vq.GetInfo(0); in.Flags&InfoTwoNode == 0 {
		t.Errorf("two_node not on after the change: flags %#x", in.Flags)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		keys map[string]cmap.Value
		ids  []uint32
		want string
	}{
		{map[string]cmap.Value{}, nil, "nodelist or quorum.expected_votes"},
		{map[string]cmap.Value{"quorum.two_node": u8(1), "quorum.device.model": cmap.Str("net")}, ids3, "quorum.two_node"},
		{map[string]cmap.Value{"quorum.auto_tie_breaker": u8(1), "quorum.last_man_standing": u8(1)}, ids3, "quorum.auto_tie_breaker"},
		{map[string]cmap.Value{"quorum.device.model": cmap.Str("net"), "quorum.last_man_standing": u8(1)}, ids3, "last_man_standing"},
		{map[string]cmap.Value{"quorum.device.model": cmap.Str("net"), "quorum.expected_votes": u32(3)}, ids3, "quorum.device.votes"},
		{map[string]cmap.Value{"quorum.device.model": cmap.Str("net"), "nodelist.node.0.quorum_votes": u32(2)}, ids3, "not all nodes votes 1"},
		{map[string]cmap.Value{"quorum.device.model": cmap.Str("net"), "quorum.expected_votes": u32(3), "quorum.device.votes": u32(2)}, ids3, "too high"},
	} {
		s := confStore(tc.ids, 1, tc.keys)
		_, err := New(Config{NodeID: 1, Store: s, StateDir: t.TempDir()})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want one naming %q", tc.keys, err, tc.want)
		}
	}
	// ATB in an odd cluster without wait_for_all is disabled, not fatal.
	s := confStore(ids3, 1, map[string]cmap.Value{"quorum.auto_tie_breaker": u8(1)})
	e, err := New(Config{NodeID: 1, Store: s, StateDir: t.TempDir()})
	if err != nil || e.atb != atbNone {
		t.Errorf("odd ATB: %v, atb %d", err, e.atb)
	}
	// A qdevice without votes gets nodes−1 and raises expected votes.
	s = confStore(ids3, 1, map[string]cmap.Value{"quorum.device.model": cmap.Str("net")})
	if e, err = New(Config{NodeID: 1, Store: s, StateDir: t.TempDir()}); err != nil || e.qdev.votes != 2 || e.us.expected != 5 {
		t.Errorf("qdevice auto votes: %v, votes %d expected %d", err, e.qdev.votes, e.us.expected)
	}
}
