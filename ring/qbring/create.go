//go:build linux

package qbring

import (
	"errors"
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Create makes base+"-header" and base+"-data", maps them and initialises
// them as libqb's creator does (§3.1, §3.2): word_size, both paths,
// write_pt = read_pt = 0, ref_count = 1, the semaphore, a zeroed data
// file of DataSize(maxMsg) bytes. Both files are 0600 and, unless uid < 0,
// chowned to uid:gid so that a non-root client can open them. base is an
// absolute path such as /dev/shm/qb-123-456-7-AbCdEf/qb-request-cmap.
func Create(base string, maxMsg int, uid, gid int) (*Ring, error) {
	if maxMsg < 0 {
		return nil, errors.New("qbring: negative maximum message size")
	}
	hdrPath, dataPath := base+"-header", base+"-data"
	if len(dataPath) >= pathMax || len(hdrPath) >= pathMax {
		return nil, errors.New("qbring: ring path too long")
	}
	size := DataSize(maxMsg)
	if size/4 > 1<<30 {
		return nil, errors.New("qbring: ring too large")
	}
	r := &Ring{hdrPath: hdrPath, dataPath: dataPath, words: uint32(size / 4)}
	var err error
	if r.hdr, err = createMapped(hdrPath, headerFileSize, uid, gid); err != nil {
		return nil, err
	}
	if r.data, err = createMapped(dataPath, size, uid, gid); err != nil {
		unix.Munmap(r.hdr)
		os.Remove(hdrPath)
		return nil, err
	}
	clear(r.hdr)
	clear(r.data)
	r.setup()
	atomic.StoreUint32(r.hword(offWordSize), r.words)
	copy(r.hdr[offHdrPath:offHdrPath+pathMax-1], hdrPath)
	copy(r.hdr[offDataPath:offDataPath+pathMax-1], dataPath)
	atomic.StoreUint32(r.hword(offWritePt), 0)
	atomic.StoreUint32(r.hword(offReadPt), 0)
	r.sem.Init()
	atomic.StoreInt32(r.refCount(), 1)
	return r, nil
}

// createMapped creates a new file of size bytes (it must not exist),
// allocates its blocks, hands it to uid:gid and maps it shared.
func createMapped(path string, size, uid, gid int) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_TRUNC|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, &os.PathError{Op: "create", Path: path, Err: err}
	}
	defer unix.Close(fd)
	fail := func(op string, err error) ([]byte, error) {
		os.Remove(path)
		return nil, &os.PathError{Op: op, Path: path, Err: err}
	}
	if err := unix.Ftruncate(fd, int64(size)); err != nil {
		return fail("ftruncate", err)
	}
	if err := allocate(fd, size); err != nil {
		return fail("fallocate", err)
	}
	if err := unix.Fchmod(fd, 0o600); err != nil {
		return fail("fchmod", err)
	}
	if uid >= 0 {
		if err := unix.Fchown(fd, uid, gid); err != nil {
			return fail("fchown", err)
		}
	}
	m, err := unix.Mmap(fd, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return fail("mmap", err)
	}
	return m, nil
}

// allocate reserves the file's blocks (so that a later store into the
// mapping cannot fault for lack of space), writing zeros where the file
// system has no fallocate.
func allocate(fd, size int) error {
	err := unix.Fallocate(fd, 0, 0, int64(size))
	for err == unix.EINTR {
		err = unix.Fallocate(fd, 0, 0, int64(size))
	}
	if err != unix.EOPNOTSUPP && err != unix.ENOSYS {
		return err
	}
	zero := make([]byte, 4096)
	for off := 0; off < size; off += len(zero) {
		n := min(len(zero), size-off)
		if _, err := unix.Pwrite(fd, zero[:n], int64(off)); err != nil {
			return err
		}
	}
	return nil
}
