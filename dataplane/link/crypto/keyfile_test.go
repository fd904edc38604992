package crypto

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func writeKey(t *testing.T, name string, data []byte, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // WriteFile is subject to umask
		t.Fatal(err)
	}
	return p
}

func TestReadKeyFile(t *testing.T) {
	for _, n := range []int{MinKeyLen, 256, MaxKeyLen} {
		key := randomKey(t, n)
		p := writeKey(t, "authkey", key, 0o400)
		got, err := ReadKeyFile(p)
		if err != nil || !bytes.Equal(got, key) {
			t.Fatalf("%d-byte key: %v", n, err)
		}
		if _, err := New(Config{Cipher: "aes256", Hash: "sha256", Key: got}); err != nil {
			t.Fatalf("New with a %d-byte key file: %v", n, err)
		}
	}

	// Longer than MaxKeyLen: corosync reads (and uses) the first 4096 bytes.
	long := randomKey(t, MaxKeyLen+100)
	got, err := ReadKeyFile(writeKey(t, "long", long, 0o400))
	if err != nil || !bytes.Equal(got, long[:MaxKeyLen]) {
		t.Fatalf("long key file: %d bytes, %v", len(got), err)
	}

	for _, n := range []int{0, 1, MinKeyLen - 1} {
		_, err := ReadKeyFile(writeKey(t, "short", randomKey(t, n), 0o400))
		want := "could only read"
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%d-byte key file: %v, want %q", n, err, want)
		}
	}

	if _, err := ReadKeyFile(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := ReadKeyFile(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("directory: %v", err)
	}
	if _, err := os.Stat("/dev/urandom"); err == nil {
		if _, err := ReadKeyFile("/dev/urandom"); err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Errorf("/dev/urandom: %v", err)
		}
	}
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err == nil {
		// Opening a FIFO for reading blocks until a writer appears, so
		// give it one that never writes.
		w, err := os.OpenFile(fifo, os.O_RDWR, 0)
		if err == nil {
			defer w.Close()
			if _, err := ReadKeyFile(fifo); err == nil || !strings.Contains(err.Error(), "not a regular file") {
				t.Errorf("fifo: %v", err)
			}
		}
	}

	// A symlink to a regular file is fine (/etc/corosync/authkey may be one).
	key := randomKey(t, 256)
	target := writeKey(t, "target", key, 0o400)
	link := filepath.Join(t.TempDir(), "authkey")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadKeyFile(link); err != nil || !bytes.Equal(got, key) {
		t.Errorf("symlink: %v", err)
	}

	// Permissions are advisory only.
	p := writeKey(t, "open", key, 0o644)
	if _, err := ReadKeyFile(p); err != nil {
		t.Errorf("0644 key file refused: %v", err)
	}
	if err := CheckKeyFilePerm(p); err == nil || !strings.Contains(err.Error(), "0644") {
		t.Errorf("CheckKeyFilePerm(0644) = %v", err)
	}
	for _, m := range []os.FileMode{0o400, 0o600} {
		if err := CheckKeyFilePerm(writeKey(t, "ok", key, m)); err != nil {
			t.Errorf("CheckKeyFilePerm(%#o) = %v", m, err)
		}
	}
}
