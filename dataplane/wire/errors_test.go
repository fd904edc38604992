package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"testing"
)

// truncationFrames returns captured frames of every length seen, synthetic
// frames with every list populated, and big-endian versions of all of them.
func truncationFrames(t *testing.T) [][]byte {
	var frames [][]byte
	for _, typ := range allTypes {
		frames = append(frames, sampleFrames(t)[typ]...)
		frames = append(frames, encode(t, exampleMessage(typ)))
	}
	for _, f := range frames[:len(frames):len(frames)] {
		frames = append(frames, toBigEndian(t, f))
	}
	return frames
}

// TestTruncation cuts every sample frame at every length: each cut must fail
// with ErrShort (mcast only until its fixed part is complete, as its payload
// is the rest of the frame) and must leave the destination untouched.
func TestTruncation(t *testing.T) {
	for _, frame := range truncationFrames(t) {
		typ := MessageType(frame[3])
		full := newMessage(typ)
		if err := full.Decode(frame); err != nil {
			t.Fatal(err)
		}
		for n := range len(frame) {
			cut := frame[:n]
			if _, err := PeekHeader(cut); (err == nil) != (n >= HeaderSize) {
				t.Fatalf("%s: PeekHeader of %d bytes: %v", typ, n, err)
			} else if err != nil && !errors.Is(err, ErrShort) {
				t.Fatalf("%s: PeekHeader of %d bytes: %v, want ErrShort", typ, n, err)
			}
			m := newMessage(typ)
			if err := m.Decode(frame); err != nil {
				t.Fatal(err)
			}
			err := m.Decode(cut)
			if typ == TypeMcast && n >= McastSize {
				if err != nil || len(m.(*Mcast).Payload) != n-McastSize {
					t.Fatalf("mcast cut to %d bytes: %v", n, err)
				}
				continue
			}
			if !errors.Is(err, ErrShort) {
				t.Fatalf("%s of %d bytes cut to %d: %v, want ErrShort", typ, len(frame), n, err)
			}
			checkSentinel(t, err)
			if !reflect.DeepEqual(m, full) {
				t.Fatalf("%s cut to %d: failed decode modified the destination", typ, n)
			}
		}
		// One byte too many is as wrong as one too few, except for mcast.
		long := append(bytes.Clone(frame), 0)
		err := newMessage(typ).Decode(long)
		if typ == TypeMcast {
			if err != nil {
				t.Fatalf("mcast with one more payload byte: %v", err)
			}
		} else if !errors.Is(err, ErrTrailing) {
			t.Fatalf("%s with a trailing byte: %v, want ErrTrailing", typ, err)
		}
	}
}

// patched encodes m little-endian, appends extra zero bytes and overwrites
// the u32 at off with v. It builds frames the encoder would refuse.
func patched(t *testing.T, m message, extra, off int, v uint32) []byte {
	b := append(encode(t, m), make([]byte, extra)...)
	binary.LittleEndian.PutUint32(b[off:], v)
	return b
}

func TestCounts(t *testing.T) {
	ring := RingID{Rep: 1, Seq: 4}
	tokenWith := func(n int) *OrfToken {
		return &OrfToken{RTRList: make([]RTRItem, n)}
	}
	joinWith := func(np, nf int) *Join {
		return &Join{ProcList: make([]uint32, np), FailedList: make([]uint32, nf)}
	}
	commitWith := func(n int) *CommitToken {
		return &CommitToken{RingID: ring, Addrs: make([]uint32, n), Entries: make([]CommitEntry, n)}
	}
	const (
		rtrOff    = 53 // orf_token rtr_list_entries
		procOff   = 17 // memb_join proc_list_entries
		failedOff = 21 // memb_join failed_list_entries
		indexOff  = 33 // memb_commit_token memb_index
		addrOff   = 37 // memb_commit_token addr_entries
	)
	tests := []struct {
		name  string
		frame []byte
		into  message
		want  error // nil: must decode
	}{
		{"rtr at limit", encode(t, tokenWith(MaxRTREntries)), new(OrfToken), nil},
		{"rtr over limit", patched(t, tokenWith(MaxRTREntries), RTRItemSize, rtrOff, MaxRTREntries+1), new(OrfToken), ErrTooMany},
		{"rtr negative", patched(t, tokenWith(1), 0, rtrOff, 0xffffffff), new(OrfToken), ErrTooMany},
		{"rtr beyond frame", patched(t, tokenWith(1), 0, rtrOff, 2), new(OrfToken), ErrShort},
		{"rtr short of frame", patched(t, tokenWith(2), 0, rtrOff, 1), new(OrfToken), ErrTrailing},
		{"join at limit", encode(t, joinWith(MaxNodes, MaxNodes)), new(Join), nil},
		{"proc over limit", patched(t, joinWith(MaxNodes, 0), 4, procOff, MaxNodes+1), new(Join), ErrTooMany},
		{"failed over limit", patched(t, joinWith(0, MaxNodes), 4, failedOff, MaxNodes+1), new(Join), ErrTooMany},
		{"proc huge", patched(t, joinWith(1, 1), 0, procOff, 0xffffffff), new(Join), ErrTooMany},
		{"failed huge", patched(t, joinWith(1, 1), 0, failedOff, 0x80000000), new(Join), ErrTooMany},
		{"lists beyond frame", patched(t, joinWith(2, 2), 0, failedOff, 3), new(Join), ErrShort},
		{"lists short of frame", patched(t, joinWith(2, 2), 0, procOff, 1), new(Join), ErrTrailing},
		{"commit at limit", encode(t, commitWith(MaxNodes)), new(CommitToken), nil},
		{"addrs over limit", patched(t, commitWith(MaxNodes), 4+CommitEntrySize, addrOff, MaxNodes+1), new(CommitToken), ErrTooMany},
		{"addrs negative", patched(t, commitWith(2), 0, addrOff, 0xfffffffe), new(CommitToken), ErrTooMany},
		{"addrs beyond frame", patched(t, commitWith(2), 0, addrOff, 3), new(CommitToken), ErrShort},
		{"addrs short of frame", patched(t, commitWith(3), 0, addrOff, 2), new(CommitToken), ErrTrailing},
		{"memb_index full", patched(t, commitWith(3), 0, indexOff, 3), new(CommitToken), nil},
		{"memb_index past end", patched(t, commitWith(3), 0, indexOff, 4), new(CommitToken), ErrBadIndex},
		{"memb_index negative", patched(t, commitWith(3), 0, indexOff, 0xffffffff), new(CommitToken), ErrBadIndex},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.into.Decode(tt.frame)
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			checkSentinel(t, err)
		})
	}
}

func TestHeaderErrors(t *testing.T) {
	good := encode(t, exampleMessage(TypeTokenHoldCancel))
	with := func(off int, v ...byte) []byte {
		b := bytes.Clone(good)
		copy(b[off:], v)
		return b
	}
	tests := []struct {
		name  string
		frame []byte
		want  error
	}{
		{"zero magic", with(0, 0, 0), ErrBadMagic},
		{"corosync 2.2 magic", with(0, 0xff, 0xff), ErrBadMagic},
		{"corosync 2.3 magic", with(0, 0xfe, 0xfe), ErrBadMagic},
		{"half magic", with(0, 0x70, 0x70), ErrBadMagic},
		{"version 2", with(2, 2), ErrBadVersion},
		{"version 4", with(2, 4), ErrBadVersion},
		{"type 6", with(3, 6), ErrUnknownType},
		{"type 255", with(3, 255), ErrUnknownType},
		{"empty", nil, ErrShort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := PeekHeader(tt.frame)
			if !errors.Is(err, tt.want) {
				t.Fatalf("PeekHeader: %v, want %v", err, tt.want)
			}
			checkSentinel(t, err)
			for _, typ := range allTypes {
				if err := newMessage(typ).Decode(tt.frame); !errors.Is(err, tt.want) {
					t.Fatalf("%s.Decode: %v, want %v", typ, err, tt.want)
				}
			}
		})
	}
	// Every decoder refuses every other kind.
	for _, have := range allTypes {
		frame := encode(t, exampleMessage(have))
		for _, want := range allTypes {
			err := newMessage(want).Decode(frame)
			if (err == nil) != (have == want) || have != want && !errors.Is(err, ErrWrongType) {
				t.Errorf("%s frame into %s decoder: %v", have, want, err)
			}
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	for _, typ := range allTypes {
		m := exampleMessage(typ)
		for _, n := range []int{0, HeaderSize, m.Size() - 1} {
			buf := make([]byte, n)
			if _, err := m.Encode(buf); !errors.Is(err, ErrShortBuffer) {
				t.Errorf("%s into %d bytes: %v, want ErrShortBuffer", typ, n, err)
			}
		}
		// A larger buffer is fine; bytes past Size() are left alone.
		buf := bytes.Repeat([]byte{0xaa}, m.Size()+8)
		n, err := m.Encode(buf)
		if err != nil || n != m.Size() || !bytes.Equal(buf[n:], bytes.Repeat([]byte{0xaa}, 8)) {
			t.Errorf("%s into a large buffer: n=%d err=%v tail %x", typ, n, err, buf[m.Size():])
		}
		// Encode writes its own type, whatever Header.Type says.
		m.header().Type = MessageType(7)
		if b := encode(t, m); MessageType(b[3]) != typ {
			t.Errorf("%s encoded with type byte %d", typ, b[3])
		}
	}
	bad := []struct {
		name string
		m    message
		want error
	}{
		{"rtr list", &OrfToken{RTRList: make([]RTRItem, MaxRTREntries+1)}, ErrTooMany},
		{"proc list", &Join{ProcList: make([]uint32, MaxNodes+1)}, ErrTooMany},
		{"failed list", &Join{FailedList: make([]uint32, MaxNodes+1)}, ErrTooMany},
		{"addrs", &CommitToken{Addrs: make([]uint32, MaxNodes+1), Entries: make([]CommitEntry, MaxNodes+1)}, ErrTooMany},
		{"addrs vs entries", &CommitToken{Addrs: make([]uint32, 3), Entries: make([]CommitEntry, 2)}, ErrMismatch},
		{"memb_index", &CommitToken{MembIndex: 3, Addrs: make([]uint32, 2), Entries: make([]CommitEntry, 2)}, ErrBadIndex},
	}
	for _, tt := range bad {
		buf := make([]byte, 64<<10)
		if _, err := tt.m.Encode(buf); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		} else {
			checkSentinel(t, err)
		}
	}
}

func TestDecodeReusesSlices(t *testing.T) {
	big := &Join{ProcList: []uint32{1, 2, 3, 4, 5}, FailedList: []uint32{6, 7, 8}}
	small := &Join{ProcList: []uint32{9}, FailedList: nil}
	var m Join
	if err := m.Decode(encode(t, big)); err != nil {
		t.Fatal(err)
	}
	proc := &m.ProcList[:1][0]
	if err := m.Decode(encode(t, small)); err != nil {
		t.Fatal(err)
	}
	if &m.ProcList[:1][0] != proc {
		t.Error("ProcList was reallocated although it had room")
	}
	if len(m.ProcList) != 1 || m.ProcList[0] != 9 || len(m.FailedList) != 0 {
		t.Errorf("after reuse: %+v", m)
	}

	// An mcast payload aliases the frame, clipped so appends cannot clobber it.
	frame := encode(t, exampleMessage(TypeMcast))
	var mc Mcast
	if err := mc.Decode(frame[:McastSize+10]); err != nil {
		t.Fatal(err)
	}
	if &mc.Payload[0] != &frame[McastSize] || cap(mc.Payload) != 10 {
		t.Errorf("payload does not alias the frame (cap %d)", cap(mc.Payload))
	}
}

func TestStrings(t *testing.T) {
	if got := (RingID{Rep: 1, Seq: 0xa1}).String(); got != "1.a1" {
		t.Errorf("RingID.String = %q", got)
	}
	if got := (RingID{Rep: 26, Seq: 0x1_0000_0000}).String(); got != "1a.100000000" {
		t.Errorf("RingID.String = %q (corosync prints both parts in hex)", got)
	}
	want := []string{"orf_token", "mcast", "memb_merge_detect", "memb_join", "memb_commit_token", "token_hold_cancel"}
	for i, w := range want {
		if got := MessageType(i).String(); got != w {
			t.Errorf("MessageType(%d) = %q, want %q", i, got, w)
		}
	}
	if got := MessageType(9).String(); got != "MessageType(9)" {
		t.Errorf("MessageType(9) = %q", got)
	}
}
