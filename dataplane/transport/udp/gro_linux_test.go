//go:build linux

package udp

import (
	"errors"
	"net/netip"
	"slices"
	"testing"

	"github.com/gorosync/gorosync/dataplane/transport"
)

// run45 is a fragmented message's frames to node 2, and what node 2
// should receive from node 1.
func run45() ([]transport.Outgoing, []got) {
	var out []transport.Outgoing
	var want []got
	for i := range 45 {
		out = append(out, transport.Outgoing{To: 2, Data: frame(i, 1000)})
		want = append(want, got{1, string(frame(i, 1000))})
	}
	return out, want
}

// needGRO skips where the kernel lacks UDP_SEGMENT or UDP_GRO (Linux <
// 5.0): New then receives datagram by datagram, which the other tests cover.
func needGRO(t *testing.T, tr *Transport) {
	if !tr.gso || !tr.sys.gro {
		t.Skip("kernel without UDP_SEGMENT/UDP_GRO (Linux < 5.0)")
	}
}

// A coalesced datagram with more frames than the caller has room for is
// handed up over several Recv calls, in order, with no datagram lost.
func TestGROAcrossRecvCalls(t *testing.T) {
	trs := cluster(t, loop3[:2], nil)
	needGRO(t, trs[0])
	out, want := run45()
	out = append(out, transport.Outgoing{To: 2, Data: []byte("token")})
	want = append(want, got{1, "token"})
	if err := trs[0].Send(out); err != nil {
		t.Fatal(err)
	}
	b := trs[1]
	waitReadable(b, waitLimit)
	buf := make([]transport.Received, 10)
	var fs []got
	var sizes []int
	for range 10 {
		n, err := b.Recv(buf)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		sizes = append(sizes, n)
		for _, f := range buf[:n] {
			fs = append(fs, got{f.From, string(f.Data)})
		}
		b.Release(buf[:n])
	}
	if !slices.Equal(fs, want) {
		t.Fatalf("received %d frames (calls %v), not the %d sent in order", len(fs), sizes, len(want))
	}
	if want := []int{10, 10, 10, 10, 6}; !slices.Equal(sizes, want) {
		t.Fatalf("Recv sizes %v, want %v", sizes, want)
	}
	if s := b.Stats(); s.RxGRO != 1 || s.RxFrames != 46 {
		t.Fatalf("receiver stats %+v", s)
	}
}

// A coalesced datagram waits for buffers when the pool runs out, then goes
// on where it stopped; the slot's own buffer is held until its last frame.
func TestGROWaitsForBuffers(t *testing.T) {
	trs := cluster(t, loop3[:2], func(c *Config) { c.RecvBuffers = 8 })
	needGRO(t, trs[0])
	out, want := run45()
	if err := trs[0].Send(out); err != nil {
		t.Fatal(err)
	}
	b := trs[1]
	waitReadable(b, waitLimit)
	held := make([]transport.Received, 64)
	n, err := b.Recv(held)
	if err != nil || n != 7 {
		t.Fatalf("Recv = %d, %v; want 7 (8 buffers, one held by the datagram)", n, err)
	}
	if _, err := b.Recv(make([]transport.Received, 8)); !errors.Is(err, ErrNoBuffers) {
		t.Fatalf("Recv with the pool lent out: %v, want ErrNoBuffers", err)
	}
	var fs []got
	for _, f := range held[:n] {
		fs = append(fs, got{f.From, string(f.Data)})
	}
	b.Release(held[:n])
	rest, _ := recvN(t, b, len(want)-len(fs))
	if fs = append(fs, rest...); !slices.Equal(fs, want) {
		t.Fatalf("received %d frames, not the %d sent in order", len(fs), len(want))
	}
	quiet(t, b)
	if free := len(b.pool.free); free != 8 {
		t.Fatalf("%d of 8 buffers free after everything was released", free)
	}
}

// NoGRO: the kernel cuts the sender's GSO message at the socket.
func TestNoGRO(t *testing.T) {
	trs := cluster(t, loop3[:2], func(c *Config) { c.NoGRO = true })
	if trs[1].sys.gro {
		t.Fatal("GRO on despite NoGRO")
	}
	out, want := run45()
	if err := trs[0].Send(out); err != nil {
		t.Fatal(err)
	}
	fs, _ := recvN(t, trs[1], len(want))
	if !slices.Equal(fs, want) {
		t.Fatalf("received %d frames, not the %d sent in order", len(fs), len(want))
	}
	if s := trs[1].Stats(); s.RxGRO != 0 {
		t.Fatalf("receiver stats %+v", s)
	}
}

// A coalesced datagram is dropped whole when its sender is unlisted (and
// blocked) or its segments are over the MTU; the pool loses nothing.
func TestGRODrops(t *testing.T) {
	self := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.2"), freePort(t, "127.0.0.2"))
	recvCfg := Config{
		Local:         self,
		Peers:         map[uint32]netip.AddrPort{2: self},
		LocalNodeID:   2,
		MTU:           1200,
		RecvBuffers:   64,
		BlockUnlisted: true,
	}
	b, err := New(recvCfg)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	needGRO(t, b)
	// The sender knows b as node 2; b does not know it.
	a, err := New(Config{
		Local:       netip.MustParseAddrPort("127.0.0.1:0"),
		Peers:       map[uint32]netip.AddrPort{2: b.LocalAddr()},
		LocalNodeID: 1,
		MTU:         2000,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.Send(fill(10, 100)); err != nil {
		t.Fatal(err)
	}
	waitReadable(b, waitLimit)
	if n, err := b.Recv(make([]transport.Received, 16)); n != 0 || err != nil {
		t.Fatalf("Recv = %d, %v from an unlisted sender", n, err)
	}
	if s := b.Stats(); s.RxDroppedUnlisted != 1 {
		t.Fatalf("stats %+v", s)
	}
	b.block = false
	if err := a.Send(fill(3, 1800)); err != nil { // segments over b's MTU
		t.Fatal(err)
	}
	waitReadable(b, waitLimit)
	if n, err := b.Recv(make([]transport.Received, 16)); n != 0 || err != nil {
		t.Fatalf("Recv = %d, %v of 1800-byte segments with MTU 1200", n, err)
	}
	if s := b.Stats(); s.RxTooBig != 1 {
		t.Fatalf("stats %+v", s)
	}
	if free := len(b.pool.free); free != 64 {
		t.Fatalf("%d of 64 buffers free", free)
	}
}

func fill(n, size int) []transport.Outgoing {
	out := make([]transport.Outgoing, n)
	for i := range out {
		out[i] = transport.Outgoing{To: 2, Data: frame(i, size)}
	}
	return out
}

// Every free buffer would fit in a slot: one stays out, so a coalesced
// datagram in the first slot hands up its frames while the later slots
// hold theirs; with each frame released, everything arrives.
func TestGROKeepsABufferOutOfTheSlots(t *testing.T) {
	trs := cluster(t, loop3[:2], func(c *Config) { c.RecvBuffers = 4 })
	needGRO(t, trs[0])
	a, b := trs[0], trs[1]
	out, want := run45()
	for i := range 3 { // three datagrams after the coalesced one: 4 slots
		n := 1100 + 100*i // each longer than the last: no run
		out = append(out, transport.Outgoing{To: 2, Data: frame(100+i, n)})
		want = append(want, got{1, string(frame(100+i, n))})
	}
	if err := a.Send(out); err != nil {
		t.Fatal(err)
	}
	waitReadable(b, waitLimit)
	buf := make([]transport.Received, 64)
	var fs []got
	for calls := 0; len(fs) < len(want) && calls < 200; calls++ {
		n, err := b.Recv(buf)
		if err != nil {
			t.Fatalf("after %d frames: %v", len(fs), err)
		}
		for _, f := range buf[:n] {
			fs = append(fs, got{f.From, string(f.Data)})
		}
		b.Release(buf[:n])
	}
	if !slices.Equal(fs, want) {
		t.Fatalf("received %d frames, not the %d sent in order", len(fs), len(want))
	}
}
