package wire

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"slices"
	"testing"
)

// swapFields converts a little-endian frame to big-endian by reversing the
// bytes of every field, using only the layout table from the spec. It is
// deliberately independent of the package's reader and writer, so that it
// checks them rather than mirroring them.
func swapFields(t testing.TB, le []byte) []byte {
	t.Helper()
	u32 := func(n int) []int { return slices.Repeat([]int{4}, n) }
	ring := []int{4, 8}
	count := func(off int) int { return int(binary.LittleEndian.Uint32(le[off:])) }
	widths := []int{2, 1, 1, 1, 4, 4} // header
	switch MessageType(le[3]) {
	case TypeOrfToken:
		widths = slices.Concat(widths, u32(4), ring, u32(4))
		for range count(53) {
			widths = slices.Concat(widths, ring, u32(1))
		}
	case TypeMcast:
		widths = slices.Concat(widths, u32(3), ring, u32(2)) // payload is opaque
	case TypeMergeDetect:
		widths = slices.Concat(widths, u32(1), ring)
	case TypeJoin:
		widths = slices.Concat(widths, u32(3), []int{8}, u32(count(17)+count(21)))
	case TypeCommitToken:
		n := count(37)
		widths = slices.Concat(widths, u32(1), ring, u32(3), u32(n))
		for range n {
			widths = slices.Concat(widths, ring, u32(3))
		}
	case TypeTokenHoldCancel:
		widths = slices.Concat(widths, ring)
	}
	be := bytes.Clone(le)
	off := 0
	for _, w := range widths {
		slices.Reverse(be[off : off+w])
		off += w
	}
	if MessageType(le[3]) != TypeMcast && off != len(le) {
		t.Fatalf("layout covers %d of %d bytes", off, len(le))
	}
	return be
}

// TestBigEndianCapture converts every captured frame to the byte order of a
// big-endian sender and checks that it decodes to the same message and
// re-encodes to the same bytes.
func TestBigEndianCapture(t *testing.T) {
	for _, p := range loadCapture(t) {
		le := p.Payload
		be := toBigEndian(t, le)
		if want := swapFields(t, le); !bytes.Equal(be, want) {
			t.Fatalf("frame %d: big-endian encode\n got %x\nwant %x", p.Index, be, want)
		}
		if be[0] != 0xc0 || be[1] != 0x70 {
			t.Fatalf("frame %d: magic bytes %x", p.Index, be[:2])
		}
		mLE, err := decodeFrame(le)
		if err != nil {
			t.Fatal(err)
		}
		mBE, err := decodeFrame(be)
		if err != nil {
			t.Fatalf("frame %d: decoding big-endian version: %v", p.Index, err)
		}
		if !mBE.header().BigEndian {
			t.Fatalf("frame %d: BigEndian not set", p.Index)
		}
		mBE.header().BigEndian = false
		if !reflect.DeepEqual(mLE, mBE) {
			t.Fatalf("frame %d: big-endian decode differs\n got %+v\nwant %+v", p.Index, mBE, mLE)
		}
		mBE.header().BigEndian = true
		if got := encode(t, mBE); !bytes.Equal(got, be) {
			t.Fatalf("frame %d: big-endian re-encode differs", p.Index)
		}
	}
}

// TestBigEndianGolden decodes hand-assembled big-endian frames with known
// field values.
func TestBigEndianGolden(t *testing.T) {
	tests := []struct {
		name string
		hex  string
		want message
	}{{
		name: "orf_token",
		hex: `c070 03 00 00 01020304 00000000 | 11223344 00000005 00000006 00000007
		      00000002 0102030405060708 | 00000009 0000000a 00000001 00000001
		      00000003 00000000000000a1 00000055`,
		want: &OrfToken{
			Header: Header{Type: TypeOrfToken, NodeID: 0x01020304, BigEndian: true},
			Seq:    0x11223344, TokenSeq: 5, ARU: 6, ARUAddr: 7,
			RingID:  RingID{Rep: 2, Seq: 0x0102030405060708},
			Backlog: 9, FCC: 10, RetransFlg: 1,
			RTRList: []RTRItem{{RingID: RingID{Rep: 3, Seq: 0xa1}, Seq: 0x55}},
		},
	}, {
		name: "mcast",
		hex: `c070 03 01 01 00000003 00000000 | 00000003 0000000a fffffffe
		      00000001 00000000000000a1 00000000 00000001 | 6869`,
		want: &Mcast{
			Header:     Header{Type: TypeMcast, Encapsulated: EncapsulatedYes, NodeID: 3, BigEndian: true},
			SystemFrom: 3, Seq: 10, ThisSeqno: -2, RingID: RingID{Rep: 1, Seq: 0xa1},
			Guarantee: 1, Payload: []byte("hi"),
		},
	}, {
		name: "memb_join",
		hex: `c070 03 03 00 00000002 00000000 | 00000002 00000002 00000001 00000000000000a1
		      00000001 00000002 | 00000003`,
		want: &Join{
			Header:     Header{Type: TypeJoin, NodeID: 2, BigEndian: true},
			SystemFrom: 2, RingSeq: 0xa1, ProcList: []uint32{1, 2}, FailedList: []uint32{3},
		},
	}, {
		name: "memb_commit_token",
		hex: `c070 03 04 00 00000001 00000000 | 00000002 00000001 00000000000000a5
		      00000000 00000001 00000001 | 00000001 |
		      00000001 0000000000000099 00000008 00000007 00000001`,
		want: &CommitToken{
			Header:   Header{Type: TypeCommitToken, NodeID: 1, BigEndian: true},
			TokenSeq: 2, RingID: RingID{Rep: 1, Seq: 0xa5}, MembIndex: 1,
			Addrs:   []uint32{1},
			Entries: []CommitEntry{{RingID: RingID{Rep: 1, Seq: 0x99}, ARU: 8, HighDelivered: 7, ReceivedFlg: 1}},
		},
	}, {
		name: "memb_merge_detect",
		hex:  `c070 03 02 00 00000001 deadbeef | 00000001 | 00000001 00000000000000a1`,
		want: &MergeDetect{
			Header:     Header{Type: TypeMergeDetect, NodeID: 1, TargetNodeID: 0xdeadbeef, BigEndian: true},
			SystemFrom: 1, RingID: RingID{Rep: 1, Seq: 0xa1},
		},
	}, {
		name: "token_hold_cancel",
		hex:  `c070 03 05 00 00000002 00000000 | 00000001 00000000000000a1`,
		want: &TokenHoldCancel{
			Header: Header{Type: TypeTokenHoldCancel, NodeID: 2, BigEndian: true},
			RingID: RingID{Rep: 1, Seq: 0xa1},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frame := fromHex(t, tt.hex)
			got, err := decodeFrame(frame)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("decode\n got %+v\nwant %+v", got, tt.want)
			}
			if enc := encode(t, tt.want); !bytes.Equal(enc, frame) {
				t.Fatalf("encode\n got %x\nwant %x", enc, frame)
			}
		})
	}
}
