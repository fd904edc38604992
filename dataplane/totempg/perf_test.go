package totempg

import (
	"fmt"
	"testing"
)

var perfSizes = []int{64, 1 << 10, 64 << 10}

// packOnce sends one message and flushes, into a ring sink emptied first.
func packOnce(tb testing.TB, p *Packer, sink *ringSink, payload []byte) {
	sink.ends, sink.used = sink.ends[:0], 0
	if err := p.Mcast(GroupsA, payload, false); err != nil {
		tb.Fatal(err)
	}
	if err := p.Flush(); err != nil {
		tb.Fatal(err)
	}
}

func newPerfPacker(tb testing.TB, size int) (*Packer, *ringSink) {
	sink := newRingSink(2*size+4096, 2*size/1000+8)
	p, err := NewPacker(PackerConfig{PacketSize: PacketSizeForNetMTU(1500), Sink: sink})
	if err != nil {
		tb.Fatal(err)
	}
	return p, sink
}

func TestZeroAllocs(t *testing.T) {
	for _, size := range perfSizes {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			payload := make([]byte, size)
			p, sink := newPerfPacker(t, size)
			if n := testing.AllocsPerRun(200, func() { packOnce(t, p, sink, payload) }); n != 0 {
				t.Errorf("Packer.Mcast+Flush: %v allocs", n)
			}

			// Assembler steady state: replay the same packets after the
			// sender's buffer has grown once.
			packOnce(t, p, sink, payload)
			a := NewAssembler()
			delivered := 0
			fn := func(uint32, []byte) { delivered++ }
			replay := func() {
				start := 0
				for _, end := range sink.ends {
					if err := a.Packet(1, sink.mem[start:end], false, fn); err != nil {
						t.Fatal(err)
					}
					start = end
				}
			}
			replay()
			if n := testing.AllocsPerRun(200, replay); n != 0 {
				t.Errorf("Assembler.Packet: %v allocs", n)
			}
			if delivered != 202 {
				t.Errorf("delivered %d, want 202", delivered)
			}
		})
	}
}

func benchPackAssemble(b *testing.B, size int) {
	payload := make([]byte, size)
	p, sink := newPerfPacker(b, size)
	a := NewAssembler()
	delivered := 0
	fn := func(_ uint32, msg []byte) { delivered += len(msg) }
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := p.Mcast(GroupsA, payload, false); err != nil {
			b.Fatal(err)
		}
		if err := p.Flush(); err != nil {
			b.Fatal(err)
		}
		if err := sink.drain(a, 1, fn); err != nil {
			b.Fatal(err)
		}
	}
	if delivered == 0 {
		b.Fatal("nothing delivered")
	}
}

// One iteration: one message sent (Mcast), flushed, its packets
// reassembled and delivered.
func BenchmarkPackAssemble64B(b *testing.B)   { benchPackAssemble(b, 64) }
func BenchmarkPackAssemble1KiB(b *testing.B)  { benchPackAssemble(b, 1<<10) }
func BenchmarkPackAssemble64KiB(b *testing.B) { benchPackAssemble(b, 64<<10) }
