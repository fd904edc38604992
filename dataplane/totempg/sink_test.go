package totempg

import (
	"errors"
	"testing"
)

var errSinkFull = errors.New("test sink: submit with no free slot")

// recordSink is the in-test Sink: it keeps a copy of every packet and
// refuses a packet when it has no free slot, so that a Packer which
// under-reserves fails the test.
type recordSink struct {
	packets [][]byte
	safe    []bool
	avail   int
	signals int // accepted application messages (Signal calls)
}

func (s *recordSink) SubmitPacket(b []byte, safe bool) error {
	if s.avail <= 0 {
		return errSinkFull
	}
	s.packets = append(s.packets, append([]byte(nil), b...))
	s.safe = append(s.safe, safe)
	s.avail--
	return nil
}

func (s *recordSink) Avail() int { return s.avail }

func (s *recordSink) Signal() { s.signals++ }

// ringSink stores packets in preallocated memory, for allocation tests and
// benchmarks; drain hands them to an Assembler and empties the ring.
type ringSink struct {
	mem  []byte
	ends []int
	used int
}

func newRingSink(bytes, packets int) *ringSink {
	return &ringSink{mem: make([]byte, bytes), ends: make([]int, 0, packets)}
}

func (s *ringSink) SubmitPacket(b []byte, safe bool) error {
	if len(s.ends) == cap(s.ends) || s.used+len(b) > len(s.mem) {
		return errSinkFull
	}
	s.used += copy(s.mem[s.used:], b)
	s.ends = append(s.ends, s.used)
	return nil
}

func (s *ringSink) Avail() int { return cap(s.ends) - len(s.ends) }

func (s *ringSink) Signal() {}

func (s *ringSink) drain(a *Assembler, sender uint32, fn func(uint32, []byte)) error {
	start := 0
	var err error
	for _, end := range s.ends {
		if e := a.Packet(sender, s.mem[start:end], false, fn); e != nil && err == nil {
			err = e
		}
		start = end
	}
	s.ends = s.ends[:0]
	s.used = 0
	return err
}

// TestSignalOncePerAcceptedMessage: every accepted message signals the SRP
// (so a staged message can cancel an idle ring's token hold); a refused one
// does not.
func TestSignalOncePerAcceptedMessage(t *testing.T) {
	sink := &recordSink{avail: 100}
	p, err := NewPacker(PackerConfig{PacketSize: PacketSizeForNetMTU(1500), Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := p.Mcast(GroupsA, make([]byte, 10), false); err != nil {
			t.Fatal(err)
		}
	}
	if len(sink.packets) != 0 || sink.signals != 3 {
		t.Fatalf("packets %d signals %d: want 0 packets (staged) and 3 signals", len(sink.packets), sink.signals)
	}
	sink.avail = 0
	if err := p.Mcast(GroupsA, make([]byte, 5000), false); !errors.Is(err, ErrTryAgain) {
		t.Fatalf("full sink: %v", err)
	}
	if sink.signals != 3 {
		t.Fatalf("a refused message signalled (%d)", sink.signals)
	}
}
