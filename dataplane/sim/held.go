package sim

import "github.com/gorosync/gorosync/dataplane/wire"

// heldLog records, per ring, which sequence numbers a node ever held: the
// witness for safe delivery ("every member holds it").
type heldLog struct {
	rings map[wire.RingID][]uint64
}

func (h *heldLog) Held(ring wire.RingID, seq uint32) {
	if h.rings == nil {
		h.rings = map[wire.RingID][]uint64{}
	}
	bits := h.rings[ring]
	word := int(seq / 64)
	if word >= len(bits) {
		bits = append(bits, make([]uint64, word+1-len(bits))...)
	}
	bits[word] |= 1 << (seq % 64)
	h.rings[ring] = bits
}

func (h *heldLog) has(ring wire.RingID, seq uint32) bool {
	bits := h.rings[ring]
	word := int(seq / 64)
	return word < len(bits) && bits[word]&(1<<(seq%64)) != 0
}
