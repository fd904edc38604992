//go:build linux

package udp

import (
	"bytes"
	"fmt"
	"slices"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/gorosync/gorosync/dataplane/transport"
)

// frame is n bytes that name frame i, so a receiver can tell frames apart
// and see that none was cut or merged.
func frame(i, n int) []byte {
	b := bytes.Repeat([]byte{byte(i)}, n)
	copy(b, fmt.Sprintf("%04d", i))
	return b
}

// needGSO skips where the kernel has no UDP_SEGMENT (Linux < 4.18): New
// then sends datagram by datagram, which the other tests cover.
func needGSO(t *testing.T, tr *Transport) {
	if !tr.gso {
		t.Skip("kernel without UDP_SEGMENT (Linux < 4.18)")
	}
}

// countCalls records, per sendmmsg call, the datagrams of each message.
func countCalls(t *testing.T) *[][]int {
	calls := new([][]int)
	t.Cleanup(func() { sendmmsgFunc = sendmmsg })
	sendmmsgFunc = func(fd int, hdrs []unix.Mmsghdr) (int, unix.Errno) {
		var segs []int
		for i := range hdrs {
			segs = append(segs, int(hdrs[i].Hdr.Iovlen))
		}
		*calls = append(*calls, segs)
		return sendmmsg(fd, hdrs)
	}
	return calls
}

// A fragmented message's frames (all full but the last) and the token
// after them: one GSO message per peer for the run, one datagram per peer
// for the token; the receivers get every frame, whole and in order.
func TestGSORunToEveryPeer(t *testing.T) {
	trs := cluster(t, loop3, nil)
	needGSO(t, trs[0])
	var out []transport.Outgoing
	var want []got
	for i := range 45 {
		n := 1400
		if i == 44 {
			n = 1000 // a shorter last fragment still belongs to the run
		}
		out = append(out, transport.Outgoing{To: transport.Broadcast, Data: frame(i, n)})
		want = append(want, got{1, string(frame(i, n))})
	}
	out = append(out, transport.Outgoing{To: transport.Broadcast, Data: frame(45, 70)})
	want = append(want, got{1, string(frame(45, 70))})
	calls := countCalls(t)
	if err := trs[0].Send(out); err != nil {
		t.Fatal(err)
	}
	if wantCalls := [][]int{{45, 45, 1, 1}}; !slices.EqualFunc(*calls, wantCalls, slices.Equal) {
		t.Fatalf("sendmmsg messages %v, want %v", *calls, wantCalls)
	}
	for _, tr := range trs[1:] {
		fs, _ := recvN(t, tr, len(want))
		if !slices.Equal(fs, want) {
			t.Fatalf("%v received %d frames, not the %d sent in order", tr.local, len(fs), len(want))
		}
		quiet(t, tr)
		if s := tr.Stats(); s.RxGRO != 1 || s.RxFrames != 46 {
			t.Fatalf("receiver stats %+v: want the run as one coalesced datagram, and the token", s)
		}
	}
	if s := trs[0].Stats(); s.TxFrames != 92 || s.TxGSO != 2 || s.TxDropped != 0 || s.GSOOff != 0 {
		t.Fatalf("sender stats %+v", s)
	}
}

// Where a run ends: another destination, a longer frame, a frame after a
// shorter one, an empty frame, 64 datagrams, a UDP payload's bytes, the
// send slots.
func TestGSORunBoundaries(t *testing.T) {
	tr := cluster(t, loop3[:2], func(c *Config) { c.Batch = 100 })[0]
	needGSO(t, tr)
	fr := func(to uint32, sizes ...int) []transport.Outgoing {
		var out []transport.Outgoing
		for i, n := range sizes {
			out = append(out, transport.Outgoing{To: to, Data: frame(i, n)})
		}
		return out
	}
	rep := func(n, size int) []int { return slices.Repeat([]int{size}, n) }
	cases := []struct {
		name string
		out  []transport.Outgoing
		room int
		want []int // run lengths, in order
	}{
		{"one size", fr(2, 100, 100, 100), 100, []int{3}},
		{"shorter last", fr(2, 100, 100, 60), 100, []int{3}},
		{"after the shorter", fr(2, 100, 60, 60), 100, []int{2, 1}},
		{"longer", fr(2, 100, 200, 200), 100, []int{1, 2}},
		{"empty", fr(2, 100, 0, 100), 100, []int{1, 1, 1}},
		{"other destination", append(fr(2, 100, 100), fr(1, 100)...), 100, []int{2, 1}},
		{"64 datagrams", fr(2, rep(70, 10)...), 100, []int{64, 6}},
		{"a payload's bytes", fr(2, rep(50, 1400)...), 100, []int{46, 4}},
		{"room", fr(2, rep(10, 100)...), 4, []int{4, 4, 2}},
	}
	for _, c := range cases {
		var runs []int
		for i := 0; i < len(c.out); {
			n := tr.runLen(c.out[i:], c.room)
			runs = append(runs, n)
			i += n
		}
		if !slices.Equal(runs, c.want) {
			t.Errorf("%s: runs %v, want %v", c.name, runs, c.want)
		}
	}
}

// More frames than send slots: the run ends at the last slot, the slots
// are flushed and reused, and every frame arrives once, in order.
func TestGSORunsAcrossFlushes(t *testing.T) {
	trs := cluster(t, loop3[:2], func(c *Config) { c.Batch = 8 })
	var out []transport.Outgoing
	var want []got
	for i := range 30 {
		out = append(out, transport.Outgoing{To: 2, Data: frame(i, 500)})
		want = append(want, got{1, string(frame(i, 500))})
	}
	if err := trs[0].Send(out); err != nil {
		t.Fatal(err)
	}
	if fs, _ := recvN(t, trs[1], len(want)); !slices.Equal(fs, want) {
		t.Fatalf("received %d frames, not the %d sent in order", len(fs), len(want))
	}
	quiet(t, trs[1])
	if s := trs[0].Stats(); trs[0].gso && s.TxGSO != 4 {
		t.Fatalf("sender stats %+v, want 4 GSO messages (8+8+8+6)", s)
	}
}

// A path that refuses GSO (EIO: no checksum offload) costs the refused
// messages (here one to each of two peers), counted; the transport then
// sends datagram by datagram.
func TestGSORefusedFallsBack(t *testing.T) {
	trs := cluster(t, loop3, nil)
	needGSO(t, trs[0])
	calls := script(t, step{errno: unix.EIO}, step{errno: unix.EIO})
	if err := trs[0].Send(numbered(5, transport.Broadcast)); err != nil {
		t.Fatalf("Send: %v (a refused GSO message is loss, not an error)", err)
	}
	if s := trs[0].Stats(); s.GSOOff != 1 || s.TxDropped != 10 || s.TxFrames != 0 {
		t.Fatalf("stats after refusal %+v", s)
	}
	if err := trs[0].Send(numbered(5, 2)); err != nil {
		t.Fatal(err)
	}
	if *calls != 3 {
		t.Fatalf("%d sendmmsg calls, want 3", *calls)
	}
	if fs, _ := recvN(t, trs[1], 5); !slices.Equal(datas(fs), []byte{0, 1, 2, 3, 4}) {
		t.Fatalf("after fallback received %v", datas(fs))
	}
	if s := trs[0].Stats(); s.TxGSO != 0 || s.TxFrames != 5 {
		t.Fatalf("stats after fallback %+v", s)
	}
}

// NoGSO sends each frame as its own message.
func TestNoGSO(t *testing.T) {
	trs := cluster(t, loop3[:2], func(c *Config) { c.NoGSO = true })
	calls := countCalls(t)
	if err := trs[0].Send(numbered(3, 2)); err != nil {
		t.Fatal(err)
	}
	if want := [][]int{{1, 1, 1}}; !slices.EqualFunc(*calls, want, slices.Equal) {
		t.Fatalf("sendmmsg messages %v, want %v", *calls, want)
	}
	recvN(t, trs[1], 3)
}
