package totem

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFileStoreRoundTripAndRestart(t *testing.T) {
	dir := t.TempDir()
	fs := FileStore{Dir: dir}
	if seq, err := fs.LoadRingSeq(7); err != nil || seq != 0 {
		t.Fatalf("missing file: %d %v", seq, err)
	}
	if err := fs.SaveRingSeq(7, 0x1234); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "ringid_7"))
	if err != nil || len(b) != 8 || b[0] != 0x34 || b[1] != 0x12 {
		t.Fatalf("file %x %v: want corosync's 8-byte little-endian u64", b, err)
	}
	// A node restarted on the same store starts above the stored ring.
	n, err := New(Config{NodeID: 7, Store: fs})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(0); err != nil {
		t.Fatal(err)
	}
	// Start-up ring = stored + 1 (never reused); alone, the node commits
	// at once to its singleton ring, + 4, and persists that.
	if seq, _ := fs.LoadRingSeq(7); n.RingID().Seq != 0x1239 || seq != 0x1239 {
		t.Fatalf("restarted on ring seq %#x, stored %#x; want 0x1239 for both", n.RingID().Seq, seq)
	}
	if err := os.WriteFile(filepath.Join(dir, "ringid_8"), []byte{1, 2, 3}, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.LoadRingSeq(8); err == nil {
		t.Fatal("a truncated ring id file was accepted")
	}
}

func TestUnwritableStoreStopsTheNode(t *testing.T) {
	dir := t.TempDir()
	store := FileStore{Dir: filepath.Join(dir, "missing")} // cannot be written
	n, err := New(Config{NodeID: 1, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(0); err != nil {
		t.Fatal(err)
	}
	// Alone, the node commits to its singleton ring at once: that commit
	// must persist the ring id, fail, and stop the node.
	if n.State() != StateStopped || n.Err() == nil {
		t.Fatalf("state %s err %v: a ring id that cannot be stored must stop the node", n.State(), n.Err())
	}
}
