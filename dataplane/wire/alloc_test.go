package wire

import "testing"

// TestZeroAllocs pins the hot path: encoding into a caller buffer and
// decoding into a destination whose slices already have room allocate
// nothing, in either byte order.
func TestZeroAllocs(t *testing.T) {
	for _, big := range []bool{false, true} {
		for _, typ := range allTypes {
			m := exampleMessage(typ)
			m.header().BigEndian = big
			frame := encode(t, m)
			buf := make([]byte, len(frame))
			dst := newMessage(typ)
			if err := dst.Decode(frame); err != nil { // sizes dst's slices
				t.Fatal(err)
			}
			if n := testing.AllocsPerRun(100, func() {
				if err := dst.Decode(frame); err != nil {
					t.Fatal(err)
				}
			}); n != 0 {
				t.Errorf("%s (big-endian %v): Decode allocates %v times", typ, big, n)
			}
			if n := testing.AllocsPerRun(100, func() {
				if _, err := m.Encode(buf); err != nil {
					t.Fatal(err)
				}
			}); n != 0 {
				t.Errorf("%s (big-endian %v): Encode allocates %v times", typ, big, n)
			}
			if n := testing.AllocsPerRun(100, func() {
				if _, err := PeekHeader(frame); err != nil {
					t.Fatal(err)
				}
			}); n != 0 {
				t.Errorf("%s: PeekHeader allocates %v times", typ, n)
			}
		}
	}
}
