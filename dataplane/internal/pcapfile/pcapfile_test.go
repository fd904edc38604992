package pcapfile

import "testing"

const corosyncCapture = "../../../../shared/data/corosync-3.1.7-udpu/corosync-udpu-3node.pcap"

func TestReadCorosyncCapture(t *testing.T) {
	pkts, err := ReadUDPFile(corosyncCapture)
	if err != nil {
		t.Fatal(err)
	}
	// The capture's README counts 11,659 totem frames, all to port 5405.
	if len(pkts) != 11659 {
		t.Fatalf("got %d UDP packets, want 11659", len(pkts))
	}
	for _, p := range pkts {
		if p.DstPort != 5405 {
			t.Fatalf("frame %d: dst port %d, want 5405", p.Index, p.DstPort)
		}
	}
}

func TestParseRejectsGarbage(t *testing.T) {
	for _, in := range [][]byte{nil, make([]byte, 10), make([]byte, 24)} {
		if _, err := ParseUDP(in); err == nil {
			t.Errorf("ParseUDP(%d bytes) accepted garbage", len(in))
		}
	}
}

func FuzzParseUDP(f *testing.F) {
	hdr := []byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 1, 0, 0, 0}
	f.Add(hdr)
	f.Add(append(append([]byte{}, hdr...), 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 8, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8))
	f.Fuzz(func(t *testing.T, data []byte) {
		pkts, err := ParseUDP(data)
		if err != nil {
			return
		}
		for _, p := range pkts {
			if len(p.Payload) > len(data) {
				t.Fatal("payload longer than the file")
			}
		}
	})
}
