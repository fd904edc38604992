//go:build linux

package link

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gorosync/gorosync/dataplane/link/crypto"
	"github.com/gorosync/gorosync/dataplane/transport"
	"github.com/gorosync/gorosync/dataplane/transport/udp"
)

// Every wait in these tests is bounded by waitLimit.
const waitLimit = 3 * time.Second

// Heartbeat settings of the socket tests, on the fake clock.
const (
	tInterval = 100
	tTimeout  = 350
	tPongs    = 2
)

// tap wraps a link's transport: it counts what the link receives, can
// drop all of it (a link that went deaf), and counts Close calls.
type tap struct {
	transport.Transport
	deaf   atomic.Bool
	rx     atomic.Uint64
	closes atomic.Int32
}

func (d *tap) Recv(fs []transport.Received) (int, error) {
	n, err := d.Transport.Recv(fs)
	d.rx.Add(uint64(n))
	if n > 0 && d.deaf.Load() {
		d.Transport.Release(fs[:n])
		return 0, err
	}
	return n, err
}

func (d *tap) Close() error {
	d.closes.Add(1)
	return d.Transport.Close()
}

// frame is a data frame a node received, copied out.
type frame struct {
	From uint32
	Link int
	Data string
}

type node struct {
	id      uint32
	l       *Links
	udps    map[int]*udp.Transport // by link number
	taps    map[int]*tap
	mu      sync.Mutex
	changes []change
	got     []frame
	buf     []transport.Received
}

func (n *node) Changes() []change {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.changes)
}

type linkSpec struct {
	num  int
	prio uint8
}

// freePort asks the kernel for a UDP port free on addr.
func freePort(t testing.TB, addr string) uint16 {
	t.Helper()
	c, err := net.ListenPacket("udp", net.JoinHostPort(addr, "0"))
	if err != nil {
		t.Fatalf("no UDP on %s: %v", addr, err)
	}
	defer c.Close()
	return uint16(c.LocalAddr().(*net.UDPAddr).Port)
}

// linkAddr is node id's address on link num: 127.0.num.id.
func linkAddr(num int, id uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{127, 0, byte(num), byte(id)})
}

// openLink opens link num's udp transports for nodes 1..n, all on one
// port the kernel picked, retrying if another process took it meanwhile.
func openLink(t testing.TB, num, n int, tweak func(*udp.Config)) []*udp.Transport {
	t.Helper()
	var lastErr error
	for range 10 {
		port := freePort(t, linkAddr(num, 1).String())
		peers := map[uint32]netip.AddrPort{}
		for id := uint32(1); id <= uint32(n); id++ {
			peers[id] = netip.AddrPortFrom(linkAddr(num, id), port)
		}
		var trs []*udp.Transport
		for id := uint32(1); id <= uint32(n); id++ {
			cfg := udp.Config{Local: peers[id], Peers: peers, LocalNodeID: id, BlockUnlisted: true}
			if tweak != nil {
				tweak(&cfg)
			}
			tr, err := udp.New(cfg)
			if err != nil {
				lastErr = err
				break
			}
			trs = append(trs, tr)
		}
		if len(trs) == n {
			return trs
		}
		for _, tr := range trs {
			tr.Close()
		}
		if !errors.Is(lastErr, unix.EADDRINUSE) {
			break
		}
	}
	t.Fatalf("opening link %d: %v", num, lastErr)
	return nil
}

type clusterOpts struct {
	tweak func(*udp.Config)
	wrap  func(num int, id uint32, tr *udp.Transport) transport.Transport // between udp and the tap
}

// newCluster builds n nodes (ids 1..n) with the given links on loopback,
// all on one fake clock.
func newCluster(t testing.TB, n int, mode Mode, clk *fakeClock, specs []linkSpec, o clusterOpts) []*node {
	t.Helper()
	nodes := make([]*node, n)
	var peers []uint32
	for i := range nodes {
		nodes[i] = &node{id: uint32(i + 1), udps: map[int]*udp.Transport{}, taps: map[int]*tap{},
			buf: make([]transport.Received, 64)}
		peers = append(peers, uint32(i+1))
	}
	lcs := make([][]LinkConfig, n)
	for _, sp := range specs {
		trs := openLink(t, sp.num, n, o.tweak)
		for i, tr := range trs {
			var inner transport.Transport = tr
			if o.wrap != nil {
				inner = o.wrap(sp.num, uint32(i+1), tr)
			}
			tp := &tap{Transport: inner}
			nodes[i].udps[sp.num] = tr
			nodes[i].taps[sp.num] = tp
			lcs[i] = append(lcs[i], LinkConfig{Link: sp.num, Transport: tp, Priority: sp.prio,
				PingIntervalNs: tInterval, PingTimeoutNs: tTimeout, PongCount: tPongs})
		}
	}
	for i, nd := range nodes {
		l, err := New(Config{LocalNodeID: nd.id, Peers: peers, Mode: mode, Links: lcs[i], Now: clk.Now,
			OnChange: func(p uint32, link int, up bool) {
				nd.mu.Lock()
				nd.changes = append(nd.changes, change{p, link, up})
				nd.mu.Unlock()
			}})
		if err != nil {
			t.Fatal(err)
		}
		nd.l = l
		t.Cleanup(func() { _ = l.Close() })
	}
	return nodes
}

// recvOnce runs one Recv on the node, keeps copies of the data frames and
// releases them; it returns how many.
func (n *node) recvOnce(t testing.TB) int {
	t.Helper()
	k, err := n.l.Recv(n.buf)
	if err != nil {
		t.Fatalf("node %d: Recv: %v", n.id, err)
	}
	for _, f := range n.buf[:k] {
		if isHeartbeat(f.Data) {
			t.Fatalf("node %d: a heartbeat was handed up: %x", n.id, f.Data)
		}
		n.got = append(n.got, frame{f.From, int(f.Handle() & 7), string(f.Data)})
	}
	n.l.Release(n.buf[:k])
	return k
}

// pumpUntil runs Recv on every node until cond holds, waiting on the
// nodes' Fds between idle rounds; it fails the test after waitLimit.
func pumpUntil(t testing.TB, nodes []*node, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", waitLimit, what)
		}
		busy := 0
		for _, n := range nodes {
			busy += n.recvOnce(t)
		}
		if busy == 0 && !cond() {
			fds := make([]unix.PollFd, 0, len(nodes))
			for _, n := range nodes {
				fds = append(fds, unix.PollFd{Fd: int32(n.l.Fd()), Events: unix.POLLIN})
			}
			_, _ = unix.Poll(fds, 2)
		}
	}
}

// step advances the clock one ping interval and pumps until every ping
// and pong that can arrive has: node X has a new ping from Y on a link
// unless X is deaf there, and a new pong unless either is deaf.
func step(t testing.TB, clk *fakeClock, nodes []*node) {
	t.Helper()
	type key struct {
		x, y uint32
		link int
	}
	before := map[key]PeerLinkStatus{}
	for _, x := range nodes {
		for _, s := range x.l.Status() {
			before[key{x.id, s.Peer, s.Link}] = s
		}
	}
	clk.Advance(tInterval)
	deaf := func(id uint32, link int) bool { return nodes[id-1].taps[link].deaf.Load() }
	pumpUntil(t, nodes, "heartbeats of a step", func() bool {
		for _, x := range nodes {
			for _, s := range x.l.Status() {
				b := before[key{x.id, s.Peer, s.Link}]
				if deaf(x.id, s.Link) {
					continue
				}
				if s.PingsReceived == b.PingsReceived {
					return false
				}
				if !deaf(s.Peer, s.Link) && s.PongsReceived == b.PongsReceived {
					return false
				}
			}
		}
		return true
	})
}

func sendOK(t testing.TB, n *node, frames ...transport.Outgoing) {
	t.Helper()
	if err := n.l.Send(frames); err != nil {
		t.Fatalf("node %d: Send: %v", n.id, err)
	}
}

func out(to uint32, s string) transport.Outgoing {
	return transport.Outgoing{To: to, Data: []byte(s)}
}

// waitFrames pumps until node n holds want data frames, then checks for a
// short while that no more come, and returns them (and forgets them).
func waitFrames(t testing.TB, nodes []*node, n *node, want int) []frame {
	t.Helper()
	pumpUntil(t, nodes, fmt.Sprintf("node %d: %d data frames", n.id, want), func() bool { return len(n.got) >= want })
	for range 3 {
		_, _ = unix.Poll([]unix.PollFd{{Fd: int32(n.l.Fd()), Events: unix.POLLIN}}, 5)
		for _, x := range nodes {
			x.recvOnce(t)
		}
	}
	got := n.got
	n.got = nil
	if len(got) != want {
		t.Fatalf("node %d received %d data frames, want %d: %v", n.id, len(got), want, got)
	}
	return got
}

// txByLink sums the data frames a node handed to each link.
func txByLink(l *Links) map[int]uint64 {
	m := map[int]uint64{}
	for _, s := range l.Status() {
		m[s.Link] += s.TxFrames
	}
	return m
}

func allUp(t testing.TB, nodes []*node) {
	t.Helper()
	for _, n := range nodes {
		for _, s := range n.l.Status() {
			if !s.Up || !s.Heard || !s.PeerHears {
				t.Fatalf("node %d: %+v not up", n.id, s)
			}
		}
	}
}

func TestPassiveThreeNodes(t *testing.T) {
	clk := newFakeClock(1_000_000)
	nodes := newCluster(t, 3, Passive, clk, []linkSpec{{0, 1}, {1, 10}}, clusterOpts{})
	step(t, clk, nodes)
	step(t, clk, nodes)
	allUp(t, nodes)
	for _, n := range nodes {
		if len(n.Changes()) != 0 {
			t.Fatalf("node %d: changes %v", n.id, n.Changes())
		}
		for _, s := range n.l.Status() {
			if s.PingsSent < 2 || s.PongsReceived < 2 || s.RTTNs != 0 {
				t.Fatalf("node %d: heartbeats %+v", n.id, s)
			}
		}
	}
	a, b, c := nodes[0], nodes[1], nodes[2]
	sendOK(t, a, out(transport.Broadcast, "\x01to all"), out(3, "\x01to 3"))
	sendOK(t, b, out(transport.Broadcast, "\x02from 2"))
	gotB := waitFrames(t, nodes, b, 1)
	gotC := waitFrames(t, nodes, c, 3)
	gotA := waitFrames(t, nodes, a, 1)
	if gotB[0] != (frame{1, 1, "\x01to all"}) || gotA[0] != (frame{2, 1, "\x02from 2"}) {
		t.Fatalf("b got %v, a got %v", gotB, gotA)
	}
	slices.SortFunc(gotC, func(x, y frame) int { return bytes.Compare([]byte(x.Data), []byte(y.Data)) })
	if want := []frame{{1, 1, "\x01to 3"}, {1, 1, "\x01to all"}, {2, 1, "\x02from 2"}}; !slices.Equal(gotC, want) {
		t.Fatalf("c got %v, want %v", gotC, want)
	}
	// Only link 1, the higher priority, carried data.
	for _, n := range nodes {
		for _, s := range n.l.Status() {
			if s.Link == 0 && (s.TxFrames != 0 || s.RxFrames != 0) {
				t.Fatalf("node %d: data on link 0: %+v", n.id, s)
			}
		}
	}
	if tx := txByLink(a.l); tx[1] != 3 {
		t.Fatalf("node 1 sent %v data frames per link, want 3 on link 1", tx)
	}
	if s := status(c.l, 1, 1); s.RxFrames != 2 {
		t.Fatalf("node 3 from node 1 on link 1: %+v", s)
	}
	// The udp links carried heartbeats only on link 0: as many datagrams
	// as the heartbeats counted.
	for _, n := range nodes {
		var hbs uint64
		for _, s := range n.l.Status() {
			if s.Link == 0 {
				hbs += s.PingsSent + s.PongsSent
			}
		}
		if got := n.udps[0].Stats().TxFrames; got != hbs {
			t.Fatalf("node %d: link 0 sent %d datagrams, %d heartbeats", n.id, got, hbs)
		}
	}
	if st := a.l.Stats(); st != (LinksStats{}) {
		t.Fatalf("stats %+v", st)
	}
}

// Link 0 (the preferred one) of node 2 goes deaf: both sides take it out
// of service, traffic moves to link 1 both ways, and comes back to link 0
// once it hears again.
func TestFailover(t *testing.T) {
	clk := newFakeClock(0)
	nodes := newCluster(t, 3, Passive, clk, []linkSpec{{0, 10}, {1, 1}}, clusterOpts{})
	a, b, c := nodes[0], nodes[1], nodes[2]
	step(t, clk, nodes)
	allUp(t, nodes)

	b.taps[0].deaf.Store(true)
	for i := 0; status(b.l, 1, 0).Heard; i++ {
		if i == 10 {
			t.Fatalf("node 2 still hears node 1 on the deaf link: %+v", status(b.l, 1, 0))
		}
		step(t, clk, nodes)
	}
	if !status(b.l, 1, 0).Heard {
		step(t, clk, nodes) // the next heartbeats tell the others
	}
	for _, x := range []*node{a, c} {
		if s := status(x.l, 2, 0); s.Up || !s.Heard || s.PeerHears || s.Downs != 1 {
			t.Fatalf("node %d about node 2 on link 0: %+v", x.id, s)
		}
		if want := []change{{2, 0, false}}; !slices.Equal(x.Changes(), want) {
			t.Fatalf("node %d: changes %v, want %v", x.id, x.Changes(), want)
		}
	}
	if got, want := b.Changes(), []change{{1, 0, false}, {3, 0, false}}; !slices.Equal(got, want) {
		t.Fatalf("node 2: changes %v, want %v", got, want)
	}
	if s := status(a.l, 3, 0); !s.Up {
		t.Fatalf("node 1 lost node 3 on link 0: %+v", s)
	}

	// Traffic to and from node 2 goes on link 1 and arrives; 1 <-> 3
	// stays on link 0.
	txA, txB := txByLink(a.l), txByLink(b.l)
	sendOK(t, a, out(transport.Broadcast, "\x01a"))
	sendOK(t, b, out(1, "\x01b"))
	if got := waitFrames(t, nodes, b, 1); got[0] != (frame{1, 1, "\x01a"}) {
		t.Fatalf("node 2 got %v", got)
	}
	if got := waitFrames(t, nodes, c, 1); got[0] != (frame{1, 0, "\x01a"}) {
		t.Fatalf("node 3 got %v", got)
	}
	if got := waitFrames(t, nodes, a, 1); got[0] != (frame{2, 1, "\x01b"}) {
		t.Fatalf("node 1 got %v", got)
	}
	if n := txByLink(a.l); n[0] != txA[0]+1 || n[1] != txA[1]+1 {
		t.Fatalf("node 1 per link: %v then %v", txA, n)
	}
	if n := txByLink(b.l); n[0] != txB[0] || n[1] != txB[1]+1 {
		t.Fatalf("node 2 per link: %v then %v", txB, n)
	}

	// Heal: PongCount pongs bring it back, then its heartbeats the others.
	b.taps[0].deaf.Store(false)
	for i := 0; !status(a.l, 2, 0).Up || !status(b.l, 1, 0).Up || !status(c.l, 2, 0).Up; i++ {
		if i == 10 {
			t.Fatalf("link 0 not back: %+v / %+v", status(a.l, 2, 0), status(b.l, 1, 0))
		}
		step(t, clk, nodes)
	}
	if s := status(b.l, 1, 0); s.Ups != 1 || s.Downs != 1 || s.PongsReceived < tPongs {
		t.Fatalf("node 2 about node 1: %+v", s)
	}
	if want := []change{{2, 0, false}, {2, 0, true}}; !slices.Equal(a.Changes(), want) {
		t.Fatalf("node 1: changes %v, want %v", a.Changes(), want)
	}
	sendOK(t, a, out(2, "\x01back"))
	if got := waitFrames(t, nodes, b, 1); got[0] != (frame{1, 0, "\x01back"}) {
		t.Fatalf("node 2 got %v", got)
	}
	for _, n := range nodes {
		for _, s := range n.l.Status() {
			if s.Link == 1 && s.Downs != 0 {
				t.Fatalf("node %d: link 1 flapped: %+v", n.id, s)
			}
		}
	}
}

func TestActiveAndRoundRobin(t *testing.T) {
	clk := newFakeClock(0)
	nodes := newCluster(t, 2, Active, clk, []linkSpec{{0, 1}, {1, 1}}, clusterOpts{})
	step(t, clk, nodes)
	a, b := nodes[0], nodes[1]
	var frames []transport.Outgoing
	for i := range 5 {
		frames = append(frames, out(2, fmt.Sprint("\x01", i)))
	}
	sendOK(t, a, frames...)
	got := waitFrames(t, nodes, b, 10)
	perLink := map[int]int{}
	for _, f := range got {
		perLink[f.Link]++
	}
	if perLink[0] != 5 || perLink[1] != 5 {
		t.Fatalf("active: per link %v, want 5 and 5 (duplicates)", perLink)
	}
	if s0, s1 := status(b.l, 1, 0), status(b.l, 1, 1); s0.RxFrames != 5 || s1.RxFrames != 5 {
		t.Fatalf("active: rx %d and %d", s0.RxFrames, s1.RxFrames)
	}

	clk2 := newFakeClock(0)
	nodes = newCluster(t, 2, RoundRobin, clk2, []linkSpec{{2, 1}, {5, 1}}, clusterOpts{})
	step(t, clk2, nodes)
	a, b = nodes[0], nodes[1]
	frames = frames[:0]
	for i := range 6 {
		frames = append(frames, out(2, fmt.Sprint("\x01", i)))
	}
	sendOK(t, a, frames...)
	got = waitFrames(t, nodes, b, 6)
	for _, f := range got {
		want := 2
		if (f.Data[1]-'0')%2 == 1 {
			want = 5
		}
		if f.Link != want {
			t.Fatalf("rr: frame %q on link %d, want %d (%v)", f.Data, f.Link, want, got)
		}
	}
	if tx := txByLink(a.l); tx[2] != 3 || tx[5] != 3 {
		t.Fatalf("rr: per link %v", tx)
	}
}

// Secure links: the inner hands frames up with handle 0.
func TestOverSecure(t *testing.T) {
	key := bytes.Repeat([]byte{9}, 128)
	wrap := func(num int, id uint32, tr *udp.Transport) transport.Transport {
		s, err := crypto.New(crypto.Config{Cipher: "aes256", Hash: "sha256", Key: key})
		if err != nil {
			t.Fatal(err)
		}
		sec, err := NewSecure(tr, s, 16)
		if err != nil {
			t.Fatal(err)
		}
		return sec
	}
	clk := newFakeClock(0)
	nodes := newCluster(t, 2, Active, clk, []linkSpec{{0, 1}, {1, 1}}, clusterOpts{wrap: wrap})
	step(t, clk, nodes)
	step(t, clk, nodes)
	allUp(t, nodes)
	a, b := nodes[0], nodes[1]
	if a.l.MTU() != a.taps[0].MTU() || a.l.MTU() >= udp.DefaultMTU {
		t.Fatalf("MTU %d", a.l.MTU())
	}
	sendOK(t, a, out(2, "\x01sealed"))
	got := waitFrames(t, nodes, b, 2)
	if got[0].Data != "\x01sealed" || got[1].Data != "\x01sealed" || got[0].Link == got[1].Link {
		t.Fatalf("got %v", got)
	}
}

// Release routes sub-slices back to their links: a small receive pool
// would run dry within a few rounds if a buffer were lost.
func TestReleaseSubslices(t *testing.T) {
	clk := newFakeClock(0)
	nodes := newCluster(t, 2, Active, clk, []linkSpec{{0, 1}, {3, 1}},
		clusterOpts{tweak: func(c *udp.Config) { c.RecvBuffers = 8 }})
	a, b := nodes[0], nodes[1]
	step(t, clk, nodes)
	held := make([]transport.Received, 64)
	for round := range 6 {
		sendOK(t, a, out(2, "\x01x"), out(2, "\x01y"), out(2, "\x01z"))
		got := 0
		deadline := time.Now().Add(waitLimit)
		for got < 6 {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: %d of 6 frames", round, got)
			}
			n, err := b.l.Recv(held[got:])
			if err != nil {
				t.Fatalf("round %d: Recv: %v", round, err)
			}
			got += n
			a.recvOnce(t)
		}
		links := map[int32]int{}
		for _, f := range held[:got] {
			links[f.Handle()&7]++
		}
		if links[0] != 3 || links[3] != 3 {
			t.Fatalf("round %d: frames per link %v", round, links)
		}
		for _, r := range [][2]int{{4, 5}, {0, 2}, {5, 6}, {2, 4}} {
			b.l.Release(held[r[0]:r[1]])
		}
		for i, f := range held[:got] {
			if f.Data != nil || f.Handle() != 0 {
				t.Fatalf("round %d: frame %d not cleared", round, i)
			}
		}
	}
	for num, u := range b.udps {
		if s := u.Stats(); s.Errors != 0 {
			t.Fatalf("link %d: %+v", num, s)
		}
	}
}

func TestFdAndClose(t *testing.T) {
	clk := newFakeClock(0)
	nodes := newCluster(t, 2, Passive, clk, []linkSpec{{0, 1}, {1, 2}}, clusterOpts{})
	one := newCluster(t, 2, Passive, clk, []linkSpec{{4, 1}}, clusterOpts{})
	if one[0].l.Fd() != one[0].udps[4].Fd() {
		t.Fatalf("one link: Fd %d, link's %d", one[0].l.Fd(), one[0].udps[4].Fd())
	}
	a, b := nodes[0], nodes[1]
	fd := b.l.Fd()
	if fd < 0 || fd == b.udps[0].Fd() || fd == b.udps[1].Fd() {
		t.Fatalf("two links: Fd %d", fd)
	}
	step(t, clk, nodes)
	sendOK(t, a, out(2, "\x01wake"))
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	if n, err := unix.Poll(pfd, int(waitLimit/time.Millisecond)); n != 1 || err != nil {
		t.Fatalf("poll on the epoll fd: %d, %v", n, err)
	}
	if got := waitFrames(t, nodes, b, 1); got[0] != (frame{1, 1, "\x01wake"}) {
		t.Fatalf("got %v", got)
	}
	if d := b.l.PollTimeout(); d <= 0 || d > tInterval {
		t.Fatalf("PollTimeout %v", d)
	}

	if err := b.l.Close(); err != nil {
		t.Fatal(err)
	}
	for num, tp := range b.taps {
		if tp.closes.Load() != 1 {
			t.Fatalf("link %d closed %d times", num, tp.closes.Load())
		}
		if err := b.udps[num].Send([]transport.Outgoing{out(1, "x")}); !errors.Is(err, transport.ErrClosed) {
			t.Fatalf("link %d still open: %v", num, err)
		}
	}
	if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); !errors.Is(err, unix.EBADF) {
		t.Fatalf("epoll fd still open: %v", err)
	}
	if err := b.l.Close(); !errors.Is(err, transport.ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
}

// Status may be read while the loop runs (go test -race).
func TestStatusConcurrent(t *testing.T) {
	clk := newFakeClock(0)
	nodes := newCluster(t, 2, Passive, clk, []linkSpec{{0, 1}, {1, 2}}, clusterOpts{})
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
				for _, n := range nodes {
					_ = n.l.Status()
					_ = n.l.Stats()
				}
			}
		}
	}()
	for range 5 {
		step(t, clk, nodes)
		sendOK(t, nodes[0], out(2, "\x01s"))
		waitFrames(t, nodes, nodes[1], 1)
	}
	close(done)
	wg.Wait()
}

// Send, Recv and Release allocate nothing in a steady state with several
// links, heartbeats firing every round, in every mode.
func TestZeroAllocs(t *testing.T) {
	for _, mode := range []Mode{Passive, Active, RoundRobin} {
		t.Run(mode.String(), func(t *testing.T) {
			clk := newFakeClock(0)
			nodes := newCluster(t, 3, mode, clk, []linkSpec{{0, 3}, {1, 2}, {2, 1}}, clusterOpts{})
			step(t, clk, nodes)
			a, b, c := nodes[0], nodes[1], nodes[2]
			frames := make([]transport.Outgoing, 8)
			for i := range frames {
				frames[i] = transport.Outgoing{To: 2, Data: bytes.Repeat([]byte{1}, 1000)}
			}
			frames[7].To = transport.Broadcast
			want := 8 // data frames at b per round
			if mode == Active {
				want = 24
			}
			in := make([]transport.Received, 64)
			var short int
			var firstErr error
			round := func() {
				clk.Advance(tInterval)
				if err := a.l.Send(frames); err != nil && firstErr == nil {
					firstErr = err
				}
				got := 0
				for spins := 0; got < want && spins < 100000; spins++ {
					n, err := b.l.Recv(in)
					if err != nil && firstErr == nil {
						firstErr = err
					}
					got += n
					// Sub-slices, the second half first.
					b.l.Release(in[n/2 : n])
					b.l.Release(in[:n/2])
				}
				if got != want {
					short++
				}
				for range 4 {
					for _, x := range []*node{a, c, b} {
						n, _ := x.l.Recv(in)
						x.l.Release(in[:n])
					}
				}
			}
			round()
			allocs := testing.AllocsPerRun(100, round)
			if firstErr != nil {
				t.Fatal(firstErr)
			}
			if allocs != 0 {
				t.Fatalf("%v: %v allocations per round, want 0", mode, allocs)
			}
			if short != 0 {
				t.Fatalf("%d rounds short of data frames on loopback", short)
			}
			for _, n := range nodes {
				for _, s := range n.l.Status() {
					if !s.Up || s.PingsSent < 100 {
						t.Fatalf("node %d: %+v", n.id, s)
					}
				}
			}
		})
	}
}

// 1 KiB frames from node 1 to node 2 over two links, passive: the layer's
// cost on top of the udp transport's (compare udp's BenchmarkSendRecv1KiB).
func BenchmarkLinksSendRecv1KiB(bm *testing.B) {
	clk := newFakeClock(0)
	nodes := newCluster(bm, 2, Passive, clk, []linkSpec{{0, 2}, {1, 1}}, clusterOpts{})
	a, b := nodes[0].l, nodes[1].l
	out := make([]transport.Outgoing, 64)
	for i := range out {
		out[i] = transport.Outgoing{To: 2, Data: bytes.Repeat([]byte{1}, 1024)}
	}
	in := make([]transport.Received, 64)
	bm.SetBytes(1024)
	bm.ReportAllocs()
	bm.ResetTimer()
	received := 0
	for sent := 0; sent < bm.N; {
		k := min(len(out), bm.N-sent)
		if err := a.Send(out[:k]); err != nil {
			bm.Fatal(err)
		}
		for spins, got := 0, 0; got < k && spins < 100000; spins++ {
			n, err := b.Recv(in)
			if err != nil {
				bm.Fatal(err)
			}
			b.Release(in[:n])
			got += n
			received += n
		}
		sent += k
	}
	bm.ReportMetric(float64(bm.N-received)/float64(bm.N), "loss")
}
