package crypto

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// DefaultKeyFile is corosync's default totem.keyfile (COROSYSCONFDIR/authkey).
const DefaultKeyFile = "/etc/corosync/authkey"

// ReadKeyFile reads an authkey as corosync 3.1.7 does (exec/totemconfig.c,
// read_keyfile): the key is the file's first MaxKeyLen bytes at most (a
// longer file is not an error for corosync, which reads MaxKeyLen bytes and
// uses those, so neither is it here), and fewer than MinKeyLen bytes is an
// error ("Could only read N bits of minimum 1024 bits from PATH").
//
// One check is added: path (after symlinks) must be a regular file, so that
// a keyfile pointing at a device, FIFO or directory fails clearly instead of
// yielding, say, 4096 bytes of /dev/urandom that no other node shares.
//
// Permissions are not checked, as corosync and knet do not check them:
// refusing a group- or world-readable key would stop clusters that run under
// corosync today. CheckKeyFilePerm reports such a key for a warning.
func ReadKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("could not open %s: %w", path, unwrapPath(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("could not stat %s: %w", path, unwrapPath(err))
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file (%s)", path, fi.Mode().Type())
	}
	key := make([]byte, MaxKeyLen)
	n, err := io.ReadFull(f, key)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("could not read %s: %w", path, unwrapPath(err))
	}
	if n < MinKeyLen {
		clear(key)
		return nil, fmt.Errorf("could only read %d bits of minimum %d bits from %s", n*8, MinKeyLen*8, path)
	}
	return key[:n:n], nil
}

// CheckKeyFilePerm returns an error describing why the key at path is
// exposed: any permission bit for group or others (corosync-keygen writes
// 0400). It is advisory; ReadKeyFile does not call it. Callers are expected
// to log the result as a warning.
func CheckKeyFilePerm(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%s has mode %#o: the authkey should be readable by its owner only (corosync-keygen writes 0400)", path, perm)
	}
	return nil
}

// unwrapPath drops the *fs.PathError wrapper, whose path and op the
// messages above already give.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
