package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/gorosync/gorosync/dataplane/link/crypto"
)

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	rc := run(args, &out, &errb)
	return rc, out.String(), errb.String()
}

func checkKeyFile(t *testing.T, p string, size int) []byte {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode() != 0o400 {
		t.Errorf("%s: mode %v, want -r-------- (0400)", p, fi.Mode())
	}
	if fi.Size() != int64(size) {
		t.Errorf("%s: %d bytes, want %d", p, fi.Size(), size)
	}
	key, err := crypto.ReadKeyFile(p)
	if err != nil {
		t.Fatalf("ReadKeyFile: %v", err)
	}
	if len(key) != size {
		t.Fatalf("ReadKeyFile: %d bytes, want %d", len(key), size)
	}
	if err := crypto.CheckKeyFilePerm(p); err != nil {
		t.Errorf("CheckKeyFilePerm: %v", err)
	}
	return key
}

func TestGenerateDefaultSize(t *testing.T) {
	dir := t.TempDir()
	p1, p2 := filepath.Join(dir, "authkey1"), filepath.Join(dir, "authkey2")
	rc, out, errs := runCmd(t, "-k", p1)
	if rc != 0 || errs != "" {
		t.Fatalf("rc %d, stderr %q", rc, errs)
	}
	want := "Corosync Cluster Engine Authentication key generator.\n" +
		"Gathering 2048 bits for key from /dev/urandom.\n" +
		"Writing corosync key to " + p1 + ".\n"
	if out != want {
		t.Errorf("stdout:\n%s\nwant:\n%s", out, want)
	}
	if rc, _, errs := runCmd(t, "--key-file="+p2); rc != 0 {
		t.Fatalf("second run: rc %d, %s", rc, errs)
	}
	k1, k2 := checkKeyFile(t, p1, 256), checkKeyFile(t, p2, 256)
	if bytes.Equal(k1, k2) {
		t.Fatal("two runs wrote the same key")
	}
	// Crude randomness check: a 256-byte random key has about 162
	// distinct byte values (256·(1−(255/256)^256)), standard deviation
	// about 5; a stuck or narrow source has far fewer. 120 is 8 standard
	// deviations down: 150 (2.4) failed about one run in a hundred.
	for _, k := range [][]byte{k1, k2} {
		seen := map[byte]bool{}
		for _, b := range k {
			seen[b] = true
		}
		if len(seen) < 120 {
			t.Errorf("key has only %d distinct byte values", len(seen))
		}
	}

	// The key works for every crypto setting, across two "nodes".
	for _, c := range [][2]string{{"aes256", "sha256"}, {"aes128", "sha1"}, {"none", "sha512"}} {
		tx, err := crypto.New(crypto.Config{Cipher: c[0], Hash: c[1], Key: k1})
		if err != nil {
			t.Fatalf("crypto.New(%s/%s): %v", c[0], c[1], err)
		}
		rx, _ := crypto.New(crypto.Config{Cipher: c[0], Hash: c[1], Key: k1})
		other, _ := crypto.New(crypto.Config{Cipher: c[0], Hash: c[1], Key: k2})
		frame := []byte("memb_join")
		sealed, err := tx.Seal(make([]byte, 0, 64+tx.Overhead()), frame)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := rx.Open(make([]byte, 0, 64), sealed); err != nil || !bytes.Equal(got, frame) {
			t.Fatalf("%s/%s: Open: %v", c[0], c[1], err)
		}
		if _, err := other.Open(make([]byte, 0, 64), sealed); err != crypto.ErrAuth {
			t.Fatalf("%s/%s: other key: %v, want ErrAuth", c[0], c[1], err)
		}
	}
}

func TestGenerateSizes(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		size int
	}{
		{[]string{"-s", "128"}, 128},
		{[]string{"-s4096"}, 4096},
		{[]string{"--size=1024"}, 1024},
		{[]string{"--size", "300", "-l"}, 300},
		{[]string{"-l", "--less-secure", "--si=512"}, 512},
	} {
		p := filepath.Join(dir, strings.Join(c.args, "_"))
		rc, out, errs := runCmd(t, append(c.args, "-k", p)...)
		if rc != 0 {
			t.Fatalf("%v: rc %d, %s", c.args, rc, errs)
		}
		if want := "Gathering " + strconv.Itoa(c.size*8) + " bits"; !strings.Contains(out, want) {
			t.Errorf("%v: stdout %q lacks %q", c.args, out, want)
		}
		checkKeyFile(t, p, c.size)
	}
	for _, bad := range []string{"127", "4097", "0", "-1", "abc", "256x", ""} {
		p := filepath.Join(dir, "bad")
		rc, _, errs := runCmd(t, "-k", p, "-s", bad)
		if rc != 1 || !strings.Contains(errs, "Unsupported key size (supported <128,4096>)") {
			t.Errorf("-s %q: rc %d, stderr %q", bad, rc, errs)
		}
		if _, err := os.Stat(p); err == nil {
			t.Errorf("-s %q: wrote a key anyway", bad)
		}
	}
}

func TestRandomFile(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "source")
	data := bytes.Repeat([]byte("0123456789abcdef"), 32) // 512 bytes
	if err := os.WriteFile(src, data, 0o600); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "authkey")
	rc, out, errs := runCmd(t, "-r", src, "-k", p, "-s", "200")
	if rc != 0 {
		t.Fatalf("rc %d: %s", rc, errs)
	}
	if !strings.Contains(out, "from "+src+".") {
		t.Errorf("stdout %q does not name the source", out)
	}
	if key := checkKeyFile(t, p, 200); !bytes.Equal(key, data[:200]) {
		t.Errorf("key is not the source's first 200 bytes")
	}

	// A source shorter than the key, and a missing one: exit 1, no key.
	p2 := filepath.Join(dir, "authkey2")
	if rc, _, errs := runCmd(t, "-r", src, "-k", p2, "-s", "1024"); rc != 1 || !strings.Contains(errs, "only 512 of 1024 bytes") {
		t.Errorf("short source: rc %d, %q", rc, errs)
	}
	if rc, out, errs := runCmd(t, "--random-file", filepath.Join(dir, "missing"), "-k", p2); rc != 1 ||
		!strings.Contains(errs, "Failed to open random source") || !strings.Contains(out, "Gathering 2048 bits") {
		t.Errorf("missing source: rc %d, %q %q", rc, out, errs)
	}
	if _, err := os.Stat(p2); err == nil {
		t.Errorf("a key was written from a failed source")
	}
}

// corosync-keygen overwrites an existing key (O_TRUNC); so do we.
func TestOverwrite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "authkey")
	if err := os.WriteFile(p, bytes.Repeat([]byte{'x'}, 5000), 0o600); err != nil {
		t.Fatal(err)
	}
	if rc, _, errs := runCmd(t, "-k", p); rc != 0 {
		t.Fatalf("overwrite 0600 file: rc %d, %s", rc, errs)
	}
	key := checkKeyFile(t, p, 256)
	if bytes.Count(key, []byte{'x'}) > 32 {
		t.Fatal("old content survived")
	}
	// Now p is 0400: root overwrites it (as corosync-keygen run as root
	// does); anyone else cannot open it for writing: exit 2.
	rc, _, errs := runCmd(t, "-k", p)
	if os.Geteuid() == 0 {
		if rc != 0 {
			t.Fatalf("root overwriting a 0400 key: rc %d, %s", rc, errs)
		}
		if key2 := checkKeyFile(t, p, 256); bytes.Equal(key, key2) {
			t.Fatal("key not replaced")
		}
	} else if rc != 2 || !strings.Contains(errs, "Could not create") {
		t.Fatalf("non-root overwriting a 0400 key: rc %d, %s", rc, errs)
	}
}

func TestErrors(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "authkey")
	if rc, _, errs := runCmd(t, "-k", filepath.Join(dir, "no", "such", "dir", "authkey")); rc != 2 || !strings.Contains(errs, "Could not create") {
		t.Errorf("missing directory: rc %d, %q", rc, errs)
	}
	for _, args := range [][]string{
		{"-x"}, {"--bogus"}, {"-k"}, {"--key-file"}, {"-s"}, {"--help=yes"},
		{p}, // a stray operand is refused, not ignored
		{"-k", p, "extra"}, {"--", p},
	} {
		rc, out, errs := runCmd(t, args...)
		if rc != 1 || !strings.Contains(out, "Error parsing command line options.") || errs == "" {
			t.Errorf("%q: rc %d, stdout %q, stderr %q", args, rc, out, errs)
		}
	}
	if _, err := os.Stat(p); err == nil {
		t.Error("a key was written despite a usage error")
	}
	for _, args := range [][]string{{"-h"}, {"--help"}, {"--he"}, {"-lh"}, {"-h", "-s", "1"}} {
		rc, out, _ := runCmd(t, args...)
		if rc != 0 || !strings.HasPrefix(out, "Usage: gorosync-keygen") {
			t.Errorf("%q: rc %d, %q", args, rc, out)
		}
	}
}

func TestParseArgs(t *testing.T) {
	for _, c := range []struct {
		args []string
		want options
	}{
		{nil, options{keyFile: crypto.DefaultKeyFile, size: 256}},
		{[]string{"-kfoo"}, options{keyFile: "foo", size: 256}},
		{[]string{"-lk", "foo", "-r/dev/random"}, options{keyFile: "foo", size: 256, randomFile: "/dev/random"}},
		{[]string{"--key=foo", "--rand", "bar", "--"}, options{keyFile: "foo", size: 256, randomFile: "bar"}},
		{[]string{"-k", "-s"}, options{keyFile: "-s", size: 256}}, // getopt takes the next word as the argument
	} {
		got, err := parseArgs(c.args)
		if err != nil || got != c.want {
			t.Errorf("parseArgs(%q) = %+v, %v; want %+v", c.args, got, err, c.want)
		}
	}
}
