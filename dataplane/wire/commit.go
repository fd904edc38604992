package wire

import "fmt"

const (
	CommitTokenSize = HeaderSize + 4 + ringIDSize + 3*4 // 41: fixed part, before the lists
	CommitEntrySize = ringIDSize + 3*4                  // 24
)

// CommitEntry is one member's slot in the commit token: the ring it comes
// from and how far it got there.
type CommitEntry struct {
	RingID        RingID // the member's old ring
	ARU           uint32
	HighDelivered uint32
	ReceivedFlg   uint32
}

// CommitToken is the membership commit token (type 4). Wire order after the
// header: token_seq, ring_id, retrans_flg, memb_index, addr_entries, then
// addr_entries node ids, then addr_entries CommitEntry records.
//
// Addrs and Entries always have the same length. MembIndex counts the
// entries filled so far (0..len(Addrs)); Decode and Encode reject a larger
// value, so a receiver may index Entries with MembIndex once it has checked
// MembIndex < len(Entries).
type CommitToken struct {
	Header
	TokenSeq   uint32
	RingID     RingID // the new ring
	RetransFlg uint32
	MembIndex  uint32
	Addrs      []uint32
	Entries    []CommitEntry
}

// Size returns the encoded size of m.
func (m *CommitToken) Size() int {
	return CommitTokenSize + 4*len(m.Addrs) + CommitEntrySize*len(m.Entries)
}

// Encode writes m into b and returns the number of bytes written.
func (m *CommitToken) Encode(b []byte) (int, error) {
	const what = "memb_commit_token"
	if len(m.Addrs) != len(m.Entries) {
		return 0, fmt.Errorf("wire: %s: %w: %d addrs, %d entries", what, ErrMismatch, len(m.Addrs), len(m.Entries))
	}
	if len(m.Addrs) > MaxNodes {
		return 0, errTooMany(what, "addr_entries", uint64(len(m.Addrs)), MaxNodes)
	}
	if uint64(m.MembIndex) > uint64(len(m.Addrs)) {
		return 0, errBadIndex(m.MembIndex, uint32(len(m.Addrs)))
	}
	n := m.Size()
	if len(b) < n {
		return 0, errShortBuffer(what, len(b), n)
	}
	w := m.Header.put(b[:n], TypeCommitToken)
	w.u32(m.TokenSeq)
	w.ringID(m.RingID)
	w.u32(m.RetransFlg)
	w.u32(m.MembIndex)
	w.u32(uint32(len(m.Addrs)))
	for _, id := range m.Addrs {
		w.u32(id)
	}
	for i := range m.Entries {
		e := &m.Entries[i]
		w.ringID(e.RingID)
		w.u32(e.ARU)
		w.u32(e.HighDelivered)
		w.u32(e.ReceivedFlg)
	}
	return n, nil
}

// Decode parses a memb_commit_token frame into m, reusing the capacity of
// m's slices. On error m is left unchanged.
func (m *CommitToken) Decode(b []byte) error {
	const what = "memb_commit_token"
	h, r, err := decodeHeader(b, TypeCommitToken)
	if err != nil {
		return err
	}
	if len(b) < CommitTokenSize {
		return errShort(what, len(b), CommitTokenSize)
	}
	t := CommitToken{Header: h}
	t.TokenSeq = r.u32()
	t.RingID = r.ringID()
	t.RetransFlg = r.u32()
	t.MembIndex = r.u32()
	cnt := r.u32()
	if cnt > MaxNodes {
		return errTooMany(what, "addr_entries", uint64(cnt), MaxNodes)
	}
	// corosync indexes its member table with memb_index without checking;
	// refusing it here keeps that hazard out of the state machine.
	if t.MembIndex > cnt {
		return errBadIndex(t.MembIndex, cnt)
	}
	if err := checkExact(what, len(b), CommitTokenSize+int(cnt)*(4+CommitEntrySize)); err != nil {
		return err
	}
	t.Addrs = readIDs(&r, m.Addrs[:0], cnt)
	t.Entries = m.Entries[:0]
	for range cnt {
		var e CommitEntry
		e.RingID = r.ringID()
		e.ARU = r.u32()
		e.HighDelivered = r.u32()
		e.ReceivedFlg = r.u32()
		t.Entries = append(t.Entries, e)
	}
	*m = t
	return nil
}

func errBadIndex(idx, n uint32) error {
	return fmt.Errorf("wire: memb_commit_token: %w: memb_index %d > addr_entries %d", ErrBadIndex, idx, n)
}
