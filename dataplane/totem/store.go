package totem

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// RingStore keeps the highest ring sequence number a node took part in, so
// that a restarted node never reuses a ring id (spec §3.12). The daemon
// stores it in a file in state_dir (corosync's ringid_<nodeid>); the
// simulator keeps it in memory across simulated restarts.
type RingStore interface {
	LoadRingSeq(node uint32) (uint64, error)
	SaveRingSeq(node uint32, seq uint64) error
}

// MemoryStore is a RingStore in memory, shared by the nodes of a process.
type MemoryStore struct {
	mu   sync.Mutex
	seqs map[uint32]uint64
}

func (m *MemoryStore) LoadRingSeq(node uint32) (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.seqs[node], nil
}

func (m *MemoryStore) SaveRingSeq(node uint32, seq uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seqs == nil {
		m.seqs = map[uint32]uint64{}
	}
	m.seqs[node] = seq
	return nil
}

// FileStore keeps each node's ring sequence number in
// <Dir>/ringid_<nodeid>, as corosync does: eight bytes, the u64 in the
// host's byte order (little-endian here). A missing file reads as 0.
type FileStore struct {
	Dir string
}

func (f FileStore) path(node uint32) string {
	return filepath.Join(f.Dir, fmt.Sprintf("ringid_%d", node))
}

func (f FileStore) LoadRingSeq(node uint32) (uint64, error) {
	b, err := os.ReadFile(f.path(node))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("totem: reading ring id: %w", err)
	case len(b) != 8:
		return 0, fmt.Errorf("totem: %s holds %d bytes, want 8", f.path(node), len(b))
	}
	return binary.LittleEndian.Uint64(b), nil
}

// SaveRingSeq writes the file anew and syncs it before renaming it into
// place, so that a crash leaves either the old or the new number.
func (f FileStore) SaveRingSeq(node uint32, seq uint64) error {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], seq)
	tmp := f.path(node) + ".tmp"
	file, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("totem: storing ring id: %w", err)
	}
	_, err = file.Write(b[:])
	if err == nil {
		err = file.Sync()
	}
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, f.path(node))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("totem: storing ring id: %w", err)
	}
	return nil
}
