package cmap

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/gorosync/gorosync/services/cmap/coroparse"
)

// Store is one cmap map (icmap). Its methods write as the daemon does:
// they do not check read-only keys (ReadOnly is for IPC clients).
// Owned by one goroutine.
type Store struct {
	m      map[string]Value
	ro     []roRule
	tracks []*Track // copy-on-write: notify iterates a stable slice
}

// NewStore returns an empty store with corosync's read-only keys.
func NewStore() *Store {
	return &Store{m: make(map[string]Value), ro: slices.Clone(defaultRO)}
}

// Load sets every key of a coroparse configuration (cfg.Keys).
func (s *Store) Load(keys map[string]coroparse.Value) error {
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		v, err := FromConf(keys[k])
		if err != nil {
			return fmt.Errorf("%s: %w", k, err)
		}
		if e := s.Set(k, v); e != OK {
			return fmt.Errorf("cmap: set %s: %w", k, e)
		}
	}
	return nil
}

// ValidKeyName reports whether name is a key icmap creates: 3..255 bytes
// of [a-zA-Z0-9._/:-].
func ValidKeyName(name string) bool {
	if len(name) < MinKeyLen || len(name) > MaxKeyLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == '_' || c == '-' || c == '/' || c == ':'
		if !ok {
			return false
		}
	}
	return true
}

// checkValue is icmap_check_value_len for a value in stored form.
func checkValue(v Value) Error {
	if !validType(v.Type) || len(v.Data) > MaxValueLen {
		return ErrInvalid
	}
	if n := typeLen(v.Type); n != 0 && len(v.Data) != n {
		return ErrInvalid
	}
	if v.Type == String && (len(v.Data) == 0 || bytes.IndexByte(v.Data, 0) != len(v.Data)-1) {
		return ErrInvalid
	}
	return OK
}

// Get returns the value of key. The value's bytes belong to the store.
func (s *Store) Get(key string) (Value, bool) {
	v, ok := s.m[key]
	return v, ok
}

// Len is the number of keys.
func (s *Store) Len() int { return len(s.m) }

// Set creates or replaces key (the type may change). Strings are given
// with their terminating NUL. An identical value changes nothing and
// notifies nobody. Errors: ErrInvalid (bad type or length),
// ErrNameLong (a new key with a bad name).
func (s *Store) Set(key string, v Value) Error {
	if e := checkValue(v); e != OK {
		return e
	}
	old, exists := s.m[key]
	if exists && old.Equal(v) {
		return OK
	}
	if !exists && !ValidKeyName(key) {
		return ErrNameLong
	}
	nv := Value{Type: v.Type, Data: bytes.Clone(v.Data)}
	if nv.Data == nil {
		nv.Data = []byte{}
	}
	s.m[key] = nv
	if exists {
		s.notify(TrackModify, key, nv, old)
	} else {
		s.notify(TrackAdd, key, nv, Value{})
	}
	return OK
}

// Delete removes key: ErrNotExist if absent.
func (s *Store) Delete(key string) Error {
	old, ok := s.m[key]
	if !ok {
		return ErrNotExist
	}
	delete(s.m, key)
	s.notify(TrackDelete, key, Value{}, old)
	return OK
}

// Adjust adds step to an integer key, wrapping modulo its width
// (icmap_adjust_int): ErrNotExist if absent, ErrInvalid for float,
// double, string and binary values.
func (s *Store) Adjust(key string, step int32) Error {
	old, ok := s.m[key]
	if !ok {
		return ErrNotExist
	}
	switch old.Type {
	case I8, U8, I16, U16, I32, U32, I64, U64:
	default:
		return ErrInvalid
	}
	nv := Int(old.Type, old.uint()+uint64(int64(step)))
	if nv.Equal(old) {
		return OK
	}
	s.m[key] = nv
	s.notify(TrackModify, key, nv, old)
	return OK
}

// Keys returns the keys starting with prefix in lexicographic order.
func (s *Store) Keys(prefix string) []string {
	var ks []string
	for k := range s.m {
		if strings.HasPrefix(k, prefix) {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	return ks
}

// Iter is a cursor over the keys that had a prefix when it was made, in
// lexicographic order; keys deleted since are skipped, keys added since
// are not seen.
type Iter struct {
	s    *Store
	keys []string
	i    int
}

// Iter starts an iteration over the keys starting with prefix ("" = all).
func (s *Store) Iter(prefix string) *Iter { return &Iter{s: s, keys: s.Keys(prefix)} }

// Next returns the next key and its current value, or ok false at the end.
func (it *Iter) Next() (key string, v Value, ok bool) {
	for it.i < len(it.keys) {
		k := it.keys[it.i]
		it.i++
		if v, ok := it.s.m[k]; ok {
			return k, v, true
		}
	}
	return "", Value{}, false
}
