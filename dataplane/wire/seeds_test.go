package wire

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

var updateSeeds = flag.Bool("update-fuzz-seeds", false,
	"rewrite the capture-* seed corpora under testdata/fuzz from the capture")

// TestUpdateFuzzSeeds regenerates the committed seed corpora: for each type a
// few captured frames of distinct shapes, plus their big-endian versions. It
// only runs with -update-fuzz-seeds.
func TestUpdateFuzzSeeds(t *testing.T) {
	if !*updateSeeds {
		t.Skip("run with -update-fuzz-seeds to regenerate testdata/fuzz")
	}
	targets := map[MessageType]string{
		TypeOrfToken: "FuzzDecodeOrfToken", TypeMcast: "FuzzDecodeMcast",
		TypeMergeDetect: "FuzzDecodeMergeDetect", TypeJoin: "FuzzDecodeJoin",
		TypeCommitToken: "FuzzDecodeCommitToken", TypeTokenHoldCancel: "FuzzDecodeTokenHoldCancel",
	}
	// Hand-added and fuzzer-found seeds are kept; only capture-* is rebuilt.
	old, err := filepath.Glob(filepath.Join("testdata", "fuzz", "*", "capture-*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range old {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	write := func(target, name string, b []byte) {
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		data := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	perType := map[MessageType]int{}
	for _, p := range loadCapture(t) {
		m, err := decodeFrame(p.Payload)
		if err != nil {
			t.Fatal(err)
		}
		typ := m.header().Type
		// Shape: length plus the features worth a seed of their own.
		shape := fmt.Sprint(typ, len(p.Payload))
		switch m := m.(type) {
		case *OrfToken:
			shape += fmt.Sprint(m.Backlog > 0, m.ARUAddr != 0, m.ARU == 0xffffffff)
		case *Join:
			shape += fmt.Sprint(m.NodeID == 0)
		case *MergeDetect:
			shape += fmt.Sprint(m.TargetNodeID == 0)
		}
		if seen[shape] || perType[typ] >= 6 {
			continue
		}
		seen[shape] = true
		perType[typ]++
		name := fmt.Sprintf("capture-%05d", p.Index)
		be := toBigEndian(t, p.Payload)
		write(targets[typ], name, p.Payload)
		write(targets[typ], name+"-be", be)
		if perType[typ] == 1 {
			write("FuzzPeekHeader", name, p.Payload)
			write("FuzzPeekHeader", name+"-be", be)
		}
	}
}
