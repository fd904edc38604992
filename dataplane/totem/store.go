package totem

import "sync"

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
