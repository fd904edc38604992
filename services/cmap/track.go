package cmap

import (
	"slices"
	"strings"
)

// Track types (a bitmask; an event carries one of the first three).
const (
	TrackDelete = 1
	TrackModify = 2
	TrackAdd    = 4
	TrackPrefix = 8
)

// Event is one change seen by a track: Add has no Old value, Delete no
// New one (zero Values).
type Event struct {
	Kind     int32
	Key      string
	New, Old Value
}

// Track watches one key, or with TrackPrefix every key starting with its
// key ("" = all keys).
type Track struct {
	s    *Store
	key  string
	typ  int32
	fn   func(*Track, Event)
	dead bool
}

// Track adds a track (icmap_track_add): typ is a bitmask of the Track*
// constants (ErrInvalid for other bits). fn runs synchronously, on the
// store's goroutine, after each matching change; the key need not exist.
func (s *Store) Track(key string, typ int32, fn func(*Track, Event)) (*Track, Error) {
	if typ&^(TrackDelete|TrackModify|TrackAdd|TrackPrefix) != 0 || fn == nil {
		return nil, ErrInvalid
	}
	t := &Track{s: s, key: key, typ: typ, fn: fn}
	s.tracks = append(slices.Clip(s.tracks), t)
	return t, OK
}

// Remove ends the track (idempotent); it gets no events from then on.
func (t *Track) Remove() {
	if t.dead {
		return
	}
	t.dead = true
	s := t.s
	i := slices.Index(s.tracks, t)
	if i >= 0 {
		s.tracks = slices.Delete(slices.Clone(s.tracks), i, i+1)
	}
}

// Key and Type are what the track was made with.
func (t *Track) Key() string { return t.key }
func (t *Track) Type() int32 { return t.typ }

func (t *Track) matches(kind int32, key string) bool {
	if t.typ&kind == 0 {
		return false
	}
	if t.typ&TrackPrefix != 0 {
		return strings.HasPrefix(key, t.key)
	}
	return key == t.key
}

// Tracks is the number of live tracks.
func (s *Store) Tracks() int { return len(s.tracks) }

func (s *Store) notify(kind int32, key string, nv, old Value) {
	for _, t := range s.tracks { // a stable slice: Track and Remove copy
		if !t.dead && t.matches(kind, key) {
			t.fn(t, Event{Kind: kind, Key: key, New: nv, Old: old})
		}
	}
}
