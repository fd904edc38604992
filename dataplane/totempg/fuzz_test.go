package totempg

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// framePackets encodes packets for FuzzAssemblerPacket: per packet a
// control byte (bits 0-1: sender-1; bit 6: Forget the sender first; bit 7:
// toggle waiting_trans_ack first), a u16 LE length, then the packet.
func framePackets(ctl []byte, packets [][]byte) []byte {
	var out []byte
	for i, p := range packets {
		out = append(out, ctl[i%len(ctl)])
		out = binary.LittleEndian.AppendUint16(out, uint16(len(p)))
		out = append(out, p...)
	}
	return out
}

func FuzzAssemblerPacket(f *testing.F) {
	f.Add(framePackets([]byte{0}, [][]byte{pkt(0, 0, b("m1"), b("m2")), pkt(0, 1, b("AA")), pkt(1, 0, b("BB"))}), false)
	f.Add(framePackets([]byte{0, 0x80, 1, 0x40}, [][]byte{pkt(1, 2, b("BB")), pkt(2, 1, b("y"), b("zz"), b("B")), pkt(1, 0, b("C"))}), true)
	f.Fuzz(func(t *testing.T, data []byte, bigEndian bool) {
		a := NewAssembler()
		trans := false
		for len(data) > 0 {
			ctl := data[0]
			data = data[1:]
			n := len(data)
			if len(data) >= 2 {
				n = min(int(binary.LittleEndian.Uint16(data)), len(data)-2)
				data = data[2:]
			}
			p := data[:n]
			data = data[n:]
			sender := uint32(ctl&3) + 1
			if ctl&0x80 != 0 {
				trans = !trans
				a.SetWaitingTransAck(trans)
			}
			if ctl&0x40 != 0 {
				a.Forget(sender)
			}
			_, perr := ParsePacket(p, bigEndian)
			delivered := 0
			err := a.Packet(sender, p, bigEndian, func(s uint32, msg []byte) {
				delivered++
				if s != sender || len(msg) > maxAssembly {
					t.Fatalf("delivered %d bytes for %d", len(msg), s)
				}
				// Whatever arrives must be safe to inspect.
				if gh, _, err := SplitGroups(msg, bigEndian); err == nil {
					for i := 0; i < gh.Count(); i++ {
						gh.Contains(gh.Name(i))
					}
				}
			})
			if perr != nil && (err != perr || delivered != 0) {
				t.Fatalf("malformed packet: error %v (parse %v), %d delivered", err, perr, delivered)
			}
		}
	})
}

func FuzzSplitGroups(f *testing.F) {
	f.Add(encodeMessage(GroupsA, b("payload"), false), false)
	f.Add(encodeMessage([][]byte{b("sync"), {}, b("x")}, nil, true), true)
	f.Fuzz(func(t *testing.T, msg []byte, bigEndian bool) {
		gh, payload, err := SplitGroups(msg, bigEndian)
		if err != nil {
			return
		}
		if gh.Size()+len(payload) != len(msg) || !bytes.Equal(payload, msg[gh.Size():]) {
			t.Fatal("sizes do not add up")
		}
		groups := make([][]byte, gh.Count())
		for i := range groups {
			groups[i] = gh.Name(i)
			if !gh.Contains(groups[i]) {
				t.Fatalf("does not contain its own group %d", i)
			}
		}
		if !gh.Matches(groups) && len(groups) > 0 {
			t.Fatal("does not match its own groups")
		}
		if len(groups) <= MaxGroups {
			buf := make([]byte, gh.Size())
			n, err := PutGroupHeader(buf, groups, bigEndian)
			if err != nil || n != gh.Size() || !bytes.Equal(buf, msg[:n]) {
				t.Fatalf("re-encoding differs: %v", err)
			}
		}
	})
}

func FuzzDecodePacketHeader(f *testing.F) {
	f.Add(pkt(0, 1, b("m1"), b("AA")), false)
	f.Add([]byte{0, 0, 0, 0, 1, 2, 0, 1}, true)
	f.Fuzz(func(t *testing.T, data []byte, bigEndian bool) {
		h, err := DecodePacketHeader(data, bigEndian)
		if err != nil {
			if len(data) >= PacketHeaderSize {
				t.Fatal("rejected a full header")
			}
			return
		}
		var hb [PacketHeaderSize]byte
		PutPacketHeader(hb[:], h, bigEndian)
		if !bytes.Equal(hb[:], data[:PacketHeaderSize]) {
			t.Fatal("header re-encoding differs")
		}
		pk, err := ParsePacket(data, bigEndian)
		if err != nil {
			return
		}
		pieces := make([][]byte, pk.Count())
		total := 0
		for i := range pieces {
			pieces[i] = pk.Piece(i)
			total += len(pieces[i])
		}
		if total != len(pk.Data()) {
			t.Fatal("pieces do not cover the data")
		}
		out, err := AppendPacket(nil, pk.Header, pieces, bigEndian)
		if err != nil || !bytes.Equal(out, data) {
			t.Fatalf("packet re-encoding differs: %v", err)
		}
	})
}

// FuzzPackRoundTrip: the script is a list of 3-byte operations
// [flags, size lo, size hi]; flags bit 0: flush after, bit 1: safe, bits
// 2-3: groups, bit 4: send as iovecs, bit 5: size×16. Content comes from
// seed.
func FuzzPackRoundTrip(f *testing.F) {
	f.Add([]byte{0, 10, 0, 1, 0x7a, 0x05, 0x10, 0xff, 0xff, 0x21, 0, 0x10}, uint16(1402), uint64(1))
	f.Add([]byte{1, 1, 0, 2, 2, 0, 0x3c, 0xff, 0xff}, uint16(0), uint64(2))
	f.Fuzz(func(t *testing.T, script []byte, psize uint16, seed uint64) {
		size := MinPacketSize + int(psize)%4000
		q := newPipe(t, size)
		r := rand.New(rand.NewPCG(seed, 0))
		budget := 2 << 20
		for len(script) >= 3 && budget > 0 {
			flags := script[0]
			n := int(binary.LittleEndian.Uint16(script[1:]))
			script = script[3:]
			if flags&0x20 != 0 {
				n *= 16
			}
			n = min(n, budget, MaxMessageSize-64)
			budget -= n + 1
			payload := randBytes(r, n)
			var groups [][]byte
			switch flags >> 2 & 3 {
			case 0:
				groups = GroupsA
			case 1:
				groups = GroupsSync
			case 2:
				groups = [][]byte{GroupA, GroupSync, payload[:min(len(payload), 5)]}
			}
			var err error
			if flags&0x10 != 0 {
				cut1, cut2 := r.IntN(n+1), r.IntN(n+1)
				cut1, cut2 = min(cut1, cut2), max(cut1, cut2)
				err = q.mcastv(groups, [][]byte{payload[:cut1], nil, payload[cut1:cut2], payload[cut2:]}, flags&2 != 0)
			} else {
				err = q.mcast(groups, payload, flags&2 != 0)
			}
			if err != nil {
				t.Fatal(err)
			}
			if flags&1 != 0 {
				if err := q.p.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			q.feed()
		}
		q.check()
	})
}

// TestWriteFuzzSeeds regenerates the committed seed corpora from the
// capture: TOTEMPG_WRITE_SEEDS=1 go test -run TestWriteFuzzSeeds.
func TestWriteFuzzSeeds(t *testing.T) {
	if os.Getenv("TOTEMPG_WRITE_SEEDS") == "" {
		t.Skip("set TOTEMPG_WRITE_SEEDS=1 to rewrite testdata/fuzz")
	}
	write := func(target, name string, values ...any) {
		var buf bytes.Buffer
		buf.WriteString("go test fuzz v1\n")
		for _, v := range values {
			switch v := v.(type) {
			case []byte:
				fmt.Fprintf(&buf, "[]byte(%s)\n", strconv.Quote(string(v)))
			case bool:
				fmt.Fprintf(&buf, "bool(%v)\n", v)
			case uint16:
				fmt.Fprintf(&buf, "uint16(%d)\n", v)
			case uint64:
				fmt.Fprintf(&buf, "uint64(%d)\n", v)
			default:
				t.Fatalf("type %T", v)
			}
		}
		dir := filepath.Join("testdata", "fuzz", target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	ms := uniqueNormal(captureMcasts(t))
	// Distinct packet shapes: first packet of each (sender, header, length).
	shapes := map[string]bool{}
	var packets [][]byte
	for _, m := range ms {
		pk, _ := ParsePacket(m.packet, false)
		k := fmt.Sprint(m.sender, pk.Header, len(m.packet))
		if !shapes[k] {
			shapes[k] = true
			packets = append(packets, m.packet)
		}
	}
	for i, p := range packets {
		write("FuzzDecodePacketHeader", fmt.Sprintf("capture-%02d", i), p, false)
	}
	// Per sender, the first 12 packets in order (they include a
	// fragmented cpg downlist chain and packets of 2 and 3 messages).
	bySender := map[uint32][][]byte{}
	for _, m := range ms {
		bySender[m.sender] = append(bySender[m.sender], m.packet)
	}
	for s := uint32(1); s <= 3; s++ {
		ps := bySender[s][:12]
		write("FuzzAssemblerPacket", fmt.Sprintf("capture-node%d", s), framePackets([]byte{byte(s - 1)}, ps), false)
		// The same chain entered from the middle (throw-away mode).
		write("FuzzAssemblerPacket", fmt.Sprintf("capture-node%d-midchain", s), framePackets([]byte{byte(s - 1)}, ps[5:]), false)
	}
	// Messages of each kind for the group parser.
	kinds := map[string]bool{}
	a := NewAssembler()
	for _, m := range ms {
		_ = a.Packet(m.sender, m.packet, false, func(_ uint32, msg []byte) {
			k := fmt.Sprint(len(msg))
			if !kinds[k] {
				kinds[k] = true
				write("FuzzSplitGroups", "capture-"+k, bytes.Clone(msg), false)
			}
		})
	}
	write("FuzzPackRoundTrip", "capture-sizes", []byte{
		1, 37, 0, // small, flushed
		0, 0x30, 0x02, 0, 40, 0, 1, 0x20, 0x06, // sync build, sync barrier, cpg downlist (fragmented)
		0x12, 0xf8, 0, 0x23, 0xff, 0x0f, 0x05, 0x7a, 0x05,
	}, uint16(1402-MinPacketSize), uint64(7))
}
