//go:build linux

package qbring

import (
	"errors"
	"os"
	"sync/atomic"
	"unsafe"

	"github.com/gorosync/gorosync/ring/qbsem"
	"golang.org/x/sys/unix"
)

// Ring is one process's handle on a libqb shared-memory ring.
type Ring struct {
	hdr   []byte   // mapping of the header file (headerFileSize bytes)
	data  []byte   // mapping of the data file (4*words bytes)
	dw    []uint32 // data as words
	words uint32   // word_size, fixed when the handle is made
	sem   *qbsem.Sem

	hdrPath, dataPath string

	// writer state: the chunk between Claim and Commit
	claimed  bool
	claimAt  uint32
	claimLen int

	// reader state: the chunk between Peek and Release
	peeked   bool
	peekAt   uint32
	peekNext uint32
	peekLen  uint32
}

// setup makes the word view of the data and the semaphore handle.
func (r *Ring) setup() {
	r.dw = unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(r.data))), r.words)
	r.data = r.data[:4*int(r.words)]
	r.sem, _ = qbsem.At(r.hdr[offSem : offSem+qbsem.Size]) // page-aligned mapping: cannot fail
}

func (r *Ring) hword(off int) *uint32 { return (*uint32)(unsafe.Pointer(&r.hdr[off])) }
func (r *Ring) refCount() *int32      { return (*int32)(unsafe.Pointer(&r.hdr[offRefCount])) }

// Close drops this handle's reference (ref_count − 1) and unmaps the
// files. It does not remove them: that is Unlink, the creator's job.
// Close is idempotent.
func (r *Ring) Close() error {
	if r.hdr == nil {
		return nil
	}
	atomic.AddInt32(r.refCount(), -1)
	err := unix.Munmap(r.data)
	if e := unix.Munmap(r.hdr); err == nil {
		err = e
	}
	r.hdr, r.data, r.dw, r.sem = nil, nil, nil, nil
	r.claimed, r.peeked = false, false
	return err
}

// Abandon unmaps the ring without touching the shared memory (no
// ref_count change): for a ring whose file a peer truncated, where any
// access faults. Idempotent; Close after Abandon does nothing.
func (r *Ring) Abandon() {
	if r.hdr == nil {
		return
	}
	_ = unix.Munmap(r.data)
	_ = unix.Munmap(r.hdr)
	r.hdr, r.data, r.dw, r.sem = nil, nil, nil, nil
	r.claimed, r.peeked = false, false
}

// Unlink removes the header and data files by the paths this handle
// used (never by the paths in shared memory, which a peer can change).
// Files already gone are not an error. It may be called before or after
// Close.
func (r *Ring) Unlink() error {
	var first error
	for _, p := range []string{r.dataPath, r.hdrPath} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) && first == nil {
			first = err
		}
	}
	return first
}

// RefCount is the header's ref_count: 2 while both sides have the ring
// open (libqb clients refuse to send otherwise, §3.8).
func (r *Ring) RefCount() int32 {
	if r.hdr == nil {
		return 0
	}
	return atomic.LoadInt32(r.refCount())
}

// FlowControl reads the user-data word at header offset 8240, the
// flow-control value on request rings (§3.8).
func (r *Ring) FlowControl() int32 {
	if r.hdr == nil {
		return 0
	}
	return atomic.LoadInt32((*int32)(unsafe.Pointer(&r.hdr[offUserData])))
}

// SetFlowControl stores the flow-control word (§3.8).
func (r *Ring) SetFlowControl(v int32) {
	if r.hdr != nil {
		atomic.StoreInt32((*int32)(unsafe.Pointer(&r.hdr[offUserData])), v)
	}
}

// Sem is the ring's semaphore in the header (§3.3).
func (r *Ring) Sem() *qbsem.Sem { return r.sem }

// HeaderPath is the header file this handle mapped.
func (r *Ring) HeaderPath() string { return r.hdrPath }

// DataPath is the data file this handle mapped.
func (r *Ring) DataPath() string { return r.dataPath }

// MaxMsg is the largest message that fits the empty ring (4*words − 12);
// at least the maxMsg given to Create.
func (r *Ring) MaxMsg() int { return 4*int(r.words) - chunkMargin }
