//go:build linux

package udp

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"testing"

	"github.com/gorosync/gorosync/dataplane/transport"
)

var loop3 = []string{"127.0.0.1", "127.0.0.2", "127.0.0.3"}

func TestBroadcastAndUnicast(t *testing.T) {
	trs := cluster(t, loop3, nil)
	a, b, c := trs[0], trs[1], trs[2]

	if err := a.Send([]transport.Outgoing{{To: transport.Broadcast, Data: []byte("to all")}}); err != nil {
		t.Fatal(err)
	}
	for _, tr := range []*Transport{b, c} {
		fs, _ := recvN(t, tr, 1)
		if want := (got{1, "to all"}); fs[0] != want {
			t.Fatalf("got %+v, want %+v", fs[0], want)
		}
		quiet(t, tr) // exactly once
	}
	quiet(t, a) // self skipped

	if err := a.Send([]transport.Outgoing{{To: 3, Data: []byte("to 3")}}); err != nil {
		t.Fatal(err)
	}
	fs, _ := recvN(t, c, 1)
	if want := (got{1, "to 3"}); fs[0] != want {
		t.Fatalf("got %+v, want %+v", fs[0], want)
	}
	quiet(t, b)
	quiet(t, c)

	// From names each sender.
	if err := c.Send([]transport.Outgoing{{To: 2, Data: []byte("from 3")}}); err != nil {
		t.Fatal(err)
	}
	if fs, _ := recvN(t, b, 1); fs[0] != (got{3, "from 3"}) {
		t.Fatalf("got %+v", fs[0])
	}

	if s := a.Stats(); s.TxFrames != 3 || s.TxDropped != 0 || s.Errors != 0 {
		t.Fatalf("sender stats %+v", s)
	}
	if s := b.Stats(); s.RxFrames != 2 || s.RxUnlisted != 0 {
		t.Fatalf("receiver stats %+v", s)
	}
}

func TestRecvBatches(t *testing.T) {
	trs := cluster(t, loop3[:2], nil)
	a, b := trs[0], trs[1]
	const n = 40
	out := make([]transport.Outgoing, n)
	for i := range out {
		out[i] = transport.Outgoing{To: 2, Data: fmt.Appendf(nil, "frame %d", i)}
	}
	if err := a.Send(out); err != nil {
		t.Fatal(err)
	}
	fs, calls := recvN(t, b, n)
	if len(calls) >= n {
		t.Fatalf("%d Recv calls for %d frames: no batching (%v)", len(calls), n, calls)
	}
	t.Logf("Recv call sizes: %v", calls)
	for i, f := range fs {
		if want := (got{1, fmt.Sprintf("frame %d", i)}); f != want {
			t.Fatalf("frame %d: got %+v, want %+v", i, f, want)
		}
	}
}

// With a batch smaller than the frames waiting, one Recv call loops over
// several recvmmsg calls and still fills the caller's slice.
func TestRecvSeveralSyscalls(t *testing.T) {
	trs := cluster(t, loop3[:2], func(c *Config) { c.Batch = 4 })
	a, b := trs[0], trs[1]
	out := make([]transport.Outgoing, 10) // 3 sendmmsg calls
	for i := range out {
		out[i] = transport.Outgoing{To: 2, Data: []byte{byte(i)}}
	}
	if err := a.Send(out); err != nil {
		t.Fatal(err)
	}
	fs, _ := recvN(t, b, 10)
	for i, f := range fs {
		if f.Data != string([]byte{byte(i)}) {
			t.Fatalf("frame %d = %q", i, f.Data)
		}
	}
	if s := a.Stats(); s.TxFrames != 10 {
		t.Fatalf("stats %+v", s)
	}
}

// A broadcast to more peers than the batch flushes in the middle of the
// frame's expansion; every peer still gets it once.
func TestBroadcastWiderThanBatch(t *testing.T) {
	addrs := []string{"127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"}
	trs := cluster(t, addrs, func(c *Config) { c.Batch = 3 })
	out := []transport.Outgoing{
		{To: transport.Broadcast, Data: []byte("x")},
		{To: transport.Broadcast, Data: []byte("y")},
		{To: 2, Data: []byte("z")},
	}
	if err := trs[0].Send(out); err != nil {
		t.Fatal(err)
	}
	for i, tr := range trs[1:] {
		want := []got{{1, "x"}, {1, "y"}}
		if i == 0 {
			want = append(want, got{1, "z"})
		}
		fs, _ := recvN(t, tr, len(want))
		if !slices.Equal(fs, want) {
			t.Fatalf("node %d got %v, want %v", i+2, fs, want)
		}
		quiet(t, tr)
	}
}

func TestMTU(t *testing.T) {
	const mtu = 1200
	trs := cluster(t, loop3[:2], func(c *Config) { c.MTU = mtu })
	a, b := trs[0], trs[1]
	full := bytes.Repeat([]byte{0xab}, mtu)
	big := bytes.Repeat([]byte{0xcd}, mtu+1)
	err := a.Send([]transport.Outgoing{{To: 2, Data: big}, {To: 2, Data: full}})
	if !errors.Is(err, ErrFrameTooBig) {
		t.Fatalf("Send of %d bytes: %v, want ErrFrameTooBig", len(big), err)
	}
	fs, _ := recvN(t, b, 1)
	if fs[0].Data != string(full) {
		t.Fatalf("got %d bytes, want the %d-byte frame", len(fs[0].Data), mtu)
	}
	quiet(t, b)
	if s := a.Stats(); s.TxTooBig != 1 || s.TxFrames != 1 {
		t.Fatalf("sender stats %+v", s)
	}

	// A datagram over the MTU from outside is dropped whole, not cut.
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(b.LocalAddr()))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(big); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(full); err != nil {
		t.Fatal(err)
	}
	fs, _ = recvN(t, b, 1) // the full one, from an unlisted port
	if len(fs[0].Data) != mtu || fs[0].From != 0 {
		t.Fatalf("got %d bytes from %d", len(fs[0].Data), fs[0].From)
	}
	if s := b.Stats(); s.RxTooBig != 1 {
		t.Fatalf("receiver stats %+v", s)
	}
}

func TestIPv6(t *testing.T) {
	p1, p2 := freePort(t, "::1"), freePort(t, "::1")
	peers := map[uint32]netip.AddrPort{
		1: netip.AddrPortFrom(netip.IPv6Loopback(), p1),
		2: netip.AddrPortFrom(netip.IPv6Loopback(), p2),
	}
	trs, err := openAll(peers, 2, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer trs[0].Close()
	defer trs[1].Close()
	if err := trs[0].Send([]transport.Outgoing{{To: transport.Broadcast, Data: []byte("v6")}}); err != nil {
		t.Fatal(err)
	}
	if fs, _ := recvN(t, trs[1], 1); fs[0] != (got{1, "v6"}) {
		t.Fatalf("got %+v", fs[0])
	}
	if err := trs[1].Send([]transport.Outgoing{{To: 1, Data: []byte("back")}}); err != nil {
		t.Fatal(err)
	}
	if fs, _ := recvN(t, trs[0], 1); fs[0] != (got{2, "back"}) {
		t.Fatalf("got %+v", fs[0])
	}
}

// A dual-stack socket on :: reaches an IPv4 peer through a v4-mapped
// address and names it by its IPv4 entry when it answers.
func TestDualStackV4Peer(t *testing.T) {
	port := freePort(t, "127.0.0.1")
	v6port := freePort(t, "::")
	peers := map[uint32]netip.AddrPort{
		1: netip.AddrPortFrom(netip.IPv6Unspecified(), v6port),
		2: netip.MustParseAddrPort(fmt.Sprintf("127.0.0.1:%d", port)),
	}
	a, err := New(Config{Local: peers[1], Peers: peers, LocalNodeID: 1})
	if err != nil {
		// Only a kernel without IPv6 refuses a :: socket (some containers);
		// the IPv4 paths are tested without any skip.
		t.Skipf("no dual-stack socket (no IPv6 here): %v", err)
	}
	defer a.Close()
	// Node 2 knows node 1 by its v4-mapped address on loopback.
	peers2 := map[uint32]netip.AddrPort{
		1: netip.MustParseAddrPort(fmt.Sprintf("127.0.0.1:%d", v6port)),
		2: peers[2],
	}
	b, err := New(Config{Local: peers[2], Peers: peers2, LocalNodeID: 2, BlockUnlisted: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := a.Send([]transport.Outgoing{{To: 2, Data: []byte("hi")}}); err != nil {
		t.Fatal(err)
	}
	if fs, _ := recvN(t, b, 1); fs[0] != (got{1, "hi"}) {
		t.Fatalf("got %+v", fs[0])
	}
	if err := b.Send([]transport.Outgoing{{To: 1, Data: []byte("ho")}}); err != nil {
		t.Fatal(err)
	}
	if fs, _ := recvN(t, a, 1); fs[0] != (got{2, "ho"}) {
		t.Fatalf("got %+v", fs[0])
	}
}

func TestUnlisted(t *testing.T) {
	for _, block := range []bool{true, false} {
		t.Run(fmt.Sprintf("block=%v", block), func(t *testing.T) {
			trs := cluster(t, loop3[:2], func(c *Config) { c.BlockUnlisted = block })
			a, b := trs[0], trs[1]
			// 127.0.0.9 is in no peer list.
			stranger, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 9)})
			if err != nil {
				t.Fatal(err) // 127.0.0.0/8 is loopback on Linux: this must work
			}
			defer stranger.Close()
			if _, err := stranger.WriteToUDPAddrPort([]byte("intruder"), b.LocalAddr()); err != nil {
				t.Fatal(err)
			}
			// A listed frame after it shows the stranger's has been seen.
			if err := a.Send([]transport.Outgoing{{To: 2, Data: []byte("member")}}); err != nil {
				t.Fatal(err)
			}
			want := []got{{1, "member"}}
			if !block {
				want = []got{{0, "intruder"}, {1, "member"}}
			}
			fs, _ := recvN(t, b, len(want))
			if !slices.Equal(fs, want) {
				t.Fatalf("got %v, want %v", fs, want)
			}
			s := b.Stats()
			dropped := uint64(0)
			if block {
				dropped = 1
			}
			if s.RxUnlisted != 1 || s.RxDroppedUnlisted != dropped || s.RxFrames != uint64(len(want)) {
				t.Fatalf("stats %+v", s)
			}
		})
	}
}

// Six datagrams into a pool of four, without GSO and GRO (for those see
// TestGROWaitsForBuffers and TestGROKeepsABufferOutOfTheSlots).
func TestPoolAndRelease(t *testing.T) {
	trs := cluster(t, loop3[:2], func(c *Config) { c.RecvBuffers = 4; c.NoGSO = true; c.NoGRO = true })
	a, b := trs[0], trs[1]
	out := make([]transport.Outgoing, 6)
	for i := range out {
		out[i] = transport.Outgoing{To: 2, Data: []byte{byte(i)}}
	}
	if err := a.Send(out); err != nil {
		t.Fatal(err)
	}
	waitReadable(b, waitLimit)
	held := make([]transport.Received, 8)
	n, err := b.Recv(held)
	if err != nil || n != 4 {
		t.Fatalf("Recv = %d, %v; want the pool's 4", n, err)
	}
	if _, err := b.Recv(make([]transport.Received, 8)); !errors.Is(err, ErrNoBuffers) {
		t.Fatalf("Recv with the pool lent out: %v, want ErrNoBuffers", err)
	}
	// Frames stay intact while held: the buffers are not reused.
	for i := range n {
		if !bytes.Equal(held[i].Data, []byte{byte(i)}) {
			t.Fatalf("held frame %d = %v", i, held[i].Data)
		}
	}
	b.Release(held[:n])
	if held[0].Data != nil || held[0].Handle() != 0 {
		t.Fatal("Release did not clear the frame")
	}
	b.Release(held[:1]) // again: counted, harmless
	if s := b.Stats(); s.Errors != 1 {
		t.Fatalf("double release: stats %+v", s)
	}
	fs, _ := recvN(t, b, 2)
	if fs[0].Data != "\x04" || fs[1].Data != "\x05" {
		t.Fatalf("rest: %v", fs)
	}
}

func TestUnknownPeer(t *testing.T) {
	trs := cluster(t, loop3[:2], nil)
	err := trs[0].Send([]transport.Outgoing{{To: 7, Data: []byte("?")}, {To: 2, Data: []byte("ok")}})
	if !errors.Is(err, ErrUnknownPeer) {
		t.Fatalf("Send to node 7: %v", err)
	}
	if fs, _ := recvN(t, trs[1], 1); fs[0].Data != "ok" {
		t.Fatalf("got %v", fs)
	}
}

func TestClose(t *testing.T) {
	trs := cluster(t, loop3[:1], nil)
	tr := trs[0]
	if tr.Fd() < 0 {
		t.Fatal("no fd")
	}
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if tr.Fd() != -1 {
		t.Fatal("Fd after Close")
	}
	if _, err := tr.Recv(make([]transport.Received, 1)); err != transport.ErrClosed {
		t.Fatalf("Recv: %v", err)
	}
	if err := tr.Send([]transport.Outgoing{{To: 1}}); err != transport.ErrClosed {
		t.Fatalf("Send: %v", err)
	}
	if err := tr.Close(); err != transport.ErrClosed {
		t.Fatalf("second Close: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	l4 := netip.MustParseAddrPort("127.0.0.1:5405")
	l6 := netip.MustParseAddrPort("[::1]:5405")
	for name, cfg := range map[string]Config{
		"no local":      {},
		"mtu":           {Local: l4, MTU: 70000},
		"batch":         {Local: l4, Batch: 2000},
		"buffers":       {Local: l4, RecvBuffers: -1},
		"node id 0":     {Local: l4, Peers: map[uint32]netip.AddrPort{0: l4}},
		"no port":       {Local: l4, Peers: map[uint32]netip.AddrPort{1: netip.MustParseAddrPort("127.0.0.2:0")}},
		"v6 peer on v4": {Local: l4, Peers: map[uint32]netip.AddrPort{1: l6}},
		"v4 peer on v6": {Local: l6, Peers: map[uint32]netip.AddrPort{1: l4}},
		"shared addr":   {Local: l4, Peers: map[uint32]netip.AddrPort{1: l4, 2: netip.MustParseAddrPort("[::ffff:127.0.0.1]:5405")}},
		"bad zone":      {Local: netip.MustParseAddrPort("[fe80::1%no-such-if]:5405")},
	} {
		if tr, err := New(cfg); err == nil {
			tr.Close()
			t.Errorf("%s: New accepted %+v", name, cfg)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

func TestLocalPortZero(t *testing.T) {
	tr, err := New(Config{Local: netip.MustParseAddrPort("127.0.0.1:0")})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if tr.LocalAddr().Port() == 0 {
		t.Fatal("LocalAddr has no port")
	}
	if tr.MTU() != DefaultMTU {
		t.Fatalf("MTU %d", tr.MTU())
	}
}
