package totempg

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/gorosync/gorosync/dataplane/internal/pcapfile"
)

const capturePath = "../../../shared/data/corosync-3.1.7-udpu/corosync-udpu-3node.pcap"

// Offsets in totemsrp's packed MCAST header (45 bytes): magic u16,
// version u8, type u8, encapsulated u8, nodeid u32, target_nodeid u32,
// system_from u32, seq u32, this_seqno i32, ring_id {rep u32, seq u64},
// node_id u32, guarantee i32.
const (
	mcastHdrSize   = 45
	offType        = 3
	offEncap       = 4
	offNodeID      = 5
	offSeq         = 17
	offRingID      = 25
	ringIDSize     = 12
	totemTypeMcast = 1
	encapRecovery  = 1
	encapNormal    = 2
)

type capMcast struct {
	index     int    // frame number in the capture
	sender    uint32 // header.nodeid of the (inner) frame
	key       string // ring id + seq of the (inner) frame
	packet    []byte // the totempg packet
	encap     byte
	bigEndian bool
}

// frameInfo parses the minimum of a totem MCAST frame.
func frameInfo(f []byte) (sender uint32, key string, bigEndian, ok bool) {
	if len(f) < mcastHdrSize || f[offType] != totemTypeMcast {
		return 0, "", false, false
	}
	switch binary.LittleEndian.Uint16(f) {
	case 0xC070:
	case 0x70C0:
		bigEndian = true
	default:
		return 0, "", false, false
	}
	if bigEndian {
		sender = binary.BigEndian.Uint32(f[offNodeID:])
	} else {
		sender = binary.LittleEndian.Uint32(f[offNodeID:])
	}
	key = string(f[offRingID:offRingID+ringIDSize]) + string(f[offSeq:offSeq+4])
	return sender, key, bigEndian, true
}

// captureMcasts returns every totem MCAST frame of the capture with its
// totempg packet; for recovery re-broadcasts the packet (and identity) of
// the encapsulated inner frame.
func captureMcasts(t testing.TB) []capMcast {
	t.Helper()
	pkts, err := pcapfile.ReadUDPFile(capturePath)
	if err != nil {
		t.Fatalf("reading capture: %v", err)
	}
	var out []capMcast
	for _, p := range pkts {
		f := p.Payload
		sender, key, be, ok := frameInfo(f)
		if !ok {
			continue
		}
		m := capMcast{index: p.Index, sender: sender, key: key, bigEndian: be, encap: f[offEncap], packet: f[mcastHdrSize:]}
		if m.encap == encapRecovery {
			inner := f[mcastHdrSize:]
			s, k, ibe, ok := frameInfo(inner)
			if !ok {
				t.Fatalf("frame %d: recovery mcast without an inner mcast frame", p.Index)
			}
			m.sender, m.key, m.bigEndian, m.packet = s, k, ibe, inner[mcastHdrSize:]
		}
		out = append(out, m)
	}
	return out
}

// uniqueNormal returns the first copy of every normal (not recovery)
// mcast: udpu sends one unicast per destination and retransmits, so the
// capture holds each message several times. Per sender, capture order of
// first appearance is the send order.
func uniqueNormal(ms []capMcast) []capMcast {
	seen := map[string]bool{}
	var out []capMcast
	for _, m := range ms {
		if m.encap != encapNormal || seen[m.key] {
			continue
		}
		seen[m.key] = true
		out = append(out, m)
	}
	return out
}

// Every mcast frame decodes, and re-encoding header + pieces gives the
// captured bytes back.
func TestCapturePacketsRoundTrip(t *testing.T) {
	ms := captureMcasts(t)
	if len(ms) != 416 { // the README's count of type-1 frames
		t.Fatalf("found %d mcast frames, want 416", len(ms))
	}
	var pieces [][]byte
	var buf []byte
	fragmented := 0
	for _, m := range ms {
		if m.bigEndian {
			t.Errorf("frame %d: unexpected big-endian sender", m.index)
		}
		h, err := DecodePacketHeader(m.packet, m.bigEndian)
		if err != nil {
			t.Fatalf("frame %d: header: %v", m.index, err)
		}
		if h.Version != 0 || h.Type != 0 {
			t.Errorf("frame %d: version %d type %d", m.index, h.Version, h.Type)
		}
		pk, err := ParsePacket(m.packet, m.bigEndian)
		if err != nil {
			t.Fatalf("frame %d: %v", m.index, err)
		}
		if pk.Header != h || pk.Count() != int(h.MsgCount) {
			t.Fatalf("frame %d: ParsePacket header %+v, DecodePacketHeader %+v", m.index, pk.Header, h)
		}
		if len(m.packet) > PacketHeaderSize+PacketSizeForNetMTU(1500) {
			t.Errorf("frame %d: packet of %d bytes exceeds the reduced net_mtu", m.index, len(m.packet))
		}
		if h.Fragmented != 0 {
			fragmented++
		}
		pieces = pieces[:0]
		for i := 0; i < pk.Count(); i++ {
			pieces = append(pieces, pk.Piece(i))
		}
		buf, err = AppendPacket(buf[:0], h, pieces, m.bigEndian)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf, m.packet) {
			t.Fatalf("frame %d: re-encoded packet differs", m.index)
		}
	}
	if fragmented == 0 {
		t.Error("expected fragmented packets in the capture (cpg downlists)")
	}
}

// capMessage is one reassembled application message.
type capMessage struct {
	sender  uint32
	group   string
	payload []byte
}

func assembleCapture(t *testing.T, ms []capMcast) []capMessage {
	t.Helper()
	a := NewAssembler()
	var out []capMessage
	for _, m := range ms {
		err := a.Packet(m.sender, m.packet, m.bigEndian, func(sender uint32, msg []byte) {
			gh, payload, err := SplitGroups(msg, m.bigEndian)
			if err != nil {
				t.Fatalf("frame %d: group header: %v", m.index, err)
			}
			if gh.Count() != 1 || gh.Size()+len(payload) != len(msg) {
				t.Fatalf("frame %d: %d groups, header size %d", m.index, gh.Count(), gh.Size())
			}
			out = append(out, capMessage{sender: sender, group: string(gh.Name(0)), payload: bytes.Clone(payload)})
		})
		if err != nil {
			t.Fatalf("frame %d: %v", m.index, err)
		}
	}
	return out
}

// Normal mcasts, deduplicated and fed per sender in send order, reassemble
// into messages of groups "a" and "sync" whose service headers are sound.
func TestCaptureAssemble(t *testing.T) {
	msgs := assembleCapture(t, uniqueNormal(captureMcasts(t)))
	type key struct {
		group string
		id    uint32
		size  int
	}
	counts := map[key]int{}
	groups := map[string]int{}
	cpg := 0
	for _, m := range msgs {
		groups[m.group]++
		if len(m.payload) < 16 {
			t.Fatalf("message of %d bytes has no request header", len(m.payload))
		}
		// qb_ipc_request_header: id i32 (aligned 8), size i32 (aligned 8).
		id := binary.LittleEndian.Uint32(m.payload[0:])
		size := int(binary.LittleEndian.Uint32(m.payload[8:]))
		if size != len(m.payload) {
			t.Errorf("group %q id %#x: header size %d, payload %d", m.group, id, size, len(m.payload))
		}
		counts[key{m.group, id, size}]++
		if m.group == "a" && id == 2<<16|3 { // cpg MESSAGE_REQ_EXEC_CPG_MCAST
			cpg++
			checkCPGMcast(t, m)
		}
	}
	// Measured on this capture; they must stay stable.
	want := map[key]int{
		{"a", 2<<16 | 3, 248}:  100, // cpg mcast, 64 B of user data, group "cap"
		{"a", 2<<16 | 5, 1568}: 14,  // cpg downlist (nodeids[384]): the fragmented ones
		{"a", 2<<16 | 1, 168}:  3,   // cpg procleave
		{"a", 2<<16 | 0, 168}:  3,   // cpg procjoin
		{"a", 5 << 16, 32}:     32,  // votequorum nodeinfo
		{"a", 0, 328}:          14,  // cmap sync (config_version)
		{"sync", 0, 32}:        56,  // sync barrier
		{"sync", 1, 552}:       14,  // sync service build
	}
	if len(counts) != len(want) {
		t.Errorf("message kinds: got %v", counts)
	}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("%+v: %d messages, want %d", k, counts[k], n)
		}
	}
	if groups["a"] != 166 || groups["sync"] != 70 || len(groups) != 2 {
		t.Errorf("messages per group: %v, want a:166 sync:70", groups)
	}
	if cpg != 100 {
		t.Errorf("%d cpg mcasts, want 100", cpg)
	}
}

// checkCPGMcast checks a req_exec_cpg_mcast from the capture's client:
// header(16) group_name{length u32 (aligned 8), value[128]@24}@16
// msglen@152 pid@160
// source{nodeid}@168 message@184.
func checkCPGMcast(t *testing.T, m capMessage) {
	t.Helper()
	p := m.payload
	if m.sender != 1 {
		t.Errorf("cpg mcast from node %d, want 1", m.sender)
	}
	if n := binary.LittleEndian.Uint32(p[16:]); n != 3 || string(p[24:27]) != "cap" {
		t.Errorf("cpg group %q (length %d), want \"cap\"", p[24:24+min(n, 128)], n)
	}
	if n := binary.LittleEndian.Uint32(p[152:]); n != 64 || len(p) != 184+64 {
		t.Errorf("cpg msglen %d, payload %d", n, len(p))
	}
	if n := binary.LittleEndian.Uint32(p[168:]); n != 1 {
		t.Errorf("cpg source nodeid %d, want 1", n)
	}
}

// The Packer, given the same messages, emits exactly the packets corosync
// emitted. Flush is called where the captured stream shows a flush: the
// next captured packet is unfragmented and ends with the last message fed.
func TestCaptureRepack(t *testing.T) {
	ms := uniqueNormal(captureMcasts(t))
	senders := map[uint32][]capMcast{}
	for _, m := range ms {
		senders[m.sender] = append(senders[m.sender], m)
	}
	for sender, pkts := range senders {
		msgs := assembleCapture(t, pkts)
		sink := &recordSink{avail: 1 << 30}
		p, err := NewPacker(PackerConfig{PacketSize: PacketSizeForNetMTU(1500), Sink: sink})
		if err != nil {
			t.Fatal(err)
		}
		// ends[j] = messages completed by captured packets 0..j.
		ends := make([]int, len(pkts))
		done := 0
		for j, m := range pkts {
			h, _ := DecodePacketHeader(m.packet, false)
			done += int(h.MsgCount)
			if h.Fragmented != 0 {
				done--
			}
			ends[j] = done
		}
		for i, m := range msgs {
			if err := p.Mcast([][]byte{[]byte(m.group)}, m.payload, false); err != nil {
				t.Fatal(err)
			}
			if j := len(sink.packets); p.Pending() && j < len(pkts) && ends[j] == i+1 {
				if h, _ := DecodePacketHeader(pkts[j].packet, false); h.Fragmented == 0 {
					if err := p.Flush(); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		if len(sink.packets) != len(pkts) {
			t.Fatalf("node %d: packed %d packets, capture has %d", sender, len(sink.packets), len(pkts))
		}
		for j := range pkts {
			if !bytes.Equal(sink.packets[j], pkts[j].packet) {
				t.Fatalf("node %d packet %d (frame %d) differs:\n got %x\nwant %x", sender, j, pkts[j].index, sink.packets[j], pkts[j].packet)
			}
		}
	}
}
