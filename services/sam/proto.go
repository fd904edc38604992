package sam

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
)

// The pipes between the supervisor and its child carry frames of our own
// layout (libsam's pipe format is private to it): a little-endian
// {u32 kind, u32 body length} header, then the body. Every length is
// checked against the kind before anything is read or allocated.

// Commands, child → parent.
const (
	cmdStart      uint32 = 1 // body: empty; the parent replies
	cmdStop       uint32 = 2 // body: empty
	cmdHB         uint32 = 3 // body: empty
	cmdDataStore  uint32 = 4 // body: the data (0..MaxDataSize bytes); the parent replies
	cmdWarnSignal uint32 = 5 // body: i32 signal; the parent replies
	cmdMarkFailed uint32 = 6 // body: empty
)

// Messages, parent → child.
const (
	msgHello uint32 = 1 // body: helloSize bytes, then the stored data
	msgReply uint32 = 2 // body: u32 cs_error_t
)

const (
	frameHdrSize = 8
	helloSize    = 16 // instance u32, warn signal i32, policy u32, interval ms u32
	replySize    = 4
)

// MaxDataSize is the largest user data DataStore takes (libsam's limit is
// memory; a bound keeps a broken peer from making us allocate without
// end).
const MaxDataSize = 16 << 20

var le = binary.LittleEndian

// errMalformed: a frame of an unknown kind or a length its kind does not
// allow. The stream cannot be resynchronised after it.
var errMalformed = errors.New("sam: malformed frame on the supervisor pipe")

// frame is one decoded frame.
type frame struct {
	kind uint32
	body []byte
}

// bodyBounds is the allowed body length of a kind in one direction.
func bodyBounds(kind uint32, fromChild bool) (lo, hi int, ok bool) {
	if fromChild {
		switch kind {
		case cmdStart, cmdStop, cmdHB, cmdMarkFailed:
			return 0, 0, true
		case cmdDataStore:
			return 0, MaxDataSize, true
		case cmdWarnSignal:
			return 4, 4, true
		}
		return 0, 0, false
	}
	switch kind {
	case msgHello:
		return helloSize, helloSize + MaxDataSize, true
	case msgReply:
		return replySize, replySize, true
	}
	return 0, 0, false
}

// readFrame reads one frame sent by the child (fromChild) or by the
// parent. The body grows with the bytes that really arrive, so a lying
// length costs no more memory than the data behind it.
func readFrame(r io.Reader, fromChild bool) (frame, error) {
	var hdr [frameHdrSize]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return frame{}, err
	}
	f := frame{kind: le.Uint32(hdr[0:])}
	n := uint64(le.Uint32(hdr[4:]))
	lo, hi, ok := bodyBounds(f.kind, fromChild)
	if !ok || n < uint64(lo) || n > uint64(hi) {
		return frame{}, errMalformed
	}
	if n == 0 {
		return f, nil
	}
	var buf bytes.Buffer
	got, err := io.CopyN(&buf, r, int64(n))
	if uint64(got) != n {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return frame{}, err
	}
	f.body = buf.Bytes()
	return f, nil
}

// appendFrame appends a frame of kind whose body is the parts.
func appendFrame(b []byte, kind uint32, parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	b = le.AppendUint32(b, kind)
	b = le.AppendUint32(b, uint32(n))
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

// hello is what a new child learns from its parent: what the parent's
// Initialize and earlier instances decided.
type hello struct {
	instance   uint32
	warnSig    int32
	policy     Policy
	intervalMs uint32
	data       []byte
}

func (h hello) frame() []byte {
	var fix [helloSize]byte
	le.PutUint32(fix[0:], h.instance)
	le.PutUint32(fix[4:], uint32(h.warnSig))
	le.PutUint32(fix[8:], uint32(h.policy))
	le.PutUint32(fix[12:], h.intervalMs)
	return appendFrame(nil, msgHello, fix[:], h.data)
}

// decodeHello decodes a msgHello body (its length already checked by
// readFrame; checked again for direct callers).
func decodeHello(body []byte) (hello, error) {
	if len(body) < helloSize || len(body) > helloSize+MaxDataSize {
		return hello{}, errMalformed
	}
	h := hello{
		instance:   le.Uint32(body[0:]),
		warnSig:    int32(le.Uint32(body[4:])),
		policy:     Policy(le.Uint32(body[8:])),
		intervalMs: le.Uint32(body[12:]),
	}
	if !h.policy.valid() || h.intervalMs > maxIntervalMs {
		return hello{}, errMalformed
	}
	if len(body) > helloSize {
		h.data = body[helloSize:]
	}
	return h, nil
}

func replyFrame(e Error) []byte {
	return appendFrame(nil, msgReply, le.AppendUint32(nil, uint32(e)))
}

// decodeReply decodes a msgReply body.
func decodeReply(body []byte) (Error, error) {
	if len(body) != replySize {
		return 0, errMalformed
	}
	return Error(le.Uint32(body)), nil
}
