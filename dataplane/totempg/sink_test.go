package totempg

import "errors"

var errSinkFull = errors.New("test sink: submit with no free slot")

// recordSink is the in-test Sink: it keeps a copy of every packet and
// refuses a packet when it has no free slot, so that a Packer which
// under-reserves fails the test.
type recordSink struct {
	packets [][]byte
	safe    []bool
	avail   int
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
