package wire

// JoinSize is the size of the fixed part of a memb_join, before the lists.
const JoinSize = HeaderSize + 3*4 + 8 // 33

// Join is a membership join (type 3): the sender's proc set and fail set.
// Wire order after the header: system_from, proc_list_entries,
// failed_list_entries, ring_seq, then the proc list and the failed list as
// u32 node ids.
//
// corosync also sends a Join as its LEAVE on shutdown: Header.NodeID is 0 and
// the leaving node is the last entry of FailedList. Lists are sent in the
// sender's order, which is not necessarily sorted.
type Join struct {
	Header
	SystemFrom uint32
	ProcList   []uint32
	FailedList []uint32
	RingSeq    uint64 // sender's current ring seq
}

// Size returns the encoded size of m.
func (m *Join) Size() int { return JoinSize + 4*(len(m.ProcList)+len(m.FailedList)) }

// Encode writes m into b and returns the number of bytes written.
func (m *Join) Encode(b []byte) (int, error) {
	const what = "memb_join"
	if len(m.ProcList) > MaxNodes {
		return 0, errTooMany(what, "proc_list_entries", uint64(len(m.ProcList)), MaxNodes)
	}
	if len(m.FailedList) > MaxNodes {
		return 0, errTooMany(what, "failed_list_entries", uint64(len(m.FailedList)), MaxNodes)
	}
	n := m.Size()
	if len(b) < n {
		return 0, errShortBuffer(what, len(b), n)
	}
	w := m.Header.put(b[:n], TypeJoin)
	w.u32(m.SystemFrom)
	w.u32(uint32(len(m.ProcList)))
	w.u32(uint32(len(m.FailedList)))
	w.u64(m.RingSeq)
	for _, id := range m.ProcList {
		w.u32(id)
	}
	for _, id := range m.FailedList {
		w.u32(id)
	}
	return n, nil
}

// Decode parses a memb_join frame into m, reusing the capacity of m's lists.
// On error m is left unchanged.
func (m *Join) Decode(b []byte) error {
	const what = "memb_join"
	h, r, err := decodeHeader(b, TypeJoin)
	if err != nil {
		return err
	}
	if len(b) < JoinSize {
		return errShort(what, len(b), JoinSize)
	}
	t := Join{Header: h}
	t.SystemFrom = r.u32()
	np := r.u32()
	nf := r.u32()
	t.RingSeq = r.u64()
	if np > MaxNodes {
		return errTooMany(what, "proc_list_entries", uint64(np), MaxNodes)
	}
	if nf > MaxNodes {
		return errTooMany(what, "failed_list_entries", uint64(nf), MaxNodes)
	}
	if err := checkExact(what, len(b), JoinSize+4*int(np+nf)); err != nil {
		return err
	}
	t.ProcList = readIDs(&r, m.ProcList[:0], np)
	t.FailedList = readIDs(&r, m.FailedList[:0], nf)
	*m = t
	return nil
}

// readIDs appends n node ids from r to dst.
func readIDs(r *reader, dst []uint32, n uint32) []uint32 {
	for range n {
		dst = append(dst, r.u32())
	}
	return dst
}
