package link

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/gorosync/gorosync/dataplane/transport"
)

// fakeClock is the Now of the tests: time moves only when a test says so.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) Now() int64        { return c.ns.Load() }
func (c *fakeClock) Advance(d int64)   { c.ns.Add(d) }
func (c *fakeClock) Set(t int64)       { c.ns.Store(t) }
func (c *fakeClock) String() string    { return fmt.Sprint(c.Now()) }
func newFakeClock(t0 int64) *fakeClock { c := &fakeClock{}; c.Set(t0); return c }

// memTransport is an in-memory link: frames pushed to it are what Recv
// lends (handles base, base+1, ...), Send records copies of what it is
// given. It checks every Release.
type memTransport struct {
	mtu      int
	base     int32 // first handle lent
	next     int32
	queue    []transport.Received
	lent     map[int32]bool
	badRel   int
	sent     []sentFrame
	sendErr  error
	recvErr  error
	closed   bool
	closeErr error
}

type sentFrame struct {
	To   uint32
	Data []byte
}

func newMem(base int32) *memTransport {
	return &memTransport{mtu: 1500, base: base, next: base, lent: map[int32]bool{}}
}

func (m *memTransport) push(from uint32, data []byte) {
	m.queue = append(m.queue, transport.Received{Data: bytes.Clone(data), From: from})
}

func (m *memTransport) Recv(fs []transport.Received) (int, error) {
	if m.closed {
		return 0, transport.ErrClosed
	}
	n := min(len(fs), len(m.queue))
	for i := range n {
		fs[i] = m.queue[i]
		fs[i].SetHandle(m.next)
		m.lent[m.next] = true
		m.next++
	}
	m.queue = m.queue[n:]
	return n, m.recvErr
}

func (m *memTransport) Release(fs []transport.Received) {
	for i := range fs {
		h := fs[i].Handle()
		if !m.lent[h] {
			m.badRel++
		}
		delete(m.lent, h)
		fs[i] = transport.Received{}
	}
}

func (m *memTransport) Send(fs []transport.Outgoing) error {
	if m.closed {
		return transport.ErrClosed
	}
	for _, f := range fs {
		m.sent = append(m.sent, sentFrame{f.To, bytes.Clone(f.Data)})
	}
	return m.sendErr
}

func (m *memTransport) Fd() int  { return -1 }
func (m *memTransport) MTU() int { return m.mtu }
func (m *memTransport) Close() error {
	if m.closed {
		return transport.ErrClosed
	}
	m.closed = true
	return m.closeErr
}

// take returns and forgets what was sent; heartbeats are returned apart.
func (m *memTransport) take() (data, hb []sentFrame) {
	for _, f := range m.sent {
		if isHeartbeat(f.Data) {
			hb = append(hb, f)
		} else {
			data = append(data, f)
		}
	}
	m.sent = nil
	return data, hb
}

type change struct {
	Peer uint32
	Link int
	Up   bool
}

// memNode is a Links over memTransports (links 0..n-1, priorities prio),
// node 1 with peers 2 and 3.
func memNode(t testing.TB, mode Mode, clk *fakeClock, prio ...uint8) (*Links, []*memTransport, *[]change) {
	t.Helper()
	var lcs []LinkConfig
	var mems []*memTransport
	for i, p := range prio {
		m := newMem(int32(1 + 1000*i))
		mems = append(mems, m)
		lcs = append(lcs, LinkConfig{Link: i, Transport: m, Priority: p,
			PingIntervalNs: 100, PingTimeoutNs: 350, PongCount: 2})
	}
	changes := &[]change{}
	l, err := New(Config{LocalNodeID: 1, Peers: []uint32{1, 2, 3}, Mode: mode, Links: lcs,
		Now: clk.Now, OnChange: func(p uint32, link int, up bool) {
			*changes = append(*changes, change{p, link, up})
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l, mems, changes
}

func hb(kind byte, link uint8, hears bool, node uint32, ts int64) []byte {
	return putHeartbeat(make([]byte, hbLen), heartbeatMsg{kind: kind, link: link, hears: hears, node: node, ts: ts})
}

func status(l *Links, peer uint32, link int) PeerLinkStatus {
	for _, s := range l.Status() {
		if s.Peer == peer && s.Link == link {
			return s
		}
	}
	panic(fmt.Sprintf("no status for peer %d link %d", peer, link))
}

func TestParseMode(t *testing.T) {
	for _, m := range []Mode{Passive, Active, RoundRobin} {
		got, err := ParseMode(m.String())
		if err != nil || got != m {
			t.Fatalf("ParseMode(%q) = %v, %v", m.String(), got, err)
		}
	}
	if _, err := ParseMode("broadcast"); err == nil {
		t.Fatal("ParseMode accepted an unknown mode")
	}
	if s := Mode(9).String(); s != "Mode(9)" {
		t.Fatalf("Mode(9).String() = %q", s)
	}
}

func TestNewRejects(t *testing.T) {
	ok := func() []LinkConfig { return []LinkConfig{{Link: 0, Transport: newMem(1)}} }
	small := newMem(1)
	small.mtu = 15
	for name, cfg := range map[string]Config{
		"no local id":    {Peers: []uint32{2}, Links: ok()},
		"no links":       {LocalNodeID: 1},
		"nine links":     {LocalNodeID: 1, Links: make([]LinkConfig, 9)},
		"bad mode":       {LocalNodeID: 1, Mode: 3, Links: ok()},
		"peer 0":         {LocalNodeID: 1, Peers: []uint32{0}, Links: ok()},
		"peer twice":     {LocalNodeID: 1, Peers: []uint32{2, 2}, Links: ok()},
		"link 8":         {LocalNodeID: 1, Links: []LinkConfig{{Link: 8, Transport: newMem(1)}}},
		"link -1":        {LocalNodeID: 1, Links: []LinkConfig{{Link: -1, Transport: newMem(1)}}},
		"link twice":     {LocalNodeID: 1, Links: []LinkConfig{{Link: 1, Transport: newMem(1)}, {Link: 1, Transport: newMem(1)}}},
		"nil transport":  {LocalNodeID: 1, Links: []LinkConfig{{Link: 0}}},
		"negative ping":  {LocalNodeID: 1, Links: []LinkConfig{{Link: 0, Transport: newMem(1), PingIntervalNs: -1}}},
		"tiny MTU":       {LocalNodeID: 1, Links: []LinkConfig{{Link: 0, Transport: small}}},
		"negative batch": {LocalNodeID: 1, Links: ok(), Batch: -1},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: New accepted %+v", name, cfg)
		}
	}
}

func TestHeartbeatRoundTrip(t *testing.T) {
	for _, m := range []heartbeatMsg{
		{kind: hbPing, link: 0, hears: true, node: 1, ts: 0},
		{kind: hbPong, link: 7, hears: false, node: 0xffffffff, ts: -5},
		{kind: hbPing, link: 3, hears: true, node: 42, ts: 1 << 62},
	} {
		b := putHeartbeat(make([]byte, 32), m)
		if len(b) != hbLen || !isHeartbeat(b) {
			t.Fatalf("%+v encoded as %x", m, b)
		}
		got, ok := parseHeartbeat(b)
		if !ok || got != m {
			t.Fatalf("%x parsed as %+v, %v; want %+v", b, got, ok, m)
		}
	}
	good := hb(hbPing, 1, true, 2, 10)
	for name, mut := range map[string]func([]byte) []byte{
		"short":    func(b []byte) []byte { return b[:15] },
		"long":     func(b []byte) []byte { return append(b, 0) },
		"type":     func(b []byte) []byte { b[0] = 0xC3; return b },
		"link 8":   func(b []byte) []byte { b[1] = 8; return b },
		"flags":    func(b []byte) []byte { b[2] = 2; return b },
		"byte 3":   func(b []byte) []byte { b[3] = 1; return b },
		"node 0":   func(b []byte) []byte { clear(b[4:8]); return b },
		"totem":    func(b []byte) []byte { b[0] = 0; return b },
		"no bytes": func([]byte) []byte { return nil },
	} {
		if m, ok := parseHeartbeat(mut(bytes.Clone(good))); ok {
			t.Errorf("%s: parsed as %+v", name, m)
		}
	}
}

// Heartbeats are answered and consumed; malformed ones are counted and
// dropped; nothing but data is handed up.
func TestHeartbeatHandling(t *testing.T) {
	clk := newFakeClock(1000)
	l, mems, _ := memNode(t, Passive, clk, 1, 1)
	in := make([]transport.Received, 16)
	if n, err := l.Recv(in); n != 0 || err != nil { // first call: pings
		t.Fatalf("Recv = %d, %v", n, err)
	}
	_, pings := mems[1].take()
	if len(pings) != 2 {
		t.Fatalf("link 1 sent %d pings, want one to each peer", len(pings))
	}
	for _, p := range pings {
		m, ok := parseHeartbeat(p.Data)
		if !ok || m.kind != hbPing || m.link != 1 || m.node != 1 || m.ts != 1000 || !m.hears {
			t.Fatalf("ping to %d: %+v %v", p.To, m, ok)
		}
	}
	mems[0].take()

	m := mems[1]
	m.push(2, []byte{3, 'd', 'a', 't', 'a'})
	m.push(2, hb(hbPing, 1, true, 2, 777))  // answered
	m.push(0, hb(hbPing, 1, true, 3, 778))  // unknown address: the id says who
	m.push(2, hb(hbPing, 0, true, 2, 1))    // wrong link
	m.push(3, hb(hbPing, 1, true, 2, 1))    // From and id disagree
	m.push(2, hb(hbPing, 1, true, 9, 1))    // From and id disagree
	m.push(0, hb(hbPing, 1, true, 9, 1))    // unknown node
	m.push(0, hb(hbPing, 1, true, 1, 1))    // ourselves
	m.push(2, hb(hbPong, 1, true, 2, 5000)) // echo from the future
	m.push(2, []byte{hbPong, 1, 0})         // short
	m.push(2, append(hb(hbPing, 1, true, 2, 1), 0))
	m.push(3, []byte{5, 'x'})
	m.push(2, hb(hbPong, 1, true, 2, 1000)) // answers our ping: RTT 0
	n, err := l.Recv(in)
	if err != nil || n != 2 {
		t.Fatalf("Recv = %d, %v; want the 2 data frames", n, err)
	}
	if string(in[0].Data) != "\x03data" || in[0].From != 2 || string(in[1].Data) != "\x05x" || in[1].From != 3 {
		t.Fatalf("handed up %q from %d, %q from %d", in[0].Data, in[0].From, in[1].Data, in[1].From)
	}
	for i := range in[:n] {
		if got := in[i].Handle() & 7; got != 1 {
			t.Fatalf("frame %d handle %d names link %d", i, in[i].Handle(), got)
		}
	}
	if len(m.lent) != 2 {
		t.Fatalf("%d frames still lent by the link, want the 2 data frames", len(m.lent))
	}
	l.Release(in[:n])
	if len(m.lent) != 0 || m.badRel != 0 {
		t.Fatalf("after Release: %d lent, %d bad releases", len(m.lent), m.badRel)
	}
	_, pongs := m.take()
	want := map[uint32]int64{2: 777, 3: 778}
	if len(pongs) != 2 {
		t.Fatalf("%d pongs, want 2", len(pongs))
	}
	for _, p := range pongs {
		pm, ok := parseHeartbeat(p.Data)
		if !ok || pm.kind != hbPong || pm.link != 1 || pm.node != 1 || pm.ts != want[p.To] {
			t.Fatalf("pong to %d: %+v, %v", p.To, pm, ok)
		}
	}
	st := l.Stats()
	if st.Malformed != 6 || st.UnknownSenders != 2 {
		t.Fatalf("stats %+v, want 6 malformed and 2 unknown senders", st)
	}
	s2 := status(l, 2, 1)
	if s2.PingsReceived != 1 || s2.PongsSent != 1 || s2.PongsReceived != 1 || s2.RxFrames != 1 || s2.PingsSent != 1 || !s2.Up {
		t.Fatalf("peer 2 link 1: %+v", s2)
	}
}

// A (peer, link) goes down after PingTimeout of silence, and up after
// PongCount pongs answering pings sent since; the peer's own verdict,
// carried by its heartbeats, takes the link down on this side too.
func TestLiveness(t *testing.T) {
	clk := newFakeClock(0)
	l, mems, changes := memNode(t, Passive, clk, 10, 1)
	in := make([]transport.Received, 16)
	recv := func() {
		t.Helper()
		n, err := l.Recv(in)
		if err != nil {
			t.Fatal(err)
		}
		l.Release(in[:n])
	}
	// Peer 3 is heard on both links, peer 2 only on link 1.
	for clk.Now() <= 350 {
		mems[0].push(3, hb(hbPing, 0, true, 3, 0))
		mems[1].push(3, hb(hbPing, 1, true, 3, 0))
		mems[1].push(2, []byte{1})
		recv()
		clk.Advance(50)
	}
	if len(*changes) != 0 {
		t.Fatalf("changes before the timeout: %v", *changes)
	}
	// Timeouts are checked every PingTimeout/8 (43 here): by 400.
	clk.Set(400)
	mems[0].push(3, hb(hbPing, 0, true, 3, 0))
	mems[1].push(3, hb(hbPing, 1, true, 3, 0))
	recv()
	if want := []change{{2, 0, false}}; !slices.Equal(*changes, want) {
		t.Fatalf("changes %v, want %v", *changes, want)
	}
	// The pings of the same call, after the verdict, tell peer 2.
	_, pings := mems[0].take()
	var pingTo2 heartbeatMsg
	for _, p := range pings {
		if p.To == 2 {
			pingTo2, _ = parseHeartbeat(p.Data)
		}
	}
	if pingTo2.kind != hbPing || pingTo2.hears || pingTo2.ts != 400 {
		t.Fatalf("ping to 2 on link 0: %+v", pingTo2)
	}
	// Passive now sends to 2 on link 1, to 3 still on link 0.
	mems[1].take()
	if err := l.Send([]transport.Outgoing{{To: transport.Broadcast, Data: []byte{1}}}); err != nil {
		t.Fatal(err)
	}
	d0, _ := mems[0].take()
	d1, _ := mems[1].take()
	if len(d0) != 1 || d0[0].To != 3 || len(d1) != 1 || d1[0].To != 2 {
		t.Fatalf("link 0 sent %v, link 1 sent %v", d0, d1)
	}
	// A stale pong (a ping from before the down) does not count; data
	// does not bring the link up; two fresh pongs do.
	mems[0].push(2, hb(hbPong, 0, true, 2, 100))
	mems[0].push(2, []byte{1})
	mems[0].push(2, hb(hbPong, 0, true, 2, 400))
	recv()
	if s := status(l, 2, 0); s.Up || s.Heard {
		t.Fatalf("up after one fresh pong: %+v", s)
	}
	mems[0].push(2, hb(hbPong, 0, true, 2, 400))
	recv()
	if s := status(l, 2, 0); !s.Up || s.Downs != 1 || s.Ups != 1 || s.RTTNs != 0 {
		t.Fatalf("after two fresh pongs: %+v", s)
	}
	// Peer 3 says it does not hear us on link 0: down here too, though we
	// hear it; up again when it says it does.
	mems[0].push(3, hb(hbPing, 0, false, 3, 0))
	recv()
	if s := status(l, 3, 0); s.Up || !s.Heard || s.PeerHears {
		t.Fatalf("peer 3 link 0 after its 'not heard': %+v", s)
	}
	mems[0].push(3, hb(hbPong, 0, true, 3, 400))
	recv()
	if s := status(l, 3, 0); !s.Up {
		t.Fatalf("peer 3 link 0 after its 'heard': %+v", s)
	}
	want := []change{{2, 0, false}, {2, 0, true}, {3, 0, false}, {3, 0, true}}
	if !slices.Equal(*changes, want) {
		t.Fatalf("changes %v, want %v", *changes, want)
	}
}

func TestRoutingModes(t *testing.T) {
	frames := []transport.Outgoing{{To: 2, Data: []byte{0}}, {To: 2, Data: []byte{1}}, {To: 2, Data: []byte{2}},
		{To: transport.Broadcast, Data: []byte{3}}}
	count := func(mems []*memTransport) (n []int) {
		for _, m := range mems {
			d, _ := m.take()
			n = append(n, len(d))
		}
		return n
	}
	for _, tc := range []struct {
		mode Mode
		prio []uint8
		want []int
	}{
		{Passive, []uint8{1, 5, 5}, []int{0, 5, 0}}, // highest priority, lowest number of the tie
		{Passive, []uint8{1, 1, 1}, []int{5, 0, 0}},
		{Active, []uint8{1, 5, 5}, []int{5, 5, 5}},
		{RoundRobin, []uint8{1, 5, 5}, []int{3, 1, 1}}, // to 2: 0 1 2 0; to 3: 0
	} {
		clk := newFakeClock(0)
		l, mems, _ := memNode(t, tc.mode, clk, tc.prio...)
		if err := l.Send(frames); err != nil {
			t.Fatal(err)
		}
		if got := count(mems); !slices.Equal(got, tc.want) {
			t.Errorf("%v %v: frames per link %v, want %v", tc.mode, tc.prio, got, tc.want)
		}
	}
	// Every link down for a peer: every link carries its frames.
	clk := newFakeClock(0)
	l, mems, _ := memNode(t, Passive, clk, 1, 2)
	if err := l.Send(nil); err != nil {
		t.Fatal(err)
	}
	clk.Set(1000)
	if err := l.Send(frames[:1]); err != nil {
		t.Fatal(err)
	}
	if got := count(mems); !slices.Equal(got, []int{1, 1}) {
		t.Fatalf("all links down: frames per link %v, want [1 1]", got)
	}
	for _, s := range l.Status() {
		if s.Up {
			t.Fatalf("still up: %+v", s)
		}
	}
}

func TestSendErrors(t *testing.T) {
	clk := newFakeClock(0)
	l, mems, _ := memNode(t, Active, clk, 1, 1)
	boom := errors.New("boom")
	mems[0].sendErr = boom
	err := l.Send([]transport.Outgoing{
		{To: 7, Data: []byte{1}},
		{To: 2, Data: make([]byte, 1501)},
		{To: 2, Data: []byte{hbPing}},
		{To: 2, Data: []byte{1}},
	})
	if !errors.Is(err, ErrUnknownPeer) {
		t.Fatalf("Send = %v, want the first error, ErrUnknownPeer", err)
	}
	d1, _ := mems[1].take()
	if len(d1) != 1 {
		t.Fatalf("link 1 sent %d data frames despite link 0's error, want 1", len(d1))
	}
	if err := l.Send([]transport.Outgoing{{To: 2, Data: []byte{1}}}); !errors.Is(err, boom) {
		t.Fatalf("Send = %v, want link 0's error", err)
	}
	if d1, _ := mems[1].take(); len(d1) != 1 {
		t.Fatalf("link 1 sent %d frames, want 1", len(d1))
	}
	st := l.Stats()
	if st.UnknownDest != 1 || st.TooBig != 1 || st.Reserved != 1 || st.SendErrors != 2 {
		t.Fatalf("stats %+v", st)
	}
}

// A link's Recv error is counted, and returned only with no frames.
func TestRecvErrors(t *testing.T) {
	clk := newFakeClock(0)
	l, mems, _ := memNode(t, Passive, clk, 1, 1)
	boom := errors.New("boom")
	mems[0].recvErr = boom
	mems[1].push(2, []byte{1})
	in := make([]transport.Received, 4)
	n, err := l.Recv(in)
	if n != 1 || err != nil {
		t.Fatalf("Recv = %d, %v; want the frame and no error", n, err)
	}
	l.Release(in[:n])
	if n, err := l.Recv(in); n != 0 || !errors.Is(err, boom) {
		t.Fatalf("Recv = %d, %v; want link 0's error", n, err)
	}
	if st := l.Stats(); st.RecvErrors != 2 {
		t.Fatalf("RecvErrors %d, want 2", st.RecvErrors)
	}
}

// Send cuts a large batch into Batch-sized inner calls.
func TestSendBatches(t *testing.T) {
	m := newMem(1)
	l, err := New(Config{LocalNodeID: 1, Peers: []uint32{2, 3}, Links: []LinkConfig{{Link: 4, Transport: m}},
		Now: newFakeClock(0).Now, Batch: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	frames := make([]transport.Outgoing, 10)
	for i := range frames {
		frames[i] = transport.Outgoing{To: transport.Broadcast, Data: []byte{byte(i)}}
	}
	if err := l.Send(frames); err != nil {
		t.Fatal(err)
	}
	d, h := m.take()
	if len(d) != 20 || len(h) != 2 {
		t.Fatalf("sent %d data frames and %d heartbeats, want 20 and 2", len(d), len(h))
	}
	for i, f := range d {
		if f.Data[0] != byte(i/2) || f.To != uint32(2+i%2) {
			t.Fatalf("frame %d: %+v", i, f)
		}
	}
}

// Handles fold the link in and come back out, negative ones included, and
// Release routes any sub-slice, in any order.
func TestReleaseRouting(t *testing.T) {
	clk := newFakeClock(0)
	var lcs []LinkConfig
	mems := map[int]*memTransport{}
	for _, c := range []struct {
		link int
		base int32
	}{{0, 1}, {3, -50}, {7, maxInnerHandle - 1}} {
		m := newMem(c.base)
		mems[c.link] = m
		lcs = append(lcs, LinkConfig{Link: c.link, Transport: m})
	}
	l, err := New(Config{LocalNodeID: 1, Peers: []uint32{2}, Links: lcs, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for link, m := range mems {
		for i := range 4 {
			m.push(2, []byte{byte(link), byte(i)})
		}
	}
	in := make([]transport.Received, 64)
	got := 0
	for range 3 {
		n, err := l.Recv(in[got:])
		if err != nil {
			t.Fatal(err)
		}
		got += n
	}
	// Link 7's third and fourth frames have handles beyond what can be
	// folded: they are given back at once and counted.
	if got != 10 || l.Stats().BadHandles != 2 || len(mems[7].lent) != 2 {
		t.Fatalf("got %d frames, %d bad handles, link 7 lends %d", got, l.Stats().BadHandles, len(mems[7].lent))
	}
	for _, f := range in[:got] {
		if int(f.Handle()&7) != int(f.Data[0]) {
			t.Fatalf("frame %v has handle %d", f.Data, f.Handle())
		}
	}
	order := [][2]int{{3, 4}, {0, 1}, {7, 10}, {1, 3}, {4, 7}}
	for _, r := range order {
		l.Release(in[r[0]:r[1]])
	}
	for link, m := range mems {
		if len(m.lent) != 0 || m.badRel != 0 {
			t.Fatalf("link %d: %d still lent, %d bad releases", link, len(m.lent), m.badRel)
		}
	}
	for i, f := range in[:got] {
		if f.Data != nil || f.Handle() != 0 || f.From != 0 {
			t.Fatalf("frame %d not cleared: %+v", i, f)
		}
	}
	// A handle naming a link that is not configured is counted.
	var stray transport.Received
	stray.SetHandle(5<<3 | 5)
	l.Release([]transport.Received{stray})
	if l.Stats().BadHandles != 3 {
		t.Fatalf("BadHandles %d, want 3", l.Stats().BadHandles)
	}
}

func TestCloseClosesLinks(t *testing.T) {
	a, b := newMem(1), newMem(1)
	b.closeErr = errors.New("b")
	l, err := New(Config{LocalNodeID: 1, Peers: []uint32{2}, Links: []LinkConfig{{Link: 0, Transport: a}, {Link: 1, Transport: b}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err == nil || !a.closed || !b.closed {
		t.Fatalf("Close = %v; closed %v %v", err, a.closed, b.closed)
	}
	if err := l.Close(); !errors.Is(err, transport.ErrClosed) {
		t.Fatalf("second Close = %v", err)
	}
	if _, err := l.Recv(make([]transport.Received, 1)); !errors.Is(err, transport.ErrClosed) {
		t.Fatalf("Recv after Close = %v", err)
	}
	if err := l.Send(nil); !errors.Is(err, transport.ErrClosed) {
		t.Fatalf("Send after Close = %v", err)
	}
}

// FuzzHeartbeat feeds arbitrary frames to the heartbeat parser and to a
// Links receiving them on a link. The parser must never panic and what it
// accepts must re-encode to the same bytes; Links must hand up exactly the
// frames that do not start with a heartbeat type byte, and give every
// frame back to its link.
func FuzzHeartbeat(f *testing.F) {
	f.Add(hb(hbPing, 0, true, 2, 1))
	f.Add(hb(hbPong, 1, false, 3, 0))
	f.Add([]byte{})
	f.Add([]byte{hbPing})
	f.Add([]byte{0, 1, 2, 3})
	clk := newFakeClock(1 << 40)
	l, mems, _ := memNode(f, Active, clk, 1, 2)
	in := make([]transport.Received, 4)
	f.Fuzz(func(t *testing.T, data []byte) {
		if m, ok := parseHeartbeat(data); ok {
			if again := putHeartbeat(make([]byte, hbLen), m); !bytes.Equal(again, data) {
				t.Fatalf("%x parsed as %+v, re-encoded as %x", data, m, again)
			}
		}
		clk.Advance(37)
		for link, m := range mems {
			for _, from := range []uint32{0, 2, 3, 9} {
				m.push(from, data)
			}
			total := 0
			for range 2 {
				n, err := l.Recv(in)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range in[:n] {
					if !bytes.Equal(r.Data, data) || int(r.Handle()&7) != link {
						t.Fatalf("handed up %x (handle %d), fed %x on link %d", r.Data, r.Handle(), data, link)
					}
				}
				total += n
				l.Release(in[:n])
			}
			if want := 4; isHeartbeat(data) {
				if total != 0 {
					t.Fatalf("heartbeat-typed %x handed up %d times", data, total)
				}
			} else if total != want {
				t.Fatalf("%x handed up %d times, want %d", data, total, want)
			}
			if len(m.lent) != 0 || m.badRel != 0 {
				t.Fatalf("link %d: %d lent, %d bad releases", link, len(m.lent), m.badRel)
			}
			m.sent = m.sent[:0]
		}
	})
}

// A ring of one sends the token to itself: the frame goes out once, on the
// first link, addressed to the local node.
func TestSendToSelfUsesFirstLink(t *testing.T) {
	clk := newFakeClock(0)
	l, mems, _ := memNode(t, Active, clk, 1, 2)
	if err := l.Send([]transport.Outgoing{{To: 1, Data: []byte{3, 0}}}); err != nil {
		t.Fatal(err)
	}
	d0, _ := mems[0].take()
	d1, _ := mems[1].take()
	if len(d0) != 1 || len(d1) != 0 {
		t.Fatalf("frames to self: link 0 sent %d, link 1 %d; want 1 and 0", len(d0), len(d1))
	}
}
