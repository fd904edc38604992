package wire

const (
	OrfTokenSize = HeaderSize + 4*4 + ringIDSize + 4*4 // 57: fixed part, before the retransmit list
	RTRItemSize  = ringIDSize + 4                      // 16
)

// RTRItem asks for the retransmission of message Seq of ring RingID.
type RTRItem struct {
	RingID RingID
	Seq    uint32
}

// OrfToken is the ordering, reliability and flow-control token (type 0).
// Wire order after the header: seq, token_seq, aru, aru_addr, ring_id,
// backlog, fcc, retrans_flg, rtr_list_entries, then the retransmit list.
type OrfToken struct {
	Header
	Seq        uint32
	TokenSeq   uint32
	ARU        uint32
	ARUAddr    uint32
	RingID     RingID
	Backlog    uint32
	FCC        uint32
	RetransFlg uint32
	RTRList    []RTRItem
}

// Size returns the encoded size of m.
func (m *OrfToken) Size() int { return OrfTokenSize + len(m.RTRList)*RTRItemSize }

// Encode writes m into b and returns the number of bytes written.
func (m *OrfToken) Encode(b []byte) (int, error) {
	const what = "orf_token"
	if len(m.RTRList) > MaxRTREntries {
		return 0, errTooMany(what, "rtr_list_entries", uint64(len(m.RTRList)), MaxRTREntries)
	}
	n := m.Size()
	if len(b) < n {
		return 0, errShortBuffer(what, len(b), n)
	}
	w := m.Header.put(b[:n], TypeOrfToken)
	w.u32(m.Seq)
	w.u32(m.TokenSeq)
	w.u32(m.ARU)
	w.u32(m.ARUAddr)
	w.ringID(m.RingID)
	w.u32(m.Backlog)
	w.u32(m.FCC)
	w.u32(m.RetransFlg)
	w.u32(uint32(len(m.RTRList)))
	for i := range m.RTRList {
		w.ringID(m.RTRList[i].RingID)
		w.u32(m.RTRList[i].Seq)
	}
	return n, nil
}

// Decode parses an orf_token frame into m, reusing m.RTRList's capacity.
// On error m is left unchanged.
func (m *OrfToken) Decode(b []byte) error {
	const what = "orf_token"
	h, r, err := decodeHeader(b, TypeOrfToken)
	if err != nil {
		return err
	}
	if len(b) < OrfTokenSize {
		return errShort(what, len(b), OrfTokenSize)
	}
	t := OrfToken{Header: h}
	t.Seq = r.u32()
	t.TokenSeq = r.u32()
	t.ARU = r.u32()
	t.ARUAddr = r.u32()
	t.RingID = r.ringID()
	t.Backlog = r.u32()
	t.FCC = r.u32()
	t.RetransFlg = r.u32()
	// The count is a C int: a negative one reads as a huge uint32 and is
	// rejected here along with every other count above the limit.
	cnt := r.u32()
	if cnt > MaxRTREntries {
		return errTooMany(what, "rtr_list_entries", uint64(cnt), MaxRTREntries)
	}
	if err := checkExact(what, len(b), OrfTokenSize+int(cnt)*RTRItemSize); err != nil {
		return err
	}
	t.RTRList = m.RTRList[:0]
	for range cnt {
		id := r.ringID()
		t.RTRList = append(t.RTRList, RTRItem{RingID: id, Seq: r.u32()})
	}
	*m = t
	return nil
}
