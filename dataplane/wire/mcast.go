package wire

// McastSize is the size of the mcast header that precedes the payload.
const McastSize = HeaderSize + 3*4 + ringIDSize + 2*4 // 45

// Mcast is a multicast message (type 1): one ordered totem message. Wire
// order after the header: system_from, seq, this_seqno, ring_id, node_id,
// guarantee, then the payload up to the end of the frame.
//
// Seq is the ring sequence number the message was ordered under in RingID.
// ThisSeqno, NodeID and Guarantee are carried but unused by corosync 3.1.7
// (it always sends node_id 0 and guarantee 0). Encapsulated is
// EncapsulatedYes for an old-ring message re-sent during recovery, whose
// payload is then the complete original mcast frame.
type Mcast struct {
	Header
	SystemFrom uint32
	Seq        uint32
	ThisSeqno  int32
	RingID     RingID
	NodeID     uint32
	Guarantee  int32
	// Payload is the totempg packet (or the encapsulated frame), opaque here
	// and never byte-swapped. After Decode it aliases the input frame, with
	// its capacity clipped so that appending to it cannot overwrite the frame.
	Payload []byte
}

// Size returns the encoded size of m.
func (m *Mcast) Size() int { return McastSize + len(m.Payload) }

// Encode writes m into b and returns the number of bytes written.
func (m *Mcast) Encode(b []byte) (int, error) {
	n := m.Size()
	if len(b) < n {
		return 0, errShortBuffer(TypeMcast.String(), len(b), n)
	}
	w := m.Header.put(b[:n], TypeMcast)
	w.u32(m.SystemFrom)
	w.u32(m.Seq)
	w.u32(uint32(m.ThisSeqno))
	w.ringID(m.RingID)
	w.u32(m.NodeID)
	w.u32(uint32(m.Guarantee))
	copy(w.b, m.Payload)
	return n, nil
}

// Decode parses an mcast frame into m. The payload is everything after the
// fixed part (possibly empty) and aliases b. On error m is left unchanged.
func (m *Mcast) Decode(b []byte) error {
	h, r, err := decodeHeader(b, TypeMcast)
	if err != nil {
		return err
	}
	if len(b) < McastSize {
		return errShort("mcast", len(b), McastSize)
	}
	t := Mcast{Header: h}
	t.SystemFrom = r.u32()
	t.Seq = r.u32()
	t.ThisSeqno = int32(r.u32())
	t.RingID = r.ringID()
	t.NodeID = r.u32()
	t.Guarantee = int32(r.u32())
	t.Payload = b[McastSize:len(b):len(b)]
	*m = t
	return nil
}
