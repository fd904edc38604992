package quorum

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/gorosync/gorosync/services"
)

func TestNewProvider(t *testing.T) {
	e, err := New(Config{})
	if err != nil || !e.Quorate() || e.Type() != TypeFree {
		t.Errorf("no provider: %v quorate %v type %d; want always quorate, QUORUM_FREE", err, e.Quorate(), e.Type())
	}
	e, err = New(Config{Provider: ProviderVotequorum})
	if err != nil || e.Quorate() || e.Type() != TypeSet {
		t.Errorf("votequorum: %v quorate %v type %d; want inquorate until told, QUORUM_SET", err, e.Quorate(), e.Type())
	}
	if _, err = New(Config{Provider: "corosync_ykd"}); err == nil || !strings.Contains(err.Error(), "quorum.provider") {
		t.Errorf("unknown provider: %v", err)
	}
}

func TestSetQuorumLogs(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var told []bool
	e, _ := New(Config{Provider: ProviderVotequorum, Log: log, Changed: func(q bool) { told = append(told, q) }})
	ring := services.RingID{Rep: 1, Seq: 8}
	e.SetQuorum([]uint32{1, 2}, true, ring)
	e.SetQuorum([]uint32{1, 2}, true, ring)
	e.SetQuorum([]uint32{1}, false, services.RingID{Rep: 1, Seq: 12})
	if fmt.Sprint(told) != "[true true false]" {
		t.Errorf("Changed calls %v", told)
	}
	view, r := e.View()
	if fmt.Sprint(view) != "[1]" || r.Seq != 12 || e.Quorate() {
		t.Errorf("view %v ring %v quorate %v", view, r, e.Quorate())
	}
	out := logs.String()
	if strings.Count(out, "This node is within the primary component and will provide service.") != 1 ||
		strings.Count(out, "This node is within the non-primary component and will NOT provide any services.") != 1 {
		t.Errorf("logs:\n%s", out)
	}
}

// TestJoinedLeft follows corosync's rules over a sequence of syncs.
func TestJoinedLeft(t *testing.T) {
	e, _ := New(Config{Provider: ProviderVotequorum})
	for _, step := range []struct {
		trans, members     []uint32
		wantJoin, wantLeft string
	}{
		{[]uint32{1}, []uint32{1, 2, 3}, "[1 2 3]", "[]"},
		{[]uint32{1, 2}, []uint32{1, 2}, "[]", "[3]"},
		// 2 was in the old list and is in the new one but not in the
		// transitional one: it left and joined again.
		{[]uint32{1}, []uint32{1, 2, 4}, "[2 4]", "[2]"},
	} {
		e.SyncInit(step.trans, step.members, services.RingID{Rep: 1, Seq: 4})
		if fmt.Sprint(e.joined) != step.wantJoin || fmt.Sprint(e.left) != step.wantLeft {
			t.Errorf("trans %v members %v: joined %v left %v, want %s %s", step.trans, step.members, e.joined, e.left, step.wantJoin, step.wantLeft)
		}
		if !e.SyncProcess() {
			t.Error("SyncProcess not done")
		}
		e.SyncActivate()
	}
}

func TestCodecLayouts(t *testing.T) {
	ring := services.RingID{Rep: 3, Seq: 0xaa}
	b := AppendNotification(nil, true, 0xaa, []uint32{1, 2, 3})
	if len(b) != 48+12 || le.Uint32(b[8:]) != 60 || le.Uint32(b[44:]) != 1 || le.Uint32(b[52:]) != 3 || le.Uint64(b[32:]) != 0xaa {
		t.Errorf("v0 notification % x", b)
	}
	b = AppendV1Quorum(nil, false, ring, []uint32{7})
	if len(b) != 56+4 || le.Uint32(b[32:]) != 3 || le.Uint64(b[40:]) != 0xaa || le.Uint32(b[48:]) != 1 || le.Uint32(b[52:]) != 7 {
		t.Errorf("v1 quorum % x", b)
	}
	b = AppendV1NodeList(nil, ring, []uint32{1, 2}, []uint32{2}, []uint32{5})
	if len(b) != 64+16 || le.Uint32(b[40:]) != 2 || le.Uint32(b[48:]) != 1 || le.Uint32(b[56:]) != 1 ||
		le.Uint32(b[60:]) != 1 || le.Uint32(b[68:]) != 2 || le.Uint32(b[72:]) != 5 {
		t.Errorf("v1 nodelist % x", b)
	}
	ev, err := DecodeEvent(b)
	if err != nil || fmt.Sprint(ev.Members, ev.Joined, ev.Left) != "[1 2] [2] [5]" || ev.Ring != ring {
		t.Errorf("decode: %+v %v", ev, err)
	}
	if _, err := DecodeEvent(b[:70]); err == nil {
		t.Error("a truncated nodelist decoded")
	}
}
