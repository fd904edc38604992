package sim

type eventKind uint8

const (
	evFrame eventKind = iota + 1 // a frame arrives at node
	evTick                       // node's timer deadline
	evSend                       // node's workload wants to send
	evFault                      // the fault plan's next step (buf: its index)
	evPoll                       // poll the node's services host (size: incarnation)
)

// event is one scheduled happening. order breaks ties in insertion order,
// which is what makes a run a pure function of its seed.
type event struct {
	at    int64
	order uint64
	kind  eventKind
	node  int32
	buf   int32 // evFrame: frame pool index
	size  int32 // evFrame: frame length
}

// eventHeap is a binary min-heap on (at, order). It is written out rather
// than built on container/heap, whose interface boxes every pushed value.
type eventHeap []event

func (h eventHeap) less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].order < h[j].order
}

func (h *eventHeap) push(e event) {
	*h = append(*h, e)
	s := *h
	for i := len(s) - 1; i > 0; {
		parent := (i - 1) / 2
		if !s.less(i, parent) {
			break
		}
		s[i], s[parent] = s[parent], s[i]
		i = parent
	}
}

func (h *eventHeap) pop() event {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(s) && s.less(l, m) {
			m = l
		}
		if r < len(s) && s.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}

// framePool holds the bytes of frames in flight. A frame leaves its
// sender's buffers at once (they are only valid until Advance), so the
// network copies it into a pooled buffer of NetMTU bytes.
type framePool struct {
	bufs [][]byte
	free []int32
	size int
}

func (p *framePool) get() int32 {
	if n := len(p.free); n > 0 {
		i := p.free[n-1]
		p.free = p.free[:n-1]
		return i
	}
	p.bufs = append(p.bufs, make([]byte, p.size))
	return int32(len(p.bufs) - 1)
}

func (p *framePool) put(i int32) { p.free = append(p.free, i) }
