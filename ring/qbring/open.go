//go:build linux

package qbring

import (
	"bytes"
	"fmt"
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Open is the client side of §3.1: it maps base+"-header", checks it,
// maps the data file named by the data_path stored in the header, and
// adds one to ref_count.
func Open(base string) (*Ring, error) {
	hdrPath := base + "-header"
	hdr, err := openMapped(hdrPath, HeaderSize, headerFileSize)
	if err != nil {
		return nil, err
	}
	r := &Ring{hdr: hdr, hdrPath: hdrPath}
	fail := func(err error) (*Ring, error) {
		unix.Munmap(hdr)
		return nil, err
	}
	r.words = atomic.LoadUint32(r.hword(offWordSize))
	if r.words < minWords || r.words > 1<<30 {
		return fail(fmt.Errorf("qbring: %s: word_size %d: %w", hdrPath, r.words, ErrCorrupt))
	}
	p := hdr[offDataPath : offDataPath+pathMax]
	n := bytes.IndexByte(p, 0)
	if n <= 0 {
		return fail(fmt.Errorf("qbring: %s: no data_path: %w", hdrPath, ErrCorrupt))
	}
	r.dataPath = string(p[:n])
	size := int(r.words) * 4
	if r.data, err = openMapped(r.dataPath, size, size); err != nil {
		return fail(err)
	}
	r.setup()
	atomic.AddInt32(r.refCount(), 1)
	return r, nil
}

// openMapped maps length bytes of an existing file at least minSize long.
func openMapped(path string, minSize, length int) ([]byte, error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return nil, &os.PathError{Op: "fstat", Path: path, Err: err}
	}
	if st.Size < int64(minSize) {
		return nil, fmt.Errorf("qbring: %s is %d bytes, want at least %d: %w", path, st.Size, minSize, ErrCorrupt)
	}
	m, err := unix.Mmap(fd, 0, length, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, &os.PathError{Op: "mmap", Path: path, Err: err}
	}
	return m, nil
}
