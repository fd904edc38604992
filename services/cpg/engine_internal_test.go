package cpg

import (
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/gorosync/gorosync/services"
	"github.com/gorosync/gorosync/services/cserror"
	"github.com/gorosync/gorosync/services/servicetest"
)

// tconn is a minimal Conn for internal tests: it keeps the last reply and
// counts events without allocating.
type tconn struct {
	ctx    any
	fc     int32
	resp   [MembershipResSize]byte
	respN  int
	ev     []byte
	events int
	closed bool
	keep   bool     // keep a copy of every event in all
	all    [][]byte // with keep
}

func (c *tconn) RespondParts(parts ...[]byte) error {
	c.respN = 0
	for _, p := range parts {
		c.respN += copy(c.resp[c.respN:], p)
	}
	return nil
}

func (c *tconn) EventParts(parts ...[]byte) error {
	c.ev = c.ev[:0]
	for _, p := range parts {
		c.ev = append(c.ev, p...)
	}
	c.events++
	if c.keep {
		c.all = append(c.all, append([]byte(nil), c.ev...))
	}
	return nil
}

func (c *tconn) SetFlowControl(v int32) { c.fc = v }
func (c *tconn) SetContext(v any)       { c.ctx = v }
func (c *tconn) Context() any           { return c.ctx }
func (c *tconn) UID() uint32            { return 0 }
func (c *tconn) MaxMsgSize() int        { return 1 << 20 }
func (c *tconn) Close()                 { c.closed = true }

func (c *tconn) reply() []byte { return c.resp[:c.respN] }

// loopHost is a host whose Send hands the message straight back for
// delivery (a one-node ring with no sync running), copying into a reused
// buffer.
type loopHost struct {
	h        *services.Host
	last     []byte
	lastSafe bool
	sent     int
}

func newLoopHost(t testing.TB, e *Engine) *loopHost {
	l := &loopHost{last: make([]byte, 0, 4096)}
	h, err := services.New(services.Config{NodeID: 1, Engines: []services.Engine{e}, Send: func(m []byte, safe bool) error {
		l.last, l.lastSafe = append(l.last[:0], m...), safe
		l.sent++
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	l.h = h
	e.SetHost(h)
	return l
}

// deliverLast delivers the last message sent.
func (l *loopHost) deliverLast() { l.h.Deliver(1, l.last) }

func joinedEngine(t testing.TB) (*Engine, *loopHost, *tconn) {
	e := New(Config{})
	l := newLoopHost(t, e)
	c := &tconn{}
	e.Attach(c)
	e.Serve(c, EncodeJoin(make([]byte, JoinReqSize), []byte("g"), 42, 0))
	if HeaderError(c.reply()) != cserror.OK {
		t.Fatalf("join: %v", HeaderError(c.reply()))
	}
	l.deliverLast()
	if c.events != 1 {
		t.Fatalf("no confchg for the join")
	}
	return e, l, c
}

func mcastReq(n int) []byte {
	b := make([]byte, McastReqSize+n)
	EncodeMcastHeader(b, Agreed, n)
	return b
}

// The hot path allocates nothing: an MCAST request decoded in place and
// handed to the host in parts, and a delivery fanned out to the local
// members with EventParts.
func TestMcastAllocs(t *testing.T) {
	e, l, c := joinedEngine(t)
	req := mcastReq(1024)
	if n := testing.AllocsPerRun(1000, func() { e.Serve(c, req) }); n != 0 {
		t.Errorf("MCAST request: %.1f allocs", n)
	}
	before := c.events
	if n := testing.AllocsPerRun(1000, l.deliverLast); n != 0 {
		t.Errorf("MCAST delivery: %.1f allocs", n)
	}
	if c.events-before != 1001 {
		t.Errorf("%d deliveries, want 1001", c.events-before)
	}
	var ev Event
	if err := DecodeEvent(c.ev, &ev); err != nil || ev.ID != ResDeliver || len(ev.Payload) != 1024 || ev.PID != 42 || ev.NodeID != 1 {
		t.Errorf("delivered %+v %v", ev, err)
	}
}

// CPG_TYPE_SAFE goes with the host's safe guarantee, the others agreed.
func TestMcastGuarantee(t *testing.T) {
	e, l, c := joinedEngine(t)
	for g, safe := range map[Guarantee]bool{Unordered: false, FIFO: false, Agreed: false, Safe: true} {
		req := mcastReq(8)
		le.PutUint32(req[GuaranteeOff:], uint32(g))
		e.Serve(c, req)
		if l.lastSafe != safe {
			t.Errorf("guarantee %d sent safe=%v", g, l.lastSafe)
		}
	}
}

// A zombie: this node holds a process of node 2 that node 2's joinlist
// does not confirm (its leave was lost to this node); sync removes it with
// PROCDOWN. A process of a node that did not come along is NODEDOWN.
func TestSyncZombieAndNodeDown(t *testing.T) {
	bus := servicetest.New()
	engines := map[uint32]*Engine{}
	for _, id := range []uint32{1, 2, 3} {
		e := New(Config{})
		n, err := bus.Add(id, e)
		if err != nil {
			t.Fatal(err)
		}
		e.SetHost(n.Host)
		engines[id] = e
	}
	bus.Form(1, 2, 3)
	bus.Run(100, 5)
	c := &tconn{}
	e1 := engines[1]
	e1.Attach(c)
	e1.Serve(c, EncodeJoin(make([]byte, JoinReqSize), []byte("g"), 7, 0))
	bus.Run(100, 5)
	// Node 1 learns of processes 2/99 (never confirmed by node 2) and 3/5.
	e1.Deliver(2, fnProcJoin, appendName(putProcJoinHeader(nil, 99), []byte("g")))
	e1.Deliver(3, fnProcJoin, appendName(putProcJoinHeader(nil, 5), []byte("g")))
	bus.Crash(3)
	bus.Form(1, 2)
	c.keep = true
	bus.Run(200, 5)
	var got []string
	for _, b := range c.all {
		var ev Event
		if err := DecodeEvent(b, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.ID == ResConfchg {
			got = append(got, addrString(ev.Left))
		}
	}
	want := []string{"[3/5:nodedown]", "[2/99:procdown]"}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("confchgs %q, want %q", got, want)
	}
	if m := e1.Members([]byte("g")); len(m) != 1 || m[0].PID != 7 {
		t.Fatalf("members after sync: %v", m)
	}
}

func addrString(list []Address) string {
	s := "["
	for i, a := range list {
		if i > 0 {
			s += " "
		}
		s += itoa(a.NodeID) + "/" + itoa(a.PID) + ":" + a.Reason.String()
	}
	return s + "]"
}

func itoa(v uint32) string {
	if v == 0 {
		return "0"
	}
	var b []byte
	for ; v > 0; v /= 10 {
		b = append([]byte{byte('0' + v%10)}, b...)
	}
	return string(b)
}

// Iteration returns corosync 3.1.7's order: groups newest-first, and
// within a group the first process followed by the others in reverse.
func TestIterationOrder(t *testing.T) {
	var tb table
	tb.init()
	add := func(name string, node, pid uint32) { tb.insert(tb.ensure([]byte(name)), node, pid) }
	add("a", 1, 10)
	add("b", 1, 20)
	add("a", 2, 30)
	add("a", 3, 40)
	add("b", 2, 50)
	got := ""
	for _, e := range tb.iterationList(IterAll, "") {
		got += e.Group + itoa(e.PID) + " "
	}
	if want := "b20 b50 a10 a40 a30 "; got != want {
		t.Errorf("ALL: %q, want %q", got, want)
	}
	got = ""
	for _, e := range tb.iterationList(IterNameOnly, "") {
		got += e.Group + itoa(e.NodeID) + itoa(e.PID) + " "
	}
	if want := "b00 a00 "; got != want {
		t.Errorf("NAME_ONLY: %q, want %q", got, want)
	}
	got = ""
	for _, e := range tb.iterationList(IterOneGroup, "a") {
		got += e.Group + itoa(e.PID) + " "
	}
	if want := "a10 a40 a30 "; got != want {
		t.Errorf("ONE_GROUP: %q, want %q", got, want)
	}
}

// Exec messages survive a round trip; every truncation is refused.
func TestExecCodec(t *testing.T) {
	name := []byte("group\x00bin")
	pj := appendName(putProcJoinHeader(nil, 77), name)
	if m, ok := decodeProcJoin(pj); !ok || m.pid != 77 || string(m.name) != string(name) {
		t.Fatalf("procjoin %+v %v", m, ok)
	}
	pl := appendName(putProcLeaveHeader(nil, 78, ReasonProcDown), name)
	if m, ok := decodeProcLeave(pl); !ok || m.pid != 78 || m.reason != ReasonProcDown {
		t.Fatalf("procleave %+v %v", m, ok)
	}
	mc := append(appendName(putMcastHeader(nil, 79), name), "payload"...)
	if m, ok := decodeMcast(mc); !ok || m.pid != 79 || string(m.payload) != "payload" {
		t.Fatalf("mcast %+v %v", m, ok)
	}
	pm := append(appendName(putPartialHeader(nil, 80, 100, PartialFirst), name), "frag"...)
	if m, ok := decodePartial(pm); !ok || m.msglen != 100 || m.typ != PartialFirst || string(m.payload) != "frag" {
		t.Fatalf("partial %+v %v", m, ok)
	}
	jl := encodeJoinList(nil, []Entry{{Group: "a", PID: 1}, {Group: "bb", PID: 2}})
	var got []string
	if !decodeJoinList(jl, func(pid uint32, n []byte) { got = append(got, string(n)+itoa(pid)) }) || len(got) != 2 || got[1] != "bb2" {
		t.Fatalf("joinlist %q", got)
	}
	dl := encodeDownlist(nil, 3, []uint32{4, 5})
	if o, n, ok := decodeDownlist(dl); !ok || o != 3 || n != 2 {
		t.Fatalf("downlist %d %d %v", o, n, ok)
	}
	for _, b := range [][]byte{pj, pl, jl, dl} {
		for i := range len(b) {
			if _, ok := decodeProcJoin(b[:i]); ok && &b[0] == &pj[0] {
				t.Fatalf("procjoin accepted %d of %d bytes", i, len(b))
			}
			if _, ok := decodeProcLeave(b[:i]); ok && &b[0] == &pl[0] {
				t.Fatalf("procleave accepted %d of %d bytes", i, len(b))
			}
			if decodeJoinList(b[:i], func(uint32, []byte) {}) && &b[0] == &jl[0] {
				t.Fatalf("joinlist accepted %d of %d bytes", i, len(b))
			}
			if _, _, ok := decodeDownlist(b[:i]); ok && &b[0] == &dl[0] {
				t.Fatalf("downlist accepted %d of %d bytes", i, len(b))
			}
		}
	}
	if _, ok := decodeProcLeave(appendName(putProcLeaveHeader(nil, 1, ReasonJoin), name)); ok {
		t.Fatal("procleave with reason JOIN accepted")
	}
	if _, ok := decodeProcJoin(append([]byte{1, 0, 0, 0, 200}, make([]byte, 200)...)); ok {
		t.Fatal("a 200-byte name accepted")
	}
}

// A connection whose queue passes QueueBytes during sync gets flow
// control 1 (every send refused) until it drains; one that ignores flow
// control and passes the hard bound is disconnected, the overflowing
// message dropped and counted; what was queued is still sent, in order.
func TestQueueFlowControl(t *testing.T) {
	bus := servicetest.New()
	e := New(Config{QueueBytes: 1000})
	n, _ := bus.Add(1, e)
	e.SetHost(n.Host)
	bus.Form(1)
	bus.Run(100, 5)
	c := &tconn{keep: true}
	e.Attach(c)
	e.Serve(c, EncodeJoin(make([]byte, JoinReqSize), []byte("g"), 5, 0))
	bus.Run(100, 5)
	bus.Form(1) // sync starts; the bus runs nothing until Run
	if c.fc != 2 {
		t.Fatalf("flow control during sync %d, want 2", c.fc)
	}
	req := mcastReq(100)
	for range 9 {
		e.Serve(c, req)
	}
	if c.fc != 2 {
		t.Fatalf("flow control %d after 9 queued messages, want 2", c.fc)
	}
	e.Serve(c, req)
	if c.fc != 1 {
		t.Fatalf("flow control %d above QueueBytes, want 1", c.fc)
	}
	big := mcastReq(MaxAtomicMsgSize)
	for range 4 {
		e.Serve(c, big)
	}
	if !c.closed || e.Stats().Overflows != 1 {
		t.Fatalf("closed %v, overflows %d: a client ignoring flow control stays", c.closed, e.Stats().Overflows)
	}
	c.all = nil
	bus.Run(200, 5)
	delivered := 0
	for _, b := range c.all {
		if HeaderID(b) == ResDeliver {
			delivered++
		}
	}
	if delivered != 13 || c.fc != 0 {
		t.Fatalf("delivered %d (want 13: 10 small, 3 big), flow control %d", delivered, c.fc)
	}
}

// Zero-copy files: only libcpg's pattern in the configured directories,
// no symbolic links, only the client's own.
func TestZeroCopyPaths(t *testing.T) {
	dir := t.TempDir()
	e := New(Config{ZeroCopyDirs: []string{dir}})
	for path, ok := range map[string]bool{
		dir + "/corosync_zerocopy-abc":         true,
		dir + "/corosync_zerocopy-":            false,
		dir + "/other-abc":                     false,
		dir + "/../corosync_zerocopy-abc":      false,
		"/etc/corosync_zerocopy-abc":           false,
		"corosync_zerocopy-abc":                false,
		dir + "/sub/corosync_zerocopy-abc":     false,
		dir + "//corosync_zerocopy-abc":        false,
		"/dev/shm/corosync_zerocopy-abc\x00xx": false,
	} {
		if e.zcPathAllowed(path) != ok {
			t.Errorf("%q allowed: %v, want %v", path, !ok, ok)
		}
	}
	target := dir + "/target"
	if err := os.WriteFile(target, make([]byte, 4096), 0o600); err != nil {
		t.Fatal(err)
	}
	link := dir + "/corosync_zerocopy-link"
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if _, err := mapClientFile(link, 4096, uint32(os.Getuid())); err == cserror.OK {
		t.Error("a symbolic link was mapped")
	}
	if _, err := os.Stat(target); err != nil {
		t.Errorf("the link's target went: %v", err)
	}
	file := dir + "/corosync_zerocopy-file"
	if err := os.WriteFile(file, make([]byte, 4096), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := mapClientFile(file, 4096, uint32(os.Getuid())+1); err != cserror.ErrAccess {
		t.Errorf("another user's file: %v, want CS_ERR_ACCESS", err)
	}
	mem, err := mapClientFile(file, 4096, uint32(os.Getuid()))
	if err != cserror.OK || len(mem) != 4096 {
		t.Fatalf("own file: %v", err)
	}
	unix.Munmap(mem)
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("the mapped file was not unlinked: %v", err)
	}
}

// A queue that keeps queueing and draining (a saturated ring) reuses its
// buffers: no allocation per message once warm, and its slice stays bounded
// even when it never empties.
func TestOutQueueReusesBuffers(t *testing.T) {
	var q outQueue
	msg := make([]byte, 64<<10)
	hdr := make([]byte, 24)
	for range 8 { // warm: some messages always queued
		q.push(false, 3, hdr, msg)
	}
	allocs := testing.AllocsPerRun(1000, func() {
		q.push(false, 3, hdr, msg)
		if q.front().fn != 3 || len(q.front().body) != len(hdr)+len(msg) {
			t.Fatal("wrong front")
		}
		q.pop()
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per queued message", allocs)
	}
	if q.len() != 8 || cap(q.msgs) > 64 || q.bytes != 8*(len(hdr)+len(msg)) {
		t.Fatalf("len %d cap %d bytes %d", q.len(), cap(q.msgs), q.bytes)
	}
}

// A burst that fills the queue and then drains it fully reuses every
// buffer in the next burst.
func TestOutQueueBurstReuse(t *testing.T) {
	var q outQueue
	msg := make([]byte, 16<<10)
	burst := func() {
		for range 256 { // 4 MiB: the default QueueBytes
			q.push(false, 3, msg)
		}
		for q.len() > 0 {
			q.pop()
		}
	}
	burst()
	if allocs := testing.AllocsPerRun(5, burst); allocs != 0 {
		t.Fatalf("%v allocations per 256-message burst", allocs)
	}
}
