package crypto

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var updateSeeds = flag.Bool("update-fuzz-seeds", false,
	"rewrite the gen-* seed corpus under testdata/fuzz/FuzzOpen")

// fuzzKey is the authkey of the fuzz target's Sealers and of its seeds.
var fuzzKey = fixedKey(0, 256)

// FuzzOpen feeds arbitrary bytes to Open under every supported setting with
// one fixed key. The seeds (testdata/fuzz/FuzzOpen) include authentic frames
// under that key, so mutations start from frames that pass. Open must never
// panic, must report ErrAuth (or success) and nothing else, and whatever it
// accepts must be the right length and survive a re-seal.
func FuzzOpen(f *testing.F) {
	var sealers []*Sealer
	for _, c := range allConfigs() {
		sealers = append(sealers, mustNew(f, c[0], c[1], fuzzKey))
	}
	f.Add([]byte{})
	f.Add([]byte{0x11})
	f.Add(bytes.Repeat([]byte{0x12}, 45))
	dst := make([]byte, 0, 1<<16)
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, s := range sealers {
			out, err := s.Open(dst, in)
			if err != nil {
				if !errors.Is(err, ErrAuth) {
					t.Fatalf("%s: Open: %v, want ErrAuth or success", s.Mode(), err)
				}
				if out != nil {
					t.Fatalf("%s: Open returned data with an error", s.Mode())
				}
				continue
			}
			if len(out) != len(in)-s.Overhead() {
				t.Fatalf("%s: opened %d bytes from %d", s.Mode(), len(out), len(in))
			}
			if s.Overhead() == 0 && !bytes.Equal(out, in) {
				t.Fatalf("pass-through changed the frame")
			}
			if s.Overhead() != 0 && in[0] != s.header {
				t.Fatalf("%s: accepted header %#x", s.Mode(), in[0])
			}
			if s.aead == nil && s.Overhead() != 0 && !bytes.Equal(out, in[13:13+len(out)]) {
				t.Fatalf("%s: HMAC mode returned other bytes than the payload", s.Mode())
			}
			// Only authentic frames get here; one more round trip.
			resealed, err := s.Seal(make([]byte, 0, len(out)+s.Overhead()), out)
			if err != nil {
				t.Fatal(err)
			}
			back, err := s.Open(make([]byte, 0, len(out)), resealed)
			if err != nil || !bytes.Equal(back, out) {
				t.Fatalf("%s: re-seal round trip: %v", s.Mode(), err)
			}
		}
		// Short destination and odd overlaps: errors, never panics.
		for _, s := range sealers {
			if len(in) > s.Overhead()+1 {
				if _, err := s.Open(make([]byte, 0, len(in)-s.Overhead()-1), in); !errors.Is(err, ErrShortBuffer) && !errors.Is(err, ErrAuth) {
					t.Fatalf("%s: short dst: %v", s.Mode(), err)
				}
			}
			buf := append([]byte(nil), in...)
			if len(buf) > 0 {
				s.Open(buf[len(buf)/2:len(buf)/2], buf)
			}
		}
	})
}

// TestUpdateFuzzSeeds regenerates testdata/fuzz/FuzzOpen/gen-*: authentic
// frames under fuzzKey for several settings and frame sizes, with a fixed
// nonce so the corpus is reproducible. Runs only with -update-fuzz-seeds.
func TestUpdateFuzzSeeds(t *testing.T) {
	if !*updateSeeds {
		t.Skip("run with -update-fuzz-seeds to regenerate testdata/fuzz/FuzzOpen")
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzOpen")
	old, err := filepath.Glob(filepath.Join(dir, "gen-*"))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range old {
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) {
		data := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", b)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfgs := [][2]string{
		{"aes256", "sha256"}, {"aes192", "sha512"}, {"aes128", "md5"},
		{"none", "md5"}, {"none", "sha1"}, {"none", "sha256"}, {"none", "sha384"}, {"none", "sha512"},
	}
	for _, c := range cfgs {
		s := mustNew(t, c[0], c[1], fuzzKey)
		s.prefix = [4]byte{0xde, 0xad, 0xbe, 0xef}
		s.start = 1
		for _, n := range []int{0, 1, 70} {
			frame := bytes.Repeat([]byte{byte(n)}, n)
			sealed := seal(t, s, frame)
			write(fmt.Sprintf("gen-%s-%s-%d", c[0], c[1], n), sealed)
			if n == 70 {
				write(fmt.Sprintf("gen-%s-%s-%d-truncated", c[0], c[1], n), sealed[:len(sealed)-1])
			}
		}
	}
}

// TestFuzzSeedsAuthentic checks that the committed gen-* seeds still open
// under fuzzKey (truncated ones must not), so the fuzzer keeps starting from
// frames that pass authentication.
func TestFuzzSeedsAuthentic(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzOpen", "gen-*"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no gen-* seeds: %v", err)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		lit, ok := strings.CutPrefix(string(data), "go test fuzz v1\n[]byte(")
		lit, ok2 := strings.CutSuffix(lit, ")\n")
		in, err := strconv.Unquote(lit)
		if !ok || !ok2 || err != nil {
			t.Fatalf("%s: unparsable seed: %v", p, err)
		}
		f := strings.Split(filepath.Base(p), "-") // gen-<cipher>-<hash>-<n>[-truncated]
		s := mustNew(t, f[1], f[2], fuzzKey)
		_, err = s.Open(make([]byte, 0, len(in)), []byte(in))
		if truncated := len(f) == 5; truncated != (err != nil) {
			t.Errorf("%s: Open: %v", p, err)
		}
	}
}
