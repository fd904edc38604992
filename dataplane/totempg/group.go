package totempg

import (
	"bytes"
	"errors"
)

// MaxGroups is the most groups one message may be sent to. corosync sizes
// its send-side arrays for 32 (MAX_GROUPS_PER_MSG); the receive side has no
// such limit and SplitGroups accepts any count that fits in the message.
const MaxGroups = 32

// The two groups corosync registers. Every service engine message travels
// in group "a"; the sync engine's messages travel in group "sync". The
// slices are shared: never modify them.
var (
	GroupA    = []byte("a")
	GroupSync = []byte("sync")

	// GroupsA and GroupsSync are ready-made group lists for Packer.Mcast,
	// so that callers need not build a [][]byte per send.
	GroupsA    = [][]byte{GroupA}
	GroupsSync = [][]byte{GroupSync}
)

var (
	// ErrTooManyGroups: more than MaxGroups groups given to a send.
	ErrTooManyGroups = errors.New("totempg: more than 32 groups")
	// ErrGroupNameTooLong: a group name does not fit its u16 length field.
	ErrGroupNameTooLong = errors.New("totempg: group name longer than 65535 bytes")
	// ErrShortBuffer: the destination is too small for the group header.
	ErrShortBuffer = errors.New("totempg: buffer too small for the group header")
	// ErrBadGroupHeader: a received message is too short for the group
	// header it announces. corosync does not check this and would read past
	// the message; we refuse it.
	ErrBadGroupHeader = errors.New("totempg: malformed group header")
)

// GroupHeaderSize is the encoded size of a group header naming groups:
// u16 count, a u16 length per group, then the names.
func GroupHeaderSize(groups [][]byte) int {
	n := 2 * (len(groups) + 1)
	for _, g := range groups {
		n += len(g)
	}
	return n
}

// checkGroups applies the send-side limits shared by PutGroupHeader and the
// Packer.
func checkGroups(groups [][]byte) error {
	if len(groups) > MaxGroups {
		return ErrTooManyGroups
	}
	for _, g := range groups {
		if len(g) > 0xffff {
			return ErrGroupNameTooLong
		}
	}
	return nil
}

// putGroupLens writes the count and length fields (not the names) and
// returns how many bytes that took. b must be long enough.
func putGroupLens(b []byte, groups [][]byte, bigEndian bool) int {
	put16(b, uint16(len(groups)), bigEndian)
	for i, g := range groups {
		put16(b[2+2*i:], uint16(len(g)), bigEndian)
	}
	return 2 * (len(groups) + 1)
}

// PutGroupHeader writes the group header for groups into b and returns its
// size. Zero groups is allowed (such a message matches no receiver).
func PutGroupHeader(b []byte, groups [][]byte, bigEndian bool) (int, error) {
	if err := checkGroups(groups); err != nil {
		return 0, err
	}
	size := GroupHeaderSize(groups)
	if len(b) < size {
		return 0, ErrShortBuffer
	}
	n := putGroupLens(b, groups, bigEndian)
	for _, g := range groups {
		n += copy(b[n:], g)
	}
	return n, nil
}

// GroupHeader is a parsed group header. It aliases the message it came from
// and lets the names be inspected without allocating.
type GroupHeader struct {
	lens      []byte // count u16 lengths, sender order
	names     []byte // the names, concatenated
	bigEndian bool
}

// SplitGroups parses the group header at the start of an application
// message (as delivered by the Assembler) and returns it with the payload
// that follows. Every length is checked against the message.
func SplitGroups(msg []byte, bigEndian bool) (GroupHeader, []byte, error) {
	if len(msg) < 2 {
		return GroupHeader{}, nil, ErrBadGroupHeader
	}
	count := int(get16(msg, bigEndian))
	lensEnd := 2 + 2*count
	if len(msg) < lensEnd {
		return GroupHeader{}, nil, ErrBadGroupHeader
	}
	namesEnd := lensEnd
	for i := 2; i < lensEnd; i += 2 {
		namesEnd += int(get16(msg[i:], bigEndian))
	}
	if len(msg) < namesEnd {
		return GroupHeader{}, nil, ErrBadGroupHeader
	}
	h := GroupHeader{lens: msg[2:lensEnd], names: msg[lensEnd:namesEnd], bigEndian: bigEndian}
	return h, msg[namesEnd:], nil
}

// Count is the number of groups named.
func (h GroupHeader) Count() int { return len(h.lens) / 2 }

// Size is the encoded size of the header, i.e. how many bytes of the message
// precede the payload.
func (h GroupHeader) Size() int { return 2 + len(h.lens) + len(h.names) }

// Name returns the i-th group name. It walks the length fields, so it is
// O(i); group counts are tiny (corosync always sends exactly one).
func (h GroupHeader) Name(i int) []byte {
	off := 0
	for j := 0; j < i; j++ {
		off += int(get16(h.lens[2*j:], h.bigEndian))
	}
	return h.names[off : off+int(get16(h.lens[2*i:], h.bigEndian))]
}

// Contains reports whether name is one of the groups, compared by length and
// bytes as corosync's group matching does.
func (h GroupHeader) Contains(name []byte) bool {
	off := 0
	for j := 0; j < len(h.lens); j += 2 {
		n := int(get16(h.lens[j:], h.bigEndian))
		if bytes.Equal(h.names[off:off+n], name) {
			return true
		}
		off += n
	}
	return false
}

// Matches reports whether any group of the header is any of joined: the
// test corosync applies to decide whether a group instance (which joined
// the groups in joined) receives the message.
func (h GroupHeader) Matches(joined [][]byte) bool {
	for _, g := range joined {
		if h.Contains(g) {
			return true
		}
	}
	return false
}
