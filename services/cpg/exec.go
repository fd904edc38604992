package cpg

// Exec messages (TOTEM_SPEC §8.2), function numbers as corosync's, bodies
// in this package's own little-endian layout. A group name is a length
// byte (0..128) and the name. Decoders check every length and return
// ok=false for anything malformed (a buggy or hostile peer).
const (
	fnProcJoin     uint16 = 0 // pid u32, name
	fnProcLeave    uint16 = 1 // pid u32, reason u8, name
	fnJoinList     uint16 = 2 // count u16, count × (pid u32, name)
	fnMcast        uint16 = 3 // pid u32, name, payload (the rest)
	fnDownlistOld  uint16 = 4 // corosync's legacy message: ignored
	fnDownlist     uint16 = 5 // old members u32, count u16, count × nodeid u32 (informational)
	fnPartialMcast uint16 = 6 // pid u32, msglen u32, type u8, name, fragment (the rest)
	numExecFns            = 7
)

// maxJoinListBytes bounds one JOINLIST message; a longer list is sent in
// several.
const maxJoinListBytes = 60 << 10

// appendName appends a group name in exec layout.
func appendName(b, name []byte) []byte {
	b = append(b, byte(len(name)))
	return append(b, name...)
}

// takeName reads a name from b; rest is what follows.
func takeName(b []byte) (name, rest []byte, ok bool) {
	if len(b) < 1 {
		return nil, nil, false
	}
	n := int(b[0])
	if n > NameMax || len(b) < 1+n {
		return nil, nil, false
	}
	return b[1 : 1+n], b[1+n:], true
}

// procMsg is a decoded PROCJOIN or PROCLEAVE.
type procMsg struct {
	pid    uint32
	reason Reason
	name   []byte
}

func putProcJoinHeader(b []byte, pid uint32) []byte {
	return le.AppendUint32(b[:0], pid)
}

func decodeProcJoin(b []byte) (procMsg, bool) {
	if len(b) < 4 {
		return procMsg{}, false
	}
	m := procMsg{pid: le.Uint32(b), reason: ReasonJoin}
	name, rest, ok := takeName(b[4:])
	if !ok || len(rest) != 0 {
		return procMsg{}, false
	}
	m.name = name
	return m, true
}

func putProcLeaveHeader(b []byte, pid uint32, r Reason) []byte {
	b = le.AppendUint32(b[:0], pid)
	return append(b, byte(r))
}

func decodeProcLeave(b []byte) (procMsg, bool) {
	if len(b) < 5 {
		return procMsg{}, false
	}
	m := procMsg{pid: le.Uint32(b), reason: Reason(b[4])}
	if m.reason != ReasonLeave && m.reason != ReasonProcDown {
		return procMsg{}, false
	}
	name, rest, ok := takeName(b[5:])
	if !ok || len(rest) != 0 {
		return procMsg{}, false
	}
	m.name = name
	return m, true
}

// joinEntry is one process of a JOINLIST.
type joinEntry struct {
	from uint32 // the sender (filled in on receipt)
	pid  uint32
	name string
}

// encodeJoinList appends a JOINLIST of entries to b.
func encodeJoinList(b []byte, entries []Entry) []byte {
	b = le.AppendUint16(b, uint16(len(entries)))
	for _, e := range entries {
		b = le.AppendUint32(b, e.PID)
		b = appendName(b, []byte(e.Group))
	}
	return b
}

// decodeJoinList calls f for each entry; false if the message is
// malformed (then f may have been called for a prefix: the caller
// collects first and commits after).
func decodeJoinList(b []byte, f func(pid uint32, name []byte)) bool {
	if len(b) < 2 {
		return false
	}
	n := int(le.Uint16(b))
	b = b[2:]
	for range n {
		if len(b) < 4 {
			return false
		}
		pid := le.Uint32(b)
		name, rest, ok := takeName(b[4:])
		if !ok {
			return false
		}
		f(pid, name)
		b = rest
	}
	return len(b) == 0
}

// mcastMsg is a decoded MCAST or PARTIAL_MCAST.
type mcastMsg struct {
	pid     uint32
	msglen  uint32 // PARTIAL: the whole message's length
	typ     uint32 // PARTIAL: first, continued, last
	name    []byte
	payload []byte
}

func putMcastHeader(b []byte, pid uint32) []byte { return le.AppendUint32(b[:0], pid) }

func decodeMcast(b []byte) (mcastMsg, bool) {
	if len(b) < 4 {
		return mcastMsg{}, false
	}
	m := mcastMsg{pid: le.Uint32(b)}
	name, rest, ok := takeName(b[4:])
	if !ok || len(rest) > MaxAtomicMsgSize {
		return mcastMsg{}, false
	}
	m.name, m.payload = name, rest
	m.msglen = uint32(len(rest))
	return m, true
}

func putPartialHeader(b []byte, pid, msglen, typ uint32) []byte {
	b = le.AppendUint32(b[:0], pid)
	b = le.AppendUint32(b, msglen)
	return append(b, byte(typ))
}

func decodePartial(b []byte) (mcastMsg, bool) {
	if len(b) < 9 {
		return mcastMsg{}, false
	}
	m := mcastMsg{pid: le.Uint32(b), msglen: le.Uint32(b[4:]), typ: uint32(b[8])}
	if m.typ < PartialFirst || m.typ > PartialLast {
		return mcastMsg{}, false
	}
	name, rest, ok := takeName(b[9:])
	if !ok || len(rest) > MaxAtomicMsgSize || uint64(len(rest)) > uint64(m.msglen) {
		return mcastMsg{}, false
	}
	m.name, m.payload = name, rest
	return m, true
}

func encodeDownlist(b []byte, oldMembers int, left []uint32) []byte {
	b = le.AppendUint32(b, uint32(oldMembers))
	b = le.AppendUint16(b, uint16(len(left)))
	for _, n := range left {
		b = le.AppendUint32(b, n)
	}
	return b
}

func decodeDownlist(b []byte) (oldMembers uint32, left int, ok bool) {
	if len(b) < 6 {
		return 0, 0, false
	}
	n := int(le.Uint16(b[4:]))
	if len(b) != 6+4*n {
		return 0, 0, false
	}
	return le.Uint32(b), n, true
}
