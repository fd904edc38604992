package cmap

import (
	"testing"

	"github.com/gorosync/gorosync/services/servicetest"
)

func versionStore(v uint64) *Store {
	s := NewStore()
	if v > 0 {
		s.Set(configVersionKey, Int(U64, v))
	}
	return s
}

// An older node joining a formed cluster stops itself; the cluster, already
// checked, carries on; every node learns every member's version.
func TestEngineConfigVersionCheck(t *testing.T) {
	bus := servicetest.New()
	fatal := map[uint32]string{}
	stores := map[uint32]*Store{}
	for id, v := range map[uint32]uint64{1: 2, 2: 2, 3: 1} {
		stores[id] = versionStore(v)
		e := NewEngine(stores[id], EngineConfig{Fatal: func(r string) { fatal[id] = r }})
		n, err := bus.Add(id, e)
		if err != nil {
			t.Fatal(err)
		}
		e.SetHost(n.Host)
	}
	bus.Form(1, 2)
	bus.Form(3)
	bus.Run(100, 5)
	if len(fatal) != 0 {
		t.Fatalf("fatal before meeting: %v", fatal)
	}
	bus.Form(1, 2, 3)
	bus.Run(100, 5)
	if _, ok := fatal[3]; !ok || len(fatal) != 1 {
		t.Fatalf("fatal = %v, want node 3 only", fatal)
	}
	if want := "Received config version (2) is different than my config version (1)! Exiting"; fatal[3] != want {
		t.Fatalf("reason %q", fatal[3])
	}
	for _, id := range []uint32{1, 2, 3} {
		v, ok := stores[1].Get("runtime.members." + string(rune('0'+id)) + ".config_version")
		if !ok || v.Text() != map[uint32]string{1: "2", 2: "2", 3: "1"}[id] {
			t.Fatalf("node 1 sees node %d's version %v %v", id, v, ok)
		}
	}
}

// Changing totem.config_version at runtime tells every member.
func TestEngineNewConfigVersion(t *testing.T) {
	bus := servicetest.New()
	stores := map[uint32]*Store{}
	for _, id := range []uint32{1, 2} {
		stores[id] = versionStore(0)
		e := NewEngine(stores[id], EngineConfig{Fatal: func(r string) { t.Errorf("node %d: %s", id, r) }})
		n, _ := bus.Add(id, e)
		e.SetHost(n.Host)
	}
	bus.Form(1, 2)
	bus.Run(100, 5)
	if v, ok := stores[2].Get("runtime.members.1.config_version"); !ok || v.Text() != "0" {
		t.Fatalf("a node without config_version: %v %v, want 0 as corosync shows it", v, ok)
	}
	stores[1].Set(configVersionKey, Int(U64, 7))
	bus.Run(10, 2)
	if v, ok := stores[2].Get("runtime.members.1.config_version"); !ok || v.Text() != "7" {
		t.Fatalf("node 2 sees %v %v", v, ok)
	}
}
