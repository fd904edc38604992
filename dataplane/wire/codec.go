package wire

import "encoding/binary"

// reader and writer walk a frame in one byte order. Callers check lengths
// first, so the slice expressions here cannot fail; choosing the order with a
// bool rather than a binary.ByteOrder interface keeps every call inlinable.

type reader struct {
	b   []byte
	big bool
}

func (r *reader) u32() uint32 {
	var v uint32
	if r.big {
		v = binary.BigEndian.Uint32(r.b)
	} else {
		v = binary.LittleEndian.Uint32(r.b)
	}
	r.b = r.b[4:]
	return v
}

func (r *reader) u64() uint64 {
	var v uint64
	if r.big {
		v = binary.BigEndian.Uint64(r.b)
	} else {
		v = binary.LittleEndian.Uint64(r.b)
	}
	r.b = r.b[8:]
	return v
}

func (r *reader) ringID() RingID {
	rep := r.u32()
	return RingID{Rep: rep, Seq: r.u64()}
}

type writer struct {
	b   []byte
	big bool
}

func (w *writer) u32(v uint32) {
	if w.big {
		binary.BigEndian.PutUint32(w.b, v)
	} else {
		binary.LittleEndian.PutUint32(w.b, v)
	}
	w.b = w.b[4:]
}

func (w *writer) u64(v uint64) {
	if w.big {
		binary.BigEndian.PutUint64(w.b, v)
	} else {
		binary.LittleEndian.PutUint64(w.b, v)
	}
	w.b = w.b[8:]
}

func (w *writer) ringID(id RingID) {
	w.u32(id.Rep)
	w.u64(id.Seq)
}

// checkExact rejects frames shorter or longer than need. corosync itself
// only rejects short frames, but every corosync sender computes the exact
// size, so extra bytes mean corruption; refusing them also makes
// decode-then-encode byte-identical.
func checkExact(what string, have, need int) error {
	if have < need {
		return errShort(what, have, need)
	}
	if have > need {
		return errTrailing(what, have, need)
	}
	return nil
}
