package coroparse

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"testing"
)

// FuzzParse: any input parses or fails with a *Error, never panics; a
// parsed config is self-consistent.
func FuzzParse(f *testing.F) {
	f.Add([]byte(withTotem("")))
	f.Add([]byte("totem {\n version: 2\n}\n}\n"))
	opt := Options{
		LookupHost:  func(h string) ([]netip.Addr, error) { return nil, fmt.Errorf("no DNS (%s)", h) },
		LookupUser:  func(string) (uint32, error) { return 1000, nil },
		LookupGroup: func(string) (uint32, error) { return 0, errors.New("no such group") },
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseWith("f.conf", bytes.NewReader(data), opt)
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || ce.File != "f.conf" || ce.Line < 0 {
				t.Fatalf("error %v is not a *Error", err)
			}
			return
		}
		for k, v := range cfg.Keys {
			if !validKeyName(k) {
				t.Fatalf("key %q", k)
			}
			if v.Type < I8 || v.Type > Binary {
				t.Fatalf("%s has type %d", k, v.Type)
			}
		}
		for k := range cfg.Lines {
			if _, ok := cfg.Keys[k]; !ok {
				t.Fatalf("line for a missing key %q", k)
			}
		}
		if len(cfg.Nodes) == 0 && len(cfg.Totem.Interfaces) == 0 {
			t.Fatal("a config without links was accepted")
		}
		if cfg.Totem.TokenMs < minimumTimout || cfg.Totem.Timers.TokenNs != int64(cfg.Totem.TokenMs)*1e6 {
			t.Fatalf("totem %+v", cfg.Totem)
		}
		ids := map[uint32]bool{}
		for i, nd := range cfg.Nodes {
			if nd.NodeID == 0 || ids[nd.NodeID] {
				t.Fatalf("node %d id %d", i, nd.NodeID)
			}
			ids[nd.NodeID] = true
		}
		if len(cfg.Nodes) > 0 {
			if err := cfg.SetLocal(len(cfg.Nodes) - 1); err != nil {
				t.Fatal(err)
			}
			if i, err := LocalNode(cfg.Nodes, nil, cfg.Nodes[0].NodeID); i != 0 || err != nil {
				t.Fatalf("LocalNode by id: %d %v", i, err)
			}
		}
	})
}
