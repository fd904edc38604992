package crypto

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"
)

var (
	ciphers = []string{"aes128", "aes192", "aes256"}
	hashes  = []string{"md5", "sha1", "sha256", "sha384", "sha512"}
)

// allConfigs lists every supported (cipher, hash): 15 GCM, 5 HMAC and the
// pass-through.
func allConfigs() [][2]string {
	var cs [][2]string
	for _, c := range ciphers {
		for _, h := range hashes {
			cs = append(cs, [2]string{c, h})
		}
	}
	for _, h := range hashes {
		cs = append(cs, [2]string{"none", h})
	}
	return append(cs, [2]string{"none", "none"})
}

// fixedKey is a deterministic key of n bytes for seed i.
func fixedKey(i byte, n int) []byte {
	var k []byte
	h := sha256.Sum256([]byte{i})
	for len(k) < n {
		k = append(k, h[:]...)
		h = sha256.Sum256(h[:])
	}
	return k[:n]
}

func randomKey(t testing.TB, n int) []byte {
	k := make([]byte, n)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func mustNew(t testing.TB, c, h string, key []byte) *Sealer {
	t.Helper()
	s, err := New(Config{Cipher: c, Hash: h, Key: key})
	if err != nil {
		t.Fatalf("New(%s/%s): %v", c, h, err)
	}
	return s
}

func randomFrame(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func seal(t testing.TB, s *Sealer, frame []byte) []byte {
	t.Helper()
	out, err := s.Seal(make([]byte, 0, len(frame)+s.Overhead()), frame)
	if err != nil {
		t.Fatalf("%s: Seal: %v", s.Mode(), err)
	}
	return out
}

var frameLens = []int{0, 1, 15, 16, 17, 100, 1400, 9000}

func TestRoundTrip(t *testing.T) {
	key := randomKey(t, 256)
	for _, c := range allConfigs() {
		// A sender and a receiver built separately, as on two nodes.
		tx, rx := mustNew(t, c[0], c[1], key), mustNew(t, c[0], c[1], key)
		wantOver := map[string]int{"md5": 29, "sha1": 33, "sha256": 45, "sha384": 61, "sha512": 77}[c[1]]
		switch {
		case c[0] == "none" && c[1] == "none":
			wantOver = 0
		case c[0] != "none":
			wantOver = 29
		}
		if tx.Overhead() != wantOver {
			t.Errorf("%s: Overhead %d, want %d", tx.Mode(), tx.Overhead(), wantOver)
		}
		for _, n := range frameLens {
			frame := randomFrame(t, n)
			sealed := seal(t, tx, frame)
			if len(sealed) != n+tx.Overhead() {
				t.Fatalf("%s: sealed %d bytes, want %d", tx.Mode(), len(sealed), n+tx.Overhead())
			}
			if c[0] != "none" && n >= 16 && bytes.Contains(sealed, frame) {
				t.Errorf("%s: plaintext visible in sealed frame", tx.Mode())
			}
			if c[0] == "none" && c[1] != "none" && !bytes.Equal(sealed[13:13+n], frame) {
				t.Errorf("%s: HMAC payload is not the frame", tx.Mode())
			}
			got, err := rx.Open(make([]byte, 0, n), sealed)
			if err != nil {
				t.Fatalf("%s len %d: Open: %v", tx.Mode(), n, err)
			}
			if !bytes.Equal(got, frame) {
				t.Fatalf("%s len %d: round trip mismatch", tx.Mode(), n)
			}
		}
	}
}

func TestHeaderByte(t *testing.T) {
	key := randomKey(t, 128)
	if b := seal(t, mustNew(t, "aes256", "sha256", key), []byte("x"))[0]; b != 0x11 {
		t.Errorf("GCM header %#x, want 0x11", b)
	}
	if b := seal(t, mustNew(t, "none", "sha256", key), []byte("x"))[0]; b != 0x12 {
		t.Errorf("HMAC header %#x, want 0x12", b)
	}
}

func TestPassThrough(t *testing.T) {
	for _, c := range []Config{{}, {Cipher: "none", Hash: "none"}, {Cipher: "none", Hash: "none", Key: []byte("short")}} {
		s, err := New(c)
		if err != nil {
			t.Fatalf("New(%+v): %v", c, err)
		}
		if s.Overhead() != 0 || s.HeaderLen() != 0 || s.Mode() != "none/none" {
			t.Fatalf("pass-through: overhead %d, header %d, mode %q", s.Overhead(), s.HeaderLen(), s.Mode())
		}
		frame := []byte("totem frame")
		sealed := seal(t, s, frame)
		if !bytes.Equal(sealed, frame) {
			t.Fatalf("pass-through changed the frame")
		}
		got, err := s.Open(nil, nil)
		if err != nil || len(got) != 0 {
			t.Fatalf("Open(empty) = %q, %v", got, err)
		}
	}
}

func TestTamperAnyByte(t *testing.T) {
	key := randomKey(t, 256)
	for _, c := range allConfigs() {
		if c == [2]string{"none", "none"} {
			continue
		}
		s := mustNew(t, c[0], c[1], key)
		for _, n := range []int{0, 1, 200} {
			sealed := seal(t, s, randomFrame(t, n))
			dst := make([]byte, 0, len(sealed))
			for i := range sealed {
				for _, bit := range []byte{0x01, 0x80} {
					sealed[i] ^= bit
					if _, err := s.Open(dst, sealed); !errors.Is(err, ErrAuth) {
						t.Fatalf("%s len %d: flipping bit %#x of byte %d: err %v, want ErrAuth", s.Mode(), n, bit, i, err)
					}
					sealed[i] ^= bit
				}
			}
			if _, err := s.Open(dst, sealed); err != nil {
				t.Fatalf("%s: restored frame: %v", s.Mode(), err)
			}
			if _, err := s.Open(make([]byte, 0, len(sealed)+1), append(sealed[:len(sealed):len(sealed)], 0)); !errors.Is(err, ErrAuth) {
				t.Fatalf("%s: extended frame: err %v, want ErrAuth", s.Mode(), err)
			}
		}
	}
}

func TestTruncated(t *testing.T) {
	key := randomKey(t, 256)
	for _, c := range allConfigs() {
		if c == [2]string{"none", "none"} {
			continue
		}
		s := mustNew(t, c[0], c[1], key)
		sealed := seal(t, s, randomFrame(t, 64))
		dst := make([]byte, 0, len(sealed))
		for n := 0; n < len(sealed); n++ {
			// A fresh copy of exactly n bytes, so that reading past it
			// would be caught by the race detector / bounds checks.
			in := append([]byte(nil), sealed[:n]...)
			if _, err := s.Open(dst, in); !errors.Is(err, ErrAuth) {
				t.Fatalf("%s: truncated to %d of %d: err %v, want ErrAuth", s.Mode(), n, len(sealed), err)
			}
			if _, err := s.Open(nil, in); err == nil {
				t.Fatalf("%s: truncated to %d with nil dst: no error", s.Mode(), n)
			}
		}
	}
}

func TestWrongKey(t *testing.T) {
	k1, k2 := randomKey(t, 256), randomKey(t, 256)
	k3 := append([]byte(nil), k1...)
	k3[255] ^= 1 // one bit off
	k4 := append(append([]byte(nil), k1...), 0)
	for _, c := range allConfigs() {
		if c == [2]string{"none", "none"} {
			continue
		}
		sealed := seal(t, mustNew(t, c[0], c[1], k1), []byte("hello totem"))
		for _, k := range [][]byte{k2, k3, k4} {
			if _, err := mustNew(t, c[0], c[1], k).Open(make([]byte, 0, 64), sealed); !errors.Is(err, ErrAuth) {
				t.Fatalf("%s/%s: wrong key: err %v, want ErrAuth", c[0], c[1], err)
			}
		}
	}
}

func TestCrossSettings(t *testing.T) {
	key := randomKey(t, 256)
	cfgs := allConfigs()
	sealers := make([]*Sealer, len(cfgs))
	sealed := make([][]byte, len(cfgs))
	for i, c := range cfgs {
		sealers[i] = mustNew(t, c[0], c[1], key)
		sealed[i] = seal(t, sealers[i], []byte("the same frame, long enough to matter: 0123456789abcdef"))
	}
	for i := range cfgs {
		for j := range cfgs {
			if i == j || cfgs[j] == [2]string{"none", "none"} {
				continue // pass-through accepts anything
			}
			_, err := sealers[j].Open(make([]byte, 0, 256), sealed[i])
			if !errors.Is(err, ErrAuth) {
				t.Errorf("sealed as %s, opened as %s: err %v, want ErrAuth", sealers[i].Mode(), sealers[j].Mode(), err)
			}
		}
	}
}

func TestNewErrors(t *testing.T) {
	key := randomKey(t, 256)
	cases := []struct {
		cfg  Config
		want string
	}{
		{Config{Cipher: "aes256", Hash: "none", Key: key}, "requires crypto_hash"},
		{Config{Cipher: "aes256", Key: key}, "requires crypto_hash"},
		{Config{Cipher: "aes512", Hash: "sha256", Key: key}, "invalid crypto_cipher"},
		{Config{Cipher: "AES256", Hash: "sha256", Key: key}, "invalid crypto_cipher"},
		{Config{Cipher: "3des", Hash: "sha256", Key: key}, "invalid crypto_cipher"},
		{Config{Cipher: "aes256", Hash: "sha224", Key: key}, "invalid crypto_hash"},
		{Config{Cipher: "none", Hash: "crc32", Key: key}, "invalid crypto_hash"},
		{Config{Cipher: "aes128", Hash: "sha1", Key: key[:MinKeyLen-1]}, "127 bytes"},
		{Config{Cipher: "none", Hash: "sha1", Key: nil}, "0 bytes"},
		{Config{Cipher: "aes128", Hash: "sha1", Key: make([]byte, MaxKeyLen+1)}, "4097 bytes"},
	}
	for _, c := range cases {
		s, err := New(c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(%q/%q, %d-byte key) = %v, %v; want error containing %q", c.cfg.Cipher, c.cfg.Hash, len(c.cfg.Key), s, err, c.want)
		}
	}
	for _, n := range []int{MinKeyLen, MaxKeyLen} {
		if _, err := New(Config{Cipher: "aes256", Hash: "sha256", Key: make([]byte, n)}); err != nil {
			t.Errorf("%d-byte key: %v", n, err)
		}
	}
}

func TestBuffers(t *testing.T) {
	key := randomKey(t, 256)
	for _, c := range allConfigs() {
		s := mustNew(t, c[0], c[1], key)
		frame := randomFrame(t, 100)
		if _, err := s.Seal(make([]byte, 0, 100+s.Overhead()-1), frame); s.Overhead() > 0 && !errors.Is(err, ErrShortBuffer) {
			t.Errorf("%s: Seal into short dst: %v", s.Mode(), err)
		}
		// dst's length is ignored: output starts at dst[0].
		dst := make([]byte, 50, 100+s.Overhead())
		sealed, err := s.Seal(dst, frame)
		if err != nil || &sealed[0] != &dst[0] {
			t.Fatalf("%s: Seal did not write at dst[0]: %v", s.Mode(), err)
		}
		if _, err := s.Open(make([]byte, 0, 99), sealed); !errors.Is(err, ErrShortBuffer) {
			t.Errorf("%s: Open into short dst: %v", s.Mode(), err)
		}

		// In place: the frame built after HeaderLen bytes of headroom.
		buf := make([]byte, s.HeaderLen()+len(frame)+s.Overhead())
		copy(buf[s.HeaderLen():], frame)
		sealed2, err := s.Seal(buf, buf[s.HeaderLen():s.HeaderLen()+len(frame)])
		if err != nil {
			t.Fatalf("%s: Seal in place: %v", s.Mode(), err)
		}
		got, err := s.Open(sealed2[s.HeaderLen():], sealed2)
		if err != nil || !bytes.Equal(got, frame) {
			t.Fatalf("%s: Open in place: %v", s.Mode(), err)
		}

		// Any other overlap is refused, never a panic.
		buf = make([]byte, 2*(len(frame)+s.Overhead()))
		copy(buf[1:], frame)
		if _, err := s.Seal(buf, buf[1:1+len(frame)]); !errors.Is(err, ErrOverlap) {
			t.Errorf("%s: Seal with overlapping input: %v", s.Mode(), err)
		}
		sealed = seal(t, s, frame)
		buf = make([]byte, 2*len(sealed))
		copy(buf, sealed)
		if _, err := s.Open(buf[1:1], buf[:len(sealed)]); !errors.Is(err, ErrOverlap) {
			t.Errorf("%s: Open with overlapping output: %v", s.Mode(), err)
		}
		if _, err := s.Open(buf[:0], buf[:len(sealed)]); s.HeaderLen() > 0 && !errors.Is(err, ErrOverlap) {
			t.Errorf("%s: Open onto the header: %v", s.Mode(), err)
		}
	}
}

func TestNonceUnique(t *testing.T) {
	key := randomKey(t, 256)
	const perSealer = 1 << 16
	seen := make(map[[12]byte]bool, 4*perSealer)
	for _, c := range [][2]string{{"aes256", "sha256"}, {"aes128", "md5"}, {"none", "sha256"}, {"aes256", "sha256"}} {
		s := mustNew(t, c[0], c[1], key)
		dst := make([]byte, 0, 64+s.Overhead())
		frame := []byte("frame")
		var prev uint64
		for i := 0; i < perSealer; i++ {
			out, err := s.Seal(dst, frame)
			if err != nil {
				t.Fatal(err)
			}
			var n [12]byte
			copy(n[:], out[1:13])
			if seen[n] {
				t.Fatalf("%s: nonce %x repeated after %d seals", s.Mode(), n, i)
			}
			seen[n] = true
			if !bytes.Equal(n[:4], s.prefix[:]) {
				t.Fatalf("nonce prefix %x, want %x", n[:4], s.prefix)
			}
			ctr := uint64(n[4])<<56 | uint64(n[5])<<48 | uint64(n[6])<<40 | uint64(n[7])<<32 |
				uint64(n[8])<<24 | uint64(n[9])<<16 | uint64(n[10])<<8 | uint64(n[11])
			if i > 0 && ctr != prev+1 {
				t.Fatalf("counter went %d -> %d", prev, ctr)
			}
			prev = ctr
		}
	}
}

func TestNonceCounterWrapsAndExhausts(t *testing.T) {
	key := randomKey(t, 256)
	s, r := mustNew(t, "aes256", "sha256", key), mustNew(t, "aes256", "sha256", key)
	s.start = ^uint64(0) - 1 // the counter wraps mod 2^64 within the run: fine
	dst, odst := make([]byte, 0, 64), make([]byte, 0, 64)
	for i := 0; i < 4; i++ {
		out, err := s.Seal(dst, []byte("x"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.Open(odst, out); err != nil {
			t.Fatal(err)
		}
	}
	s.seq.Store(seqLimit - 2)
	if _, err := s.Seal(dst, []byte("x")); err != nil {
		t.Fatalf("seal number 2^63-1: %v", err)
	}
	for i := 0; i < 3; i++ {
		if _, err := s.Seal(dst, []byte("x")); !errors.Is(err, ErrNonceExhausted) {
			t.Fatalf("seal past the limit: %v, want ErrNonceExhausted", err)
		}
	}
}

func TestDistinctSealersDistinctNonces(t *testing.T) {
	key := randomKey(t, 256)
	a, b := mustNew(t, "aes256", "sha256", key), mustNew(t, "aes256", "sha256", key)
	if a.prefix == b.prefix && a.start == b.start {
		t.Fatalf("two Sealers drew the same nonce prefix and start") // 2^-96
	}
}

func TestAllocs(t *testing.T) {
	key := randomKey(t, 256)
	for _, c := range allConfigs() {
		s := mustNew(t, c[0], c[1], key)
		frame := randomFrame(t, 1400)
		sbuf := make([]byte, 0, len(frame)+s.Overhead())
		obuf := make([]byte, 0, len(frame))
		sealed := seal(t, s, frame)
		bad := append([]byte(nil), sealed...)
		if len(bad) > 0 {
			bad[len(bad)-1] ^= 1
		}
		var err error
		if a := testing.AllocsPerRun(1000, func() { _, err = s.Seal(sbuf, frame) }); a != 0 || err != nil {
			t.Errorf("%s: Seal: %v allocs, err %v", s.Mode(), a, err)
		}
		if a := testing.AllocsPerRun(1000, func() { _, err = s.Open(obuf, sealed) }); a != 0 || err != nil {
			t.Errorf("%s: Open: %v allocs, err %v", s.Mode(), a, err)
		}
		if a := testing.AllocsPerRun(1000, func() { _, err = s.Open(obuf, bad) }); a != 0 {
			t.Errorf("%s: Open of a forged frame: %v allocs", s.Mode(), a)
		}
		if a := testing.AllocsPerRun(1000, func() { _, err = s.Open(obuf, sealed[:5]) }); a != 0 {
			t.Errorf("%s: Open of a short frame: %v allocs", s.Mode(), a)
		}
	}
}

// TestSealOpenConcurrently runs one sending and one receiving goroutine on the
// same Sealer, the documented use; run with -race.
func TestSealOpenConcurrently(t *testing.T) {
	key := randomKey(t, 256)
	for _, c := range [][2]string{{"aes128", "sha1"}, {"none", "sha384"}} {
		s, peer := mustNew(t, c[0], c[1], key), mustNew(t, c[0], c[1], key)
		incoming := make([][]byte, 500)
		for i := range incoming {
			incoming[i] = seal(t, peer, []byte(fmt.Sprint("frame ", i)))
		}
		done := make(chan error)
		go func() {
			dst := make([]byte, 0, 64)
			for _, in := range incoming {
				if _, err := s.Open(dst, in); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
		dst := make([]byte, 0, 128)
		for i := 0; i < 500; i++ {
			out, err := s.Seal(dst, []byte("outgoing"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := peer.Open(make([]byte, 0, 16), out); err != nil {
				t.Fatal(err)
			}
		}
		if err := <-done; err != nil {
			t.Fatalf("%s: concurrent Open: %v", s.Mode(), err)
		}
	}
}
