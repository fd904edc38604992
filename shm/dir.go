package shm

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// descSuffix turns the directory into libqb's "description": every
// per-connection name starts with <dir>/qb.
const descSuffix = "/qb"

const tempChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// makeConnDir creates the per-connection directory like libqb's mkdtemp of
// <shmDir>/qb-<serverpid>-<clientpid>-<fd>-XXXXXX (spec §1.5): mode 0770,
// owned by the client (EPERM ignored, as libqb does when not root).
func makeConnDir(shmDir string, serverPID, clientPID uint32, fd int, uid, gid uint32) (string, error) {
	prefix := filepath.Join(shmDir, fmt.Sprintf("qb-%d-%d-%d-", serverPID, clientPID, fd))
	var suffix [6]byte
	for try := 0; try < 100; try++ {
		var rnd [6]byte
		if _, err := rand.Read(rnd[:]); err != nil {
			return "", err
		}
		for i, b := range rnd {
			suffix[i] = tempChars[int(b)%len(tempChars)]
		}
		dir := prefix + string(suffix[:])
		err := unix.Mkdir(dir, 0o700)
		if err == unix.EEXIST {
			continue
		}
		if err != nil {
			return "", &os.PathError{Op: "mkdir", Path: dir, Err: err}
		}
		if err := unix.Chmod(dir, 0o770); err != nil { // mkdir's mode went through the umask
			_ = unix.Rmdir(dir)
			return "", &os.PathError{Op: "chmod", Path: dir, Err: err}
		}
		if err := unix.Chown(dir, int(uid), int(gid)); err != nil && err != unix.EPERM {
			_ = unix.Rmdir(dir)
			return "", &os.PathError{Op: "chown", Path: dir, Err: err}
		}
		return dir, nil
	}
	return "", &os.PathError{Op: "mkdtemp", Path: prefix + "XXXXXX", Err: unix.EEXIST}
}

// removeConnDir removes the directory after the connection's own files
// were unlinked. A client may have put files of its own there (the
// directory is the client's): those go too. RemoveAll does not follow
// symbolic links.
func removeConnDir(dir string) error {
	if dir == "" {
		return nil
	}
	err := unix.Rmdir(dir)
	if err == nil || err == unix.ENOENT {
		return nil
	}
	if errors.Is(err, unix.ENOTEMPTY) || errors.Is(err, unix.EEXIST) {
		return os.RemoveAll(dir)
	}
	return &os.PathError{Op: "rmdir", Path: dir, Err: err}
}

// unlinkQuiet removes a file, ignoring "already gone".
func unlinkQuiet(path string) error {
	if path == "" {
		return nil
	}
	if err := unix.Unlink(path); err != nil && err != unix.ENOENT {
		return &os.PathError{Op: "unlink", Path: path, Err: err}
	}
	return nil
}
