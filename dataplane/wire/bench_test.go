package wire

import "testing"

func benchDecode(b *testing.B, typ MessageType) {
	frame := encode(b, exampleMessage(typ))
	dst := newMessage(typ)
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		if err := dst.Decode(frame); err != nil {
			b.Fatal(err)
		}
	}
}

func benchEncode(b *testing.B, typ MessageType) {
	m := exampleMessage(typ)
	buf := make([]byte, m.Size())
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Encode(buf); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeOrfToken(b *testing.B)        { benchDecode(b, TypeOrfToken) }
func BenchmarkEncodeOrfToken(b *testing.B)        { benchEncode(b, TypeOrfToken) }
func BenchmarkDecodeMcast(b *testing.B)           { benchDecode(b, TypeMcast) }
func BenchmarkEncodeMcast(b *testing.B)           { benchEncode(b, TypeMcast) }
func BenchmarkDecodeMergeDetect(b *testing.B)     { benchDecode(b, TypeMergeDetect) }
func BenchmarkEncodeMergeDetect(b *testing.B)     { benchEncode(b, TypeMergeDetect) }
func BenchmarkDecodeJoin(b *testing.B)            { benchDecode(b, TypeJoin) }
func BenchmarkEncodeJoin(b *testing.B)            { benchEncode(b, TypeJoin) }
func BenchmarkDecodeCommitToken(b *testing.B)     { benchDecode(b, TypeCommitToken) }
func BenchmarkEncodeCommitToken(b *testing.B)     { benchEncode(b, TypeCommitToken) }
func BenchmarkDecodeTokenHoldCancel(b *testing.B) { benchDecode(b, TypeTokenHoldCancel) }
func BenchmarkEncodeTokenHoldCancel(b *testing.B) { benchEncode(b, TypeTokenHoldCancel) }

func BenchmarkPeekHeader(b *testing.B) {
	frame := encode(b, exampleMessage(TypeOrfToken))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := PeekHeader(frame); err != nil {
			b.Fatal(err)
		}
	}
}
