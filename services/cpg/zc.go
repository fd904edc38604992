package cpg

import (
	"bytes"
	"path/filepath"
	"runtime/debug"
	"strings"

	"github.com/gorosync/gorosync/services/cserror"
	"golang.org/x/sys/unix"
)

// Zero-copy multicast (cpg_zcb_alloc, cpg_zcb_mcast_joined, cpg_zcb_free;
// removed from corosync after 3.1.7, kept here for libcpg 3.1.7): the
// client makes a file, maps it and asks the service to map it too; it
// writes the payload behind a zero-copy header and an MCAST request
// header, and ZC_EXECUTE multicasts it. The "server address" the service
// writes into the header is an opaque handle here, not a pointer.
//
// corosync opens and unlinks whatever path the client names; this service
// takes only a file of libcpg's pattern in a ZeroCopyDirs directory, not a
// symbolic link, regular and owned by the client, and maps at most
// maxZcMaps per connection. A client that truncates its file under the
// mapping costs it the message (the copy is fault-guarded), never the
// daemon.

const (
	zcPrefix  = "corosync_zerocopy-"
	maxZcMaps = 64
	// zcPayloadOff is where the payload starts in a mapping.
	zcPayloadOff = ZcHeaderSize + McastReqSize
)

type zcMap struct{ mem []byte }

func (e *Engine) zcAlloc(c Conn, d *cpd, req []byte) Error {
	size := le.Uint64(req[16:])
	raw := req[ZcPathOff : ZcPathOff+ZcPathMax]
	n := bytes.IndexByte(raw, 0)
	if n < 0 || size < zcPayloadOff || size > zcPayloadOff+MaxAtomicMsgSize {
		e.stats.BadRequests++
		return cserror.ErrInvalidParam
	}
	path := string(raw[:n])
	if !e.zcPathAllowed(path) {
		e.log.Warn("zero-copy file refused", "path", path)
		return cserror.ErrAccess
	}
	if len(d.zc) >= maxZcMaps {
		return cserror.ErrNoResources
	}
	mem, err := mapClientFile(path, int(size), c.UID())
	if err != cserror.OK {
		return err
	}
	if d.zc == nil {
		d.zc = map[uint64]*zcMap{}
	}
	d.nextZc++
	h := iterHandle(d.nextZc)
	d.zc[h] = &zcMap{mem: mem}
	if !faultSafe(func() { le.PutUint64(mem[8:], h) }) {
		e.zcUnmap(d, h)
		return cserror.ErrLibrary
	}
	return cserror.OK
}

func (e *Engine) zcPathAllowed(path string) bool {
	if !filepath.IsAbs(path) || filepath.Clean(path) != path {
		return false
	}
	dir, base := filepath.Split(path)
	if !strings.HasPrefix(base, zcPrefix) || len(base) == len(zcPrefix) {
		return false
	}
	dir = filepath.Clean(dir)
	for _, ok := range e.cfg.ZeroCopyDirs {
		if dir == filepath.Clean(ok) {
			return true
		}
	}
	return false
}

// mapClientFile opens (without following a link), checks, unlinks (the
// client never does) and maps the client's file.
func mapClientFile(path string, size int, uid uint32) ([]byte, Error) {
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NOFOLLOW|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, cserror.ErrNotExist
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFREG || st.Uid != uid {
		return nil, cserror.ErrAccess
	}
	_ = unix.Unlink(path)
	if st.Size < int64(size) {
		return nil, cserror.ErrInvalidParam
	}
	mem, err := unix.Mmap(fd, 0, size, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return nil, cserror.ErrNoMemory
	}
	return mem, cserror.OK
}

func (e *Engine) zcFree(d *cpd, req []byte) Error {
	if !e.zcUnmap(d, le.Uint64(req[24:])) {
		return cserror.ErrInvalidParam
	}
	return cserror.OK
}

func (e *Engine) zcUnmap(d *cpd, h uint64) bool {
	m, ok := d.zc[h]
	if !ok {
		return false
	}
	_ = unix.Munmap(m.mem)
	delete(d.zc, h)
	return true
}

func (e *Engine) zcFreeAll(d *cpd) {
	for h := range d.zc {
		e.zcUnmap(d, h)
	}
}

// zcExecute multicasts the mapping's payload; synchronous, so refusals
// are answered (corosync: CS_ERR_NOT_EXIST when not joined, TRY_AGAIN when
// the message cannot be sent now).
func (e *Engine) zcExecute(d *cpd, req []byte) Error {
	m, ok := d.zc[le.Uint64(req[16:])]
	if !ok {
		e.stats.BadRequests++
		return cserror.ErrInvalidParam
	}
	if !d.joined() {
		return cserror.ErrNotExist
	}
	var n uint32
	var g Guarantee
	if !faultSafe(func() {
		n = le.Uint32(m.mem[ZcHeaderSize+McastLenOff:])
		g = Guarantee(le.Uint32(m.mem[ZcHeaderSize+GuaranteeOff:]))
	}) {
		return cserror.ErrLibrary
	}
	if n > MaxAtomicMsgSize || uint64(zcPayloadOff)+uint64(n) > uint64(len(m.mem)) {
		return cserror.ErrTooBig
	}
	if e.mustQueue(d) {
		return cserror.ErrTryAgain
	}
	if cap(e.zcBuf) < int(n) {
		e.zcBuf = make([]byte, n)
	}
	buf := e.zcBuf[:n]
	if !faultSafe(func() { copy(buf, m.mem[zcPayloadOff:]) }) {
		return cserror.ErrLibrary
	}
	h := putMcastHeader(e.hdr, d.pid)
	if e.send(g == Safe, fnMcast, h, nameExec(d.group), buf) != nil {
		return cserror.ErrTryAgain
	}
	return cserror.OK
}

// faultSafe runs f, turning a fault on the client's mapping (SIGBUS after
// the client truncated its file) into false.
func faultSafe(f func()) (ok bool) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	f()
	return true
}
