package link

import (
	"bytes"
	"net/netip"
	"testing"
	"time"

	"github.com/gorosync/gorosync/dataplane/link/crypto"
	"github.com/gorosync/gorosync/dataplane/transport"
	"github.com/gorosync/gorosync/dataplane/transport/udp"
)

func securePair(t *testing.T, port uint16, keyA, keyB []byte) (*Secure, *Secure) {
	t.Helper()
	a := netip.MustParseAddrPort("127.0.0.1:0").Addr()
	peers := map[uint32]netip.AddrPort{1: netip.AddrPortFrom(a, port), 2: netip.AddrPortFrom(a, port+1)}
	mk := func(id uint32, key []byte) *Secure {
		tr, err := udp.New(udp.Config{Local: peers[id], Peers: peers, LocalNodeID: id})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = tr.Close() })
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
	return mk(1, keyA), mk(2, keyB)
}

func recvOne(s *Secure) ([]byte, bool) {
	frames := make([]transport.Received, 4)
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); time.Sleep(2 * time.Millisecond) {
		if n, _ := s.Recv(frames); n > 0 {
			return bytes.Clone(frames[0].Data), true
		}
	}
	return nil, false
}

func TestSecureRoundTripAndWrongKey(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 256)
	a, b := securePair(t, 25510, key, key)
	msg := []byte("totem frame")
	if err := a.Send([]transport.Outgoing{{To: 2, Data: msg}}); err != nil {
		t.Fatal(err)
	}
	got, ok := recvOne(b)
	if !ok || !bytes.Equal(got, msg) {
		t.Fatalf("got %q, %v", got, ok)
	}
	other := bytes.Repeat([]byte{8}, 256)
	c, d := securePair(t, 25520, key, other)
	if err := c.Send([]transport.Outgoing{{To: 2, Data: msg}}); err != nil {
		t.Fatal(err)
	}
	if _, ok := recvOne(d); ok {
		t.Fatal("a frame sealed with another key was accepted")
	}
	if d.Stats().AuthFailures == 0 {
		t.Fatal("the forged frame was not counted")
	}
}

// Sealing, sending, receiving and opening a batch allocate nothing.
func TestSecureAllocationFree(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 256)
	a, b := securePair(t, 25530, key, key)
	frames := []transport.Outgoing{{To: 2, Data: bytes.Repeat([]byte{1}, 1000)}, {To: 2, Data: []byte("token")}}
	in := make([]transport.Received, 16)
	short := 0
	round := func() {
		if err := a.Send(frames); err != nil {
			t.Fatal(err)
		}
		got := 0
		for spins := 0; got < len(frames) && spins < 100000; spins++ {
			n, _ := b.Recv(in)
			got += n
			b.Release(in[:n])
		}
		if got != len(frames) {
			short++
		}
	}
	round()
	if allocs := testing.AllocsPerRun(200, round); allocs != 0 {
		t.Fatalf("%v allocations per round, want 0", allocs)
	}
	if short != 0 {
		t.Fatalf("%d rounds short of frames on loopback", short)
	}
	if st := b.Stats(); st.Opened < 400 || st.AuthFailures != 0 {
		t.Fatalf("stats %+v", st)
	}
}
