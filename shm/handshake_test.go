package shm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorosync/gorosync/ring/qbring"
	"golang.org/x/sys/unix"
)

// The connection request exactly as libqb 2.0.6's client sends it for
// qb_ipcc_connect(name, 1 MiB): id -1, size 24, max_msg_size 1048576.
var goldenRequest = []byte{
	0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, // hdr.id -1 + padding
	0x18, 0, 0, 0, 0, 0, 0, 0, // hdr.size 24 + padding
	0, 0, 0x10, 0, 0, 0, 0, 0, // max_msg_size 0x100000 + padding
}

func TestParseConnRequest(t *testing.T) {
	r, err := parseConnRequest(goldenRequest)
	if err != nil || r.id != -1 || r.size != 24 || r.maxMsgSize != 1<<20 {
		t.Fatalf("golden request: %+v %v", r, err)
	}
	bad := bytes.Clone(goldenRequest)
	bad[0] = 5
	if _, err := parseConnRequest(bad); err != errNotAuthRequest {
		t.Fatalf("id 5: %v", err)
	}
	if _, err := parseConnRequest(goldenRequest[:23]); err != errRequestLength {
		t.Fatalf("23 bytes: %v", err)
	}
	if _, err := parseConnRequest(append(bytes.Clone(goldenRequest), 0)); err != errRequestLength {
		t.Fatalf("25 bytes: %v", err)
	}
	for _, c := range []struct {
		client         uint32
		min, cap, want int
	}{
		{1 << 20, 1 << 20, 64 << 20, 1 << 20},
		{0, 1 << 20, 64 << 20, 1 << 20},
		{12328, 1 << 20, 64 << 20, 1 << 20},
		{2 << 20, 1 << 20, 64 << 20, 2 << 20},
		{0xffffffff, 1 << 20, 64 << 20, 64 << 20},
	} {
		if got := negotiateMaxMsg(c.client, c.min, c.cap); got != c.want {
			t.Errorf("negotiate(%d, %d, %d) = %d, want %d", c.client, c.min, c.cap, got, c.want)
		}
	}
}

// goldenResponse builds the expected 12328 bytes field by field from the
// spec's offsets (§1.4), independently of encode.
func goldenResponse(errno int32, typ int32, maxMsg uint32, cookie uint64, req, resp, ev string) []byte {
	b := make([]byte, 12328)
	copy(b[0:], []byte{0xff, 0xff, 0xff, 0xff}) // id -1
	copy(b[8:], []byte{0x28, 0x30, 0x00, 0x00}) // size 12328 = 0x3028
	binary.LittleEndian.PutUint32(b[16:], uint32(errno))
	if errno != 0 {
		return b
	}
	binary.LittleEndian.PutUint32(b[24:], uint32(typ))
	binary.LittleEndian.PutUint32(b[28:], maxMsg)
	binary.LittleEndian.PutUint64(b[32:], cookie)
	copy(b[40:], req)
	copy(b[4136:], resp)
	copy(b[8232:], ev)
	return b
}

func TestConnResponseGolden(t *testing.T) {
	var buf [connResponseSize]byte
	r := connResponse{connType: 1, maxMsg: 1 << 20, cookie: 0x0102030405060708,
		request: "/dev/shm/qb-1-2-3-AbCdEf/qb-request-cmap", response: "/dev/shm/qb-1-2-3-AbCdEf/qb-response-cmap", event: "/dev/shm/qb-1-2-3-AbCdEf/qb-event-cmap"}
	if err := r.encode(&buf); err != nil {
		t.Fatal(err)
	}
	want := goldenResponse(0, 1, 1<<20, 0x0102030405060708, r.request, r.response, r.event)
	if !bytes.Equal(buf[:], want) {
		t.Fatal("success response differs from the golden bytes")
	}
	// spot-check a few bytes literally
	for off, v := range map[int]byte{0: 0xff, 3: 0xff, 8: 0x28, 9: 0x30, 16: 0, 24: 1, 28: 0, 30: 0x10, 32: 0x08, 39: 0x01, 40: '/', 4136: '/', 8232: '/'} {
		if buf[off] != v {
			t.Errorf("byte %d = %#x, want %#x", off, buf[off], v)
		}
	}
	for _, e := range []unix.Errno{unix.EACCES, unix.EAGAIN, unix.EMFILE} {
		r := connResponse{errno: e, connType: 1, maxMsg: 5, request: "x"}
		if err := r.encode(&buf); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf[:], goldenResponse(-int32(e), 0, 0, 0, "", "", "")) {
			t.Fatalf("error response %v differs from the golden bytes", e)
		}
	}
	// -EACCES is f3 ff ff ff at offset 16
	if !bytes.Equal(buf[16:20], []byte{0xe8, 0xff, 0xff, 0xff}) { // the last one: -EMFILE = -24
		t.Fatalf("-EMFILE bytes %x", buf[16:20])
	}
	long := connResponse{connType: 1, request: strings.Repeat("a", pathMax)}
	if long.encode(&buf) == nil {
		t.Fatal("a 4096-byte path was accepted")
	}
}

func TestHandshakeSHM(t *testing.T) {
	h := newHarness(t, Config{})
	c := dialClient(t, h.name, 1<<20)
	if c.errno != 0 || c.connType != 1 || c.maxMsg != 1<<20 {
		t.Fatalf("response: error %d type %d max %d", c.errno, c.connType, c.maxMsg)
	}
	// The response's fixed bytes.
	if !bytes.Equal(c.resp[0:4], []byte{0xff, 0xff, 0xff, 0xff}) || !bytes.Equal(c.resp[8:12], []byte{0x28, 0x30, 0, 0}) {
		t.Fatalf("header bytes % x", c.resp[:24])
	}
	// The server's credentials arrive with the response (the client set SO_PASSCRED).
	if c.server.pid != uint32(os.Getpid()) || c.server.uid != 0 {
		t.Fatalf("server credentials %+v", c.server)
	}
	pid := os.Getpid()
	re := regexp.MustCompile(fmt.Sprintf(`^/dev/shm/qb-%d-%d-\d+-[A-Za-z0-9]{6}/qb-(request|response|event)-%s$`, pid, pid, regexp.QuoteMeta(h.name)))
	for i, kind := range []string{"request", "response", "event"} {
		if !re.MatchString(c.paths[i]) || !strings.Contains(c.paths[i], "/qb-"+kind+"-") {
			t.Fatalf("path %q", c.paths[i])
		}
		for suffix, size := range map[string]int64{"-header": 8252, "-data": 1052672} {
			st, err := os.Stat(c.paths[i] + suffix)
			if err != nil {
				t.Fatal(err)
			}
			if st.Size() != size || st.Mode().Perm() != 0o600 {
				t.Fatalf("%s%s: size %d mode %v", c.paths[i], suffix, st.Size(), st.Mode())
			}
		}
	}
	dir := filepath.Dir(c.paths[0])
	st, err := os.Stat(dir)
	if err != nil || st.Mode().Perm() != 0o770 || !st.IsDir() {
		t.Fatalf("dir %s: %v %v", dir, st.Mode(), err)
	}
	if n := c.req.RefCount(); n != 2 {
		t.Fatalf("request ring ref_count %d", n)
	}
	// The listener's name is NUL-padded to 108 bytes (shown with '@').
	unixTable, _ := os.ReadFile("/proc/net/unix")
	padded := "@" + h.name + strings.Repeat("@", sunPathLen-1-len(h.name))
	if !bytes.Contains(unixTable, []byte(" "+padded+"\n")) {
		t.Fatalf("no %q in /proc/net/unix", padded)
	}
	// Client closes: the server removes everything.
	c.close()
	eventually(t, 5*time.Second, "directory removal", func() bool { _, err := os.Stat(dir); return os.IsNotExist(err) })
	eventually(t, 5*time.Second, "disconnect", func() bool { return h.h.disconnected.Load() == 1 })
}

func TestHandshakeRefusals(t *testing.T) {
	var ready, allow atomic.Bool
	h := newHarness(t, Config{
		Ready:     ready.Load,
		Authorize: func(pid, uid, gid uint32) bool { return allow.Load() },
		MaxConns:  1,
	})
	expect := func(want unix.Errno) {
		t.Helper()
		c, err := handshakeRaw(h.name, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		defer c.close()
		if got := unix.Errno(-c.errno); got != want {
			t.Fatalf("error %v, want %v", got, want)
		}
		if !bytes.Equal(c.resp[:], goldenResponse(-int32(want), 0, 0, 0, "", "", "")) {
			t.Fatal("refusal response has non-zero fields")
		}
		if err := c.waitHangup(5 * time.Second); err != nil {
			t.Fatal(err)
		}
	}
	expect(unix.EAGAIN) // not ready (checked first, as corosync)
	ready.Store(true)
	expect(unix.EACCES)
	allow.Store(true)
	c := dialClient(t, h.name, 1<<20)
	expect(unix.EMFILE) // MaxConns 1
	if m := shmLeftovers(); len(m) != 1 {
		t.Fatalf("refusals left directories: %v", m)
	}
	c.close()
	eventually(t, 5*time.Second, "slot freed", func() bool { return h.s.Stats().Active == 0 })
	dialClient(t, h.name, 1<<20)
	eventually(t, 5*time.Second, "stats", func() bool { st := h.s.Stats(); return st.Refused == 3 && st.Accepted == 2 })
}

func TestHandshakeBadFirstMessage(t *testing.T) {
	h := newHarness(t, Config{})
	for i, msg := range [][]byte{
		append([]byte{5, 0, 0, 0}, goldenRequest[4:]...), // wrong id
		goldenRequest[:10],             // short, then EOF
		bytes.Repeat([]byte{0xff}, 24), // id -1 but garbage: accepted like libqb (max size capped)
	} {
		fd, err := connectSetup(h.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := unix.Write(fd, msg); err != nil {
			t.Fatal(err)
		}
		if len(msg) < 24 {
			unix.Shutdown(fd, unix.SHUT_WR)
		}
		buf := make([]byte, connResponseSize)
		n, err := readRetry(fd, buf)
		unix.Close(fd)
		if i == 2 {
			if err != nil || n == 0 {
				t.Fatalf("garbage-but-valid request: %d %v", n, err)
			}
			continue
		}
		if n != 0 || err != nil {
			t.Fatalf("message %d: server answered %d bytes (%v), want silent close", i, n, err)
		}
	}
	eventually(t, 5*time.Second, "failures counted", func() bool { return h.s.Stats().HandshakeFailures >= 2 })
}

// A client that connects and never sends its request is dropped at the
// deadline, and delays nobody meanwhile.
func TestHandshakeTimeout(t *testing.T) {
	h := newHarness(t, Config{HandshakeTimeout: 500 * time.Millisecond})
	silent := make([]int, 20)
	for i := range silent {
		fd, err := connectSetup(h.name)
		if err != nil {
			t.Fatal(err)
		}
		silent[i] = fd
		unix.Write(fd, goldenRequest[:7]) // a partial request
	}
	start := time.Now()
	c := dialClient(t, h.name, 1<<20)
	if d := time.Since(start); d > 300*time.Millisecond {
		t.Fatalf("a good client waited %v behind silent ones", d)
	}
	c.close()
	for _, fd := range silent {
		buf := make([]byte, 16)
		n, err := readRetry(fd, buf) // SO_RCVTIMEO 10 s bounds it
		if n != 0 || err != nil {
			t.Fatalf("silent client: %d %v", n, err)
		}
		unix.Close(fd)
	}
	if d := time.Since(start); d < 400*time.Millisecond || d > 5*time.Second {
		t.Fatalf("silent clients dropped after %v", d)
	}
}

func TestNegotiatedSizes(t *testing.T) {
	h := newHarness(t, Config{MaxMsgSize: 64 << 10, MaxMsgSizeCap: 4 << 20})
	for _, c := range []struct {
		ask  uint32
		want int
	}{{0, 64 << 10}, {12328, 64 << 10}, {1 << 20, 1 << 20}, {1 << 30, 4 << 20}} {
		cl := dialClient(t, h.name, c.ask)
		if cl.maxMsg != c.want {
			t.Fatalf("asked %d, got %d, want %d", c.ask, cl.maxMsg, c.want)
		}
		st, err := os.Stat(cl.paths[1] + "-data")
		if err != nil || st.Size() != int64((c.want+13+4095)/4096*4096) {
			t.Fatalf("data file for %d: %v %v", c.want, st.Size(), err)
		}
		cl.close()
	}
}

func TestFilesystemSockets(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	flagFile := filepath.Join(dir, "force-filesystem-sockets")
	if err := os.WriteFile(flagFile, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	oldFlag, oldDir := ForceFilesystemSocketsPath, SocketDir
	ForceFilesystemSocketsPath, SocketDir = flagFile, dir
	t.Cleanup(func() { ForceFilesystemSocketsPath, SocketDir = oldFlag, oldDir })

	h := newHarness(t, Config{})
	path := filepath.Join(dir, h.name)
	st, err := os.Stat(path)
	if err != nil || st.Mode()&os.ModeSocket == 0 || st.Mode().Perm() != 0o777 {
		t.Fatalf("socket file %s: %v %v", path, st, err)
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if err := unix.Connect(fd, &unix.SockaddrUnix{Name: path}); err != nil {
		t.Fatal(err)
	}
	unix.Write(fd, goldenRequest)
	buf := make([]byte, connResponseSize)
	tv := unix.NsecToTimeval(int64(5 * time.Second))
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	n, _, err := unix.Recvfrom(fd, buf, unix.MSG_WAITALL)
	if err != nil || n != connResponseSize || binary.LittleEndian.Uint32(buf[16:]) != 0 {
		t.Fatalf("handshake over the filesystem socket: %d %v", n, err)
	}
	// The abstract name is not bound.
	if _, err := connectSetup(h.name); err == nil {
		t.Fatal("abstract name bound too")
	}
	unix.Close(fd)
	h.close()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("socket file not removed: %v", err)
	}
}

// Resource creation failing half-way (the third ring here): the client
// gets -errno, everything made so far is removed.
func TestHandshakeSetupFailsHalfway(t *testing.T) {
	var made atomic.Int32
	old := createRing
	createRing = func(base string, maxMsg, uid, gid int) (*qbring.Ring, error) {
		if made.Add(1) == 3 {
			return nil, &os.PathError{Op: "create", Path: base, Err: unix.ENOSPC}
		}
		return old(base, maxMsg, uid, gid)
	}
	t.Cleanup(func() { createRing = old }) // after the server has stopped
	h := newHarness(t, Config{})           // its acceptor starts after the swap
	c, err := handshakeRaw(h.name, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	if c.errno != -int32(unix.ENOSPC) {
		t.Fatalf("error %d, want -ENOSPC", c.errno)
	}
	if err := c.waitHangup(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	checkNoLeftovers(t)
	if st := h.s.Stats(); st.Active != 0 || st.Refused != 1 {
		t.Fatalf("stats %+v", st)
	}
}
