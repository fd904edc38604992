package votequorum

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/gorosync/gorosync/services/cmap"
)

// flakyHost refuses sends while down and records what it took.
type flakyHost struct {
	down bool
	sent []uint16
}

func (h *flakyHost) Send(service, fn uint16, parts ...[]byte) error {
	if h.down {
		return errors.New("loop full")
	}
	h.sent = append(h.sent, fn)
	return nil
}

func TestNodeinfoRetried(t *testing.T) {
	e, err := New(Config{NodeID: 1, Store: confStore(ids3, 1, nil), StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	h := &flakyHost{down: true}
	e.SetHost(h)
	if w := e.Tick(1); w != 0 || !e.nodeinfoOwed {
		t.Fatalf("refused NODEINFO: work %d, owed %v", w, e.nodeinfoOwed)
	}
	h.down = false
	if w := e.Tick(2); w != 1 || e.nodeinfoOwed || fmt.Sprint(h.sent) != "[0]" {
		t.Fatalf("retry: work %d, owed %v, sent %v", w, e.nodeinfoOwed, h.sent)
	}
	if w := e.Tick(3); w != 0 || len(h.sent) != 1 {
		t.Errorf("nothing owed: work %d, sent %v", w, h.sent)
	}
	// SyncProcess keeps what the loop refused for its next call.
	h.down = true
	e.SyncInit([]uint32{1}, []uint32{1, 2}, e.ring)
	if e.SyncProcess() {
		t.Error("SyncProcess done with nothing sent")
	}
	h.down = false
	if !e.SyncProcess() || fmt.Sprint(h.sent) != "[0 0 0]" {
		t.Errorf("SyncProcess after the refusal: sent %v", h.sent)
	}
}

func TestParseATB(t *testing.T) {
	for in, want := range map[string]string{
		"lowest":  "1 []",
		"highest": "2 []",
		"3 1 2":   "3 [3 1 2]",
		" 4\t2":   "3 [4 2]",
		"3,4":     "3 [3]",
		"3 0 4":   "3 [3]",
		"0 3":     "0 []",
		"none":    "0 []",
		"":        "0 []",
	} {
		m, l := parseATB(in)
		if got := fmt.Sprint(m, " ", l); got != want {
			t.Errorf("parseATB(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestEVTrackingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ev_tracking")
	if b, err := loadEVTracking(path); err != nil || b != 0 {
		t.Fatalf("first load: %d %v", b, err)
	}
	if st, err := os.Stat(path); err != nil || st.Size() != 4 {
		t.Fatalf("not created holding 0: %v %v", st, err)
	}
	if err := storeEVTracking(path, 9); err != nil {
		t.Fatal(err)
	}
	if b, err := loadEVTracking(path); err != nil || b != 9 {
		t.Errorf("reload: %d %v", b, err)
	}
	// An unwritable state directory is a startup error naming the key.
	s := confStore(ids3, 1, map[string]cmap.Value{"quorum.expected_votes_tracking": u8(1)})
	_, err := New(Config{NodeID: 1, Store: s, StateDir: filepath.Join(t.TempDir(), "missing", "dir")})
	if err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing state dir: %v", err)
	}
}
