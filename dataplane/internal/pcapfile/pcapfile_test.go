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
