package wire

import (
	"bytes"
	"errors"
	"sync"
	"testing"

	"github.com/gorosync/gorosync/dataplane/internal/pcapfile"
)

// capturePath is the real corosync 3.1.7 udpu capture, relative to this
// directory (the shared tree sits next to the repository).
const capturePath = "../../../shared/data/corosync-3.1.7-udpu/corosync-udpu-3node.pcap"

// message is what every message type implements.
type message interface {
	Size() int
	Encode([]byte) (int, error)
	Decode([]byte) error
	header() *Header
}

// header gives tests generic access to the embedded Header of any message.
func (h *Header) header() *Header { return h }

func newMessage(t MessageType) message {
	switch t {
	case TypeOrfToken:
		return new(OrfToken)
	case TypeMcast:
		return new(Mcast)
	case TypeMergeDetect:
		return new(MergeDetect)
	case TypeJoin:
		return new(Join)
	case TypeCommitToken:
		return new(CommitToken)
	case TypeTokenHoldCancel:
		return new(TokenHoldCancel)
	}
	panic("unknown type")
}

var allTypes = []MessageType{TypeOrfToken, TypeMcast, TypeMergeDetect, TypeJoin, TypeCommitToken, TypeTokenHoldCancel}

// decodeFrame decodes b with the decoder its header names.
func decodeFrame(b []byte) (message, error) {
	h, err := PeekHeader(b)
	if err != nil {
		return nil, err
	}
	m := newMessage(h.Type)
	return m, m.Decode(b)
}

// encode encodes m into a fresh buffer of exactly m.Size() bytes.
func encode(t testing.TB, m message) []byte {
	t.Helper()
	b := make([]byte, m.Size())
	n, err := m.Encode(b)
	if err != nil {
		t.Fatalf("encode %T: %v", m, err)
	}
	if n != len(b) {
		t.Fatalf("encode %T: wrote %d bytes, Size() = %d", m, n, len(b))
	}
	return b
}

// toBigEndian re-encodes a frame as a big-endian sender would have sent it.
func toBigEndian(t testing.TB, frame []byte) []byte {
	t.Helper()
	m, err := decodeFrame(frame)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	m.header().BigEndian = true
	return encode(t, m)
}

var (
	captureOnce sync.Once
	capture     []pcapfile.UDPPacket
	captureErr  error
)

// loadCapture returns the capture's UDP datagrams. A missing file is a
// failure, not a skip: these frames are the package's ground truth.
func loadCapture(t testing.TB) []pcapfile.UDPPacket {
	t.Helper()
	captureOnce.Do(func() { capture, captureErr = pcapfile.ReadUDPFile(capturePath) })
	if captureErr != nil {
		t.Fatalf("reading capture: %v", captureErr)
	}
	return capture
}

// sentinels lists every error the package may wrap.
var sentinels = []error{ErrShort, ErrBadMagic, ErrBadVersion, ErrUnknownType, ErrWrongType,
	ErrTooMany, ErrTrailing, ErrBadIndex, ErrMismatch, ErrShortBuffer}

// checkSentinel fails unless err wraps exactly one of the sentinels.
func checkSentinel(t testing.TB, err error) {
	t.Helper()
	n := 0
	for _, s := range sentinels {
		if errors.Is(err, s) {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("error %q wraps %d sentinels, want 1", err, n)
	}
}

// fromHex parses a hex string, ignoring spaces and newlines.
func fromHex(t testing.TB, s string) []byte {
	t.Helper()
	var out []byte
	var hi int = -1
	for _, c := range []byte(s) {
		var v int
		switch {
		case c >= '0' && c <= '9':
			v = int(c - '0')
		case c >= 'a' && c <= 'f':
			v = int(c-'a') + 10
		case c == ' ' || c == '\n' || c == '\t' || c == '|':
			continue
		default:
			t.Fatalf("bad hex char %q", c)
		}
		if hi < 0 {
			hi = v
		} else {
			out = append(out, byte(hi<<4|v))
			hi = -1
		}
	}
	if hi >= 0 {
		t.Fatal("odd number of hex digits")
	}
	return out
}

// sampleFrames returns, per type, a handful of captured frames of distinct
// lengths (so every list shape the capture has is represented).
func sampleFrames(t testing.TB) map[MessageType][][]byte {
	out := map[MessageType][][]byte{}
	seen := map[[2]int]bool{}
	for _, p := range loadCapture(t) {
		typ := MessageType(p.Payload[3])
		k := [2]int{int(typ), len(p.Payload)}
		if seen[k] {
			continue
		}
		seen[k] = true
		out[typ] = append(out[typ], bytes.Clone(p.Payload))
	}
	return out
}

// exampleMessage returns a realistic message of type typ with non-empty
// lists, for tests and benchmarks that must not depend on the capture.
func exampleMessage(typ MessageType) message {
	ring := RingID{Rep: 1, Seq: 0xa1}
	old := RingID{Rep: 2, Seq: 0x9d}
	h := Header{Type: typ, NodeID: 1}
	switch typ {
	case TypeOrfToken:
		return &OrfToken{Header: h, Seq: 128, TokenSeq: 10353, ARU: 120, ARUAddr: 2, RingID: ring,
			Backlog: 3, FCC: 4, RetransFlg: 1,
			RTRList: []RTRItem{{ring, 121}, {ring, 125}, {old, 7}}}
	case TypeMcast:
		h.Encapsulated = EncapsulatedNo
		payload := make([]byte, 1400)
		for i := range payload {
			payload[i] = byte(i)
		}
		return &Mcast{Header: h, SystemFrom: 1, Seq: 129, ThisSeqno: 77, RingID: ring, Payload: payload}
	case TypeMergeDetect:
		return &MergeDetect{Header: h, SystemFrom: 1, RingID: ring}
	case TypeJoin:
		return &Join{Header: h, SystemFrom: 1, ProcList: []uint32{1, 2, 3, 4}, FailedList: []uint32{4}, RingSeq: 0xa1}
	case TypeCommitToken:
		return &CommitToken{Header: h, TokenSeq: 2, RingID: RingID{1, 0xa5}, MembIndex: 2,
			Addrs: []uint32{1, 2, 3},
			Entries: []CommitEntry{
				{RingID: ring, ARU: 128, HighDelivered: 128, ReceivedFlg: 1},
				{RingID: old, ARU: 8, HighDelivered: 8, ReceivedFlg: 0},
				{},
			}}
	case TypeTokenHoldCancel:
		return &TokenHoldCancel{Header: h, RingID: ring}
	}
	panic("unknown type")
}
