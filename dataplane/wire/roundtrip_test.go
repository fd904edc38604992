package wire

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"testing"
)

func randRing(r *rand.Rand) RingID { return RingID{Rep: r.Uint32(), Seq: r.Uint64()} }

// randIDs returns up to max random node ids; nil when empty, as Decode
// produces into a fresh message.
func randIDs(r *rand.Rand, max int) []uint32 {
	n := r.IntN(max + 1)
	if n == 0 {
		return nil
	}
	ids := make([]uint32, n)
	for i := range ids {
		ids[i] = r.Uint32()
	}
	return ids
}

// randMessage returns a random message of type typ with every field,
// including the byte order and garbage-prone header bytes, drawn at random
// and lists up to their limits.
func randMessage(r *rand.Rand, typ MessageType) message {
	h := Header{Type: typ, Encapsulated: uint8(r.Uint32()), NodeID: r.Uint32(),
		TargetNodeID: r.Uint32(), BigEndian: r.IntN(2) == 0}
	switch typ {
	case TypeOrfToken:
		m := &OrfToken{Header: h, Seq: r.Uint32(), TokenSeq: r.Uint32(), ARU: r.Uint32(), ARUAddr: r.Uint32(),
			RingID: randRing(r), Backlog: r.Uint32(), FCC: r.Uint32(), RetransFlg: r.Uint32()}
		for range r.IntN(MaxRTREntries + 1) {
			m.RTRList = append(m.RTRList, RTRItem{RingID: randRing(r), Seq: r.Uint32()})
		}
		return m
	case TypeMcast:
		m := &Mcast{Header: h, SystemFrom: r.Uint32(), Seq: r.Uint32(), ThisSeqno: r.Int32() - r.Int32(),
			RingID: randRing(r), NodeID: r.Uint32(), Guarantee: r.Int32() - r.Int32(),
			Payload: make([]byte, r.IntN(1500))}
		for i := range m.Payload {
			m.Payload[i] = byte(r.Uint32())
		}
		return m
	case TypeMergeDetect:
		return &MergeDetect{Header: h, SystemFrom: r.Uint32(), RingID: randRing(r)}
	case TypeJoin:
		return &Join{Header: h, SystemFrom: r.Uint32(), ProcList: randIDs(r, MaxNodes),
			FailedList: randIDs(r, MaxNodes), RingSeq: r.Uint64()}
	case TypeCommitToken:
		m := &CommitToken{Header: h, TokenSeq: r.Uint32(), RingID: randRing(r), RetransFlg: r.Uint32(),
			Addrs: randIDs(r, MaxNodes)}
		for range m.Addrs {
			m.Entries = append(m.Entries, CommitEntry{RingID: randRing(r), ARU: r.Uint32(),
				HighDelivered: r.Uint32(), ReceivedFlg: r.Uint32()})
		}
		m.MembIndex = uint32(r.IntN(len(m.Addrs) + 1))
		return m
	case TypeTokenHoldCancel:
		return &TokenHoldCancel{Header: h, RingID: randRing(r)}
	}
	panic("unknown type")
}

// TestRoundTripRandom encodes random messages in both byte orders and
// requires Decode to give them back exactly, into fresh and into reused
// destinations.
func TestRoundTripRandom(t *testing.T) {
	for _, typ := range allTypes {
		r := rand.New(rand.NewPCG(0x5eed, uint64(typ)))
		reused := newMessage(typ)
		for i := range 500 {
			m := randMessage(r, typ)
			b := encode(t, m)
			wantMagic := []byte{0x70, 0xc0}
			if m.header().BigEndian {
				wantMagic = []byte{0xc0, 0x70}
			}
			if !bytes.Equal(b[:2], wantMagic) || b[2] != Version || MessageType(b[3]) != typ {
				t.Fatalf("%s #%d: header bytes %x", typ, i, b[:4])
			}
			got := newMessage(typ)
			if err := got.Decode(b); err != nil {
				t.Fatalf("%s #%d: %v", typ, i, err)
			}
			if !reflect.DeepEqual(got, m) {
				t.Fatalf("%s #%d: round trip\n got %+v\nwant %+v", typ, i, got, m)
			}
			// A reused destination may hold empty rather than nil slices,
			// so compare it by its encoding.
			if err := reused.Decode(b); err != nil {
				t.Fatalf("%s #%d: reused: %v", typ, i, err)
			}
			if again := encode(t, reused); !bytes.Equal(again, b) {
				t.Fatalf("%s #%d: reused destination re-encodes differently", typ, i)
			}
		}
	}
}
