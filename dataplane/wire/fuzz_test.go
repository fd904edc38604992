package wire

import (
	"bytes"
	"reflect"
	"testing"
)

// The committed seeds under testdata/fuzz are real captured frames (and their
// big-endian versions); the f.Add seeds below cover list shapes the capture
// lacks.

// fuzzDecode checks that decoding never panics, that failures wrap exactly
// one sentinel, and that a successful decode is stable: it re-encodes into
// Size() bytes, decodes again to an equal message, and (as every accepted
// frame is exactly Size() long) reproduces the input byte for byte.
func fuzzDecode[T any, P interface {
	*T
	message
}](f *testing.F, typ MessageType) {
	for _, big := range []bool{false, true} {
		m := exampleMessage(typ)
		m.header().BigEndian = big
		f.Add(encode(f, m))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var m1 T
		if err := P(&m1).Decode(b); err != nil {
			checkSentinel(t, err)
			return
		}
		if P(&m1).header().Type != typ {
			t.Fatalf("decoded type %s", P(&m1).header().Type)
		}
		buf := encode(t, P(&m1))
		var m2 T
		if err := P(&m2).Decode(buf); err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if !reflect.DeepEqual(m1, m2) {
			t.Fatalf("decode-encode-decode differs\n got %+v\nwant %+v", m2, m1)
		}
		if len(b) != len(buf) {
			t.Fatalf("accepted %d bytes but Size() is %d", len(b), len(buf))
		}
		if !bytes.Equal(buf, b) {
			t.Fatalf("re-encode differs\n got %x\nwant %x", buf, b)
		}
	})
}

func FuzzDecodeOrfToken(f *testing.F)        { fuzzDecode[OrfToken](f, TypeOrfToken) }
func FuzzDecodeMcast(f *testing.F)           { fuzzDecode[Mcast](f, TypeMcast) }
func FuzzDecodeMergeDetect(f *testing.F)     { fuzzDecode[MergeDetect](f, TypeMergeDetect) }
func FuzzDecodeJoin(f *testing.F)            { fuzzDecode[Join](f, TypeJoin) }
func FuzzDecodeCommitToken(f *testing.F)     { fuzzDecode[CommitToken](f, TypeCommitToken) }
func FuzzDecodeTokenHoldCancel(f *testing.F) { fuzzDecode[TokenHoldCancel](f, TypeTokenHoldCancel) }

// FuzzPeekHeader checks that PeekHeader never panics, only accepts known
// types, and that an accepted header re-encodes to the input's first bytes.
func FuzzPeekHeader(f *testing.F) {
	for _, typ := range allTypes {
		f.Add(encode(f, exampleMessage(typ))[:HeaderSize])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := PeekHeader(b)
		if err != nil {
			checkSentinel(t, err)
			return
		}
		if h.Type > TypeTokenHoldCancel {
			t.Fatalf("accepted type %d", h.Type)
		}
		buf := make([]byte, HeaderSize)
		h.put(buf, h.Type)
		if !bytes.Equal(buf, b[:HeaderSize]) {
			t.Fatalf("header re-encodes as %x, input %x", buf, b[:HeaderSize])
		}
	})
}
