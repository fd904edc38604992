package cmap

import (
	"slices"
	"strings"
	"testing"

	"github.com/gorosync/gorosync/services/cmap/coroparse"
)

func TestStoreSetGetDelete(t *testing.T) {
	s := NewStore()
	if e := s.Set("a.b", Int(U32, 5)); e != OK {
		t.Fatal(e)
	}
	v, ok := s.Get("a.b")
	if !ok || v.String() != "(u32) = 5" {
		t.Fatalf("got %v %v", v, ok)
	}
	if e := s.Set("a.b", Str("x")); e != OK { // type change
		t.Fatal(e)
	}
	if v, _ := s.Get("a.b"); v.String() != "(str) = x" || len(v.Data) != 2 {
		t.Fatalf("got %v", v)
	}
	for _, bad := range []string{"ab", "a b", "a.b$", strings.Repeat("k", 256)} {
		if e := s.Set(bad, Int(U8, 1)); e != ErrNameLong {
			t.Errorf("Set(%q) = %v, want NAME_TOO_LONG", bad, e)
		}
	}
	if e := s.Set(strings.Repeat("k", 255), Int(U8, 1)); e != OK {
		t.Error(e)
	}
	if e := s.Set("a.c", Value{Type: U32, Data: []byte{1, 2}}); e != ErrInvalid {
		t.Errorf("short u32: %v", e)
	}
	if e := s.Set("a.c", Value{Type: 13, Data: nil}); e != ErrInvalid {
		t.Errorf("type 13: %v", e)
	}
	if e := s.Set("a.c", Value{Type: Binary, Data: make([]byte, MaxValueLen+1)}); e != ErrInvalid {
		t.Errorf("too big: %v", e)
	}
	if e := s.Set("a.c", Value{Type: Binary, Data: make([]byte, MaxValueLen)}); e != OK {
		t.Errorf("16 KiB: %v", e)
	}
	if e := s.Delete("a.b"); e != OK {
		t.Fatal(e)
	}
	if e := s.Delete("a.b"); e != ErrNotExist {
		t.Fatal(e)
	}
}

func TestStoreAdjust(t *testing.T) {
	s := NewStore()
	s.Set("k.u8", Int(U8, 255))
	s.Set("k.i16", Int(I16, uint64(0x7fff)))
	s.Set("k.u64", Int(U64, 0))
	s.Set("k.dbl", FloatValue(Double, 1.5))
	s.Set("k.str", Str("s"))
	for _, c := range []struct {
		key  string
		step int32
		want string
		e    Error
	}{
		{"k.u8", 1, "(u8) = 0", OK},
		{"k.i16", 1, "(i16) = -32768", OK},
		{"k.u64", -1, "(u64) = 18446744073709551615", OK},
		{"k.dbl", 1, "(dbl) = 1.500000", ErrInvalid},
		{"k.str", 1, "(str) = s", ErrInvalid},
		{"k.none", 1, "", ErrNotExist},
	} {
		if e := s.Adjust(c.key, c.step); e != c.e {
			t.Errorf("Adjust(%s) = %v, want %v", c.key, e, c.e)
		}
		if v, ok := s.Get(c.key); ok && v.String() != c.want {
			t.Errorf("%s = %v, want %s", c.key, v, c.want)
		}
	}
}

func TestStoreIter(t *testing.T) {
	s := NewStore()
	for _, k := range []string{"b.2", "a.1", "b.1", "c.1", "b.10"} {
		s.Set(k, Int(U8, 1))
	}
	collect := func(it *Iter) (ks []string) {
		for k, _, ok := it.Next(); ok; k, _, ok = it.Next() {
			ks = append(ks, k)
		}
		return ks
	}
	if got := collect(s.Iter("")); !slices.Equal(got, []string{"a.1", "b.1", "b.10", "b.2", "c.1"}) {
		t.Errorf("all: %v", got)
	}
	it := s.Iter("b.")
	s.Delete("b.10")
	s.Set("b.3", Int(U8, 1))
	if got := collect(it); !slices.Equal(got, []string{"b.1", "b.2"}) {
		t.Errorf("b.: %v", got)
	}
	if got := collect(s.Iter("zz")); got != nil {
		t.Errorf("zz: %v", got)
	}
}

func TestStoreTrack(t *testing.T) {
	s := NewStore()
	var got []string
	rec := func(name string) func(*Track, Event) {
		return func(_ *Track, ev Event) {
			got = append(got, name+":"+string(rune('0'+ev.Kind))+":"+ev.Key+":"+ev.New.Text()+"/"+ev.Old.Text())
		}
	}
	exact, _ := s.Track("x.a", TrackAdd|TrackModify|TrackDelete, rec("exact"))
	_, e := s.Track("x.", TrackAdd|TrackDelete|TrackPrefix, rec("prefix"))
	if e != OK {
		t.Fatal(e)
	}
	if _, e := s.Track("x", 16, rec("bad")); e != ErrInvalid {
		t.Fatalf("bad type: %v", e)
	}
	s.Set("x.a", Int(U32, 1))
	s.Set("x.a", Int(U32, 1)) // identical: no event
	s.Set("x.a", Int(U32, 2))
	s.Set("x.b", Str("v"))
	s.Adjust("x.a", 1)
	s.Delete("x.a")
	exact.Remove()
	s.Set("x.a", Int(U32, 9))
	s.Set("y.a", Int(U32, 9))
	want := []string{
		"exact:4:x.a:1/", "prefix:4:x.a:1/",
		"exact:2:x.a:2/1",
		"prefix:4:x.b:v/",
		"exact:2:x.a:3/2",
		"exact:1:x.a:/3", "prefix:1:x.a:/3",
		"prefix:4:x.a:9/",
	}
	if !slices.Equal(got, want) {
		t.Errorf("events\n got %q\nwant %q", got, want)
	}
	// A track removing itself and another during a notification.
	var second *Track
	n := 0
	s.Track("z.a", TrackAdd, func(t *Track, _ Event) { n++; t.Remove(); second.Remove() })
	second, _ = s.Track("z.a", TrackAdd, func(*Track, Event) { n += 10 })
	s.Set("z.a", Int(U8, 1))
	if n != 1 || s.Tracks() != 1 {
		t.Errorf("n=%d tracks=%d", n, s.Tracks())
	}
}

func TestReadOnly(t *testing.T) {
	s := NewStore()
	for k, want := range map[string]bool{
		"totem.cluster_name": true, "totem.cluster_name2": false, "nodelist.node.0.name": true,
		"runtime.config.totem.token": true, "runtime.members.1.ip": false, "totem.token": false,
		"quorum.wait_for_all": true, "quorum.two_node": false, "system.state_dir": true,
	} {
		if s.ReadOnly(k) != want {
			t.Errorf("ReadOnly(%s) = %v", k, !want)
		}
	}
	s.SetReadOnly("my.", true, true)
	s.SetReadOnly("totem.cluster_name", false, false)
	if !s.ReadOnly("my.key") || s.ReadOnly("totem.cluster_name") {
		t.Error("SetReadOnly")
	}
}

func TestLoad(t *testing.T) {
	s := NewStore()
	err := s.Load(map[string]coroparse.Value{
		"totem.cluster_name":   coroparse.Str("gs"),
		"totem.config_version": coroparse.Uint(coroparse.U64, 3),
		"totem.knet_level":     coroparse.Int(coroparse.I32, -2),
		"resources.x.current":  {Type: coroparse.Double, S: "0.5"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, k := range s.Keys("") {
		v, _ := s.Get(k)
		lines = append(lines, k+" "+v.String())
	}
	want := []string{
		"resources.x.current (dbl) = 0.500000",
		"totem.cluster_name (str) = gs",
		"totem.config_version (u64) = 3",
		"totem.knet_level (i32) = -2",
	}
	if !slices.Equal(lines, want) {
		t.Errorf("got %q", lines)
	}
}
