package cpg_test

import (
	"encoding/binary"
	"fmt"
	"slices"
	"testing"

	"github.com/gorosync/gorosync/services"
	"github.com/gorosync/gorosync/services/cpg"
	"github.com/gorosync/gorosync/services/cpg/cpgoracle"
	"github.com/gorosync/gorosync/services/cserror"
)

// A world is the test side of a cluster of cpg engines: fake client
// connections ("processes") that talk to the engines through the IPC
// codec (cpg.Engine.Serve), record every request outcome and callback in
// a cpgoracle.Log, and nodes whose engines are wrapped to mark sync
// activation. It runs on the servicetest bus or on the simulator; both
// call into it on one goroutine.
type world struct {
	log     *cpgoracle.Log
	nodes   map[uint32]*wnode
	nextPID uint32
	nextMsg uint64
	// trace, if set, gets one line per callback.
	trace func(string)
	// dropDuringSync makes the world behave like corosync 3.1.7 for the
	// oracle's own test: a multicast sent during sync is answered (the
	// client counts it as sent) and dropped.
	dropDuringSync bool
	// counts of interesting things, for coverage checks
	counts map[string]int
}

func newWorld() *world {
	return &world{log: cpgoracle.New(), nodes: map[uint32]*wnode{}, nextPID: 1000, counts: map[string]int{}}
}

// wnode is one incarnation of a node.
type wnode struct {
	w          *world
	id         uint32
	eng        *actEngine
	host       *services.Host
	procs      []*wproc
	activating bool
	dead       bool
}

// actEngine is the cpg engine with its sync activation marked, so that
// callbacks emitted by it are told apart.
type actEngine struct {
	*cpg.Engine
	n *wnode
}

func (a *actEngine) SyncActivate() {
	a.n.activating = true
	a.Engine.SyncActivate()
	a.n.activating = false
}

func (a *actEngine) SetHost(h *services.Host) { a.n.host = h; a.Engine.SetHost(h) }

// recorder logs the node's totem configuration changes.
type recorder struct{ n *wnode }

func (r *recorder) ID() uint16   { return 0x70 }
func (r *recorder) Name() string { return "cpgrec" }
func (r *recorder) ConfChange(cc services.ConfChange) {
	r.n.w.log.Node(r.n.id, cpgoracle.NodeEvent{
		Regular: cc.Kind == services.Regular,
		Ring:    cpg.RingID{NodeID: cc.Ring.Rep, Seq: cc.Ring.Seq},
		Members: cc.Members,
	})
}

// engines makes a new incarnation of node id: the processes of the old
// one died with it.
func (w *world) engines(id uint32, cfg cpg.Config) []services.Engine {
	if old := w.nodes[id]; old != nil && !old.dead {
		w.crash(id)
	}
	n := &wnode{w: w, id: id}
	n.eng = &actEngine{Engine: cpg.New(cfg), n: n}
	w.nodes[id] = n
	return []services.Engine{n.eng, &recorder{n: n}}
}

// crash marks node id's incarnation dead with its processes.
func (w *world) crash(id uint32) {
	n := w.nodes[id]
	if n == nil || n.dead {
		return
	}
	n.dead = true
	w.log.Crashed(id)
	for _, p := range n.procs {
		p.dead = true
	}
	n.procs = nil
}

// wproc is one client process: one connection.
type wproc struct {
	n      *wnode
	idx    int
	pid    uint32
	conn   *fakeConn
	group  []byte
	joined bool // a join was accepted and no leave yet
	dead   bool
	ev     cpg.Event
	asm    map[cpgoracle.Addr][]byte
}

// proc connects a new process to node id.
func (w *world) proc(id uint32) *wproc {
	n := w.nodes[id]
	w.nextPID++
	p := &wproc{n: n, pid: w.nextPID}
	p.idx = w.log.Proc(cpgoracle.Addr{Node: id, PID: p.pid})
	p.conn = &fakeConn{p: p}
	n.procs = append(n.procs, p)
	n.eng.Attach(p.conn)
	return p
}

func (p *wproc) addr() cpgoracle.Addr { return cpgoracle.Addr{Node: p.n.id, PID: p.pid} }

// call serves one request and returns the reply's error.
func (p *wproc) call(req []byte) cpg.Error {
	p.conn.resp = p.conn.resp[:0]
	p.n.eng.Serve(p.conn, req)
	if len(p.conn.resp) < cpg.ResHeaderSize {
		panic(fmt.Sprintf("no reply to request %d", cpg.HeaderID(req)))
	}
	return cpg.HeaderError(p.conn.resp)
}

func (p *wproc) join(group string, flags uint32) cpg.Error {
	e := p.call(cpg.EncodeJoin(make([]byte, cpg.JoinReqSize), []byte(group), p.pid, flags))
	if e == cserror.OK {
		p.group, p.joined = []byte(group), true
		p.n.w.log.Record(p.idx, cpgoracle.Event{Kind: cpgoracle.JoinReq, Group: group})
	}
	return e
}

func (p *wproc) leave() cpg.Error {
	e := p.call(cpg.EncodeLeave(make([]byte, cpg.LeaveReqSize), p.group, p.pid))
	if e == cserror.OK {
		p.joined = false
		p.n.w.log.Record(p.idx, cpgoracle.Event{Kind: cpgoracle.LeaveReq, Group: string(p.group)})
	}
	return e
}

// send multicasts one message of size bytes (at least 8: the message id
// leads it); it records the send only when the process is joined (the
// service drops the others, as corosync does).
func (p *wproc) send(size int) uint64 {
	w := p.n.w
	w.nextMsg++
	id := w.nextMsg
	msg := make([]byte, cpg.McastReqSize+max(size, 8))
	binary.LittleEndian.PutUint64(msg[cpg.McastMsgOff:], id)
	cpg.EncodeMcastHeader(msg, cpg.Agreed, len(msg)-cpg.McastReqSize)
	if p.joined {
		w.log.Record(p.idx, cpgoracle.Event{Kind: cpgoracle.Send, MsgID: id, Group: string(p.group)})
		if p.n.host.Syncing() {
			w.counts["send during sync"]++
			if w.dropDuringSync {
				return id
			}
		}
	}
	p.n.eng.Serve(p.conn, msg)
	return id
}

// exit disconnects the process (finalize first when finalize is set).
func (p *wproc) exit(finalize bool) {
	if finalize {
		p.call(cpg.EncodeHeaderOnly(make([]byte, cpg.ReqHeaderSize), cpg.ReqFinalize))
	}
	p.dead = true
	p.n.w.log.Record(p.idx, cpgoracle.Event{Kind: cpgoracle.Exit})
	p.n.eng.Detach(p.conn)
	p.n.procs = slices.DeleteFunc(p.n.procs, func(x *wproc) bool { return x == p })
}

// fakeConn is an IPC connection that records what the engine sends.
type fakeConn struct {
	p      *wproc
	ctx    any
	fc     int32
	resp   []byte
	buf    []byte
	closed bool
	events int
}

func (c *fakeConn) RespondParts(parts ...[]byte) error {
	c.resp = c.resp[:0]
	for _, b := range parts {
		c.resp = append(c.resp, b...)
	}
	return nil
}

func (c *fakeConn) EventParts(parts ...[]byte) error {
	c.buf = c.buf[:0]
	for _, b := range parts {
		c.buf = append(c.buf, b...)
	}
	c.events++
	c.p.callback(c.buf)
	return nil
}

func (c *fakeConn) SetFlowControl(v int32) { c.fc = v }
func (c *fakeConn) SetContext(v any)       { c.ctx = v }
func (c *fakeConn) Context() any           { return c.ctx }
func (c *fakeConn) UID() uint32            { return 0 }
func (c *fakeConn) MaxMsgSize() int        { return 1 << 20 }
func (c *fakeConn) Close()                 { c.closed = true }

// callback decodes and records one event.
func (p *wproc) callback(b []byte) {
	n := p.n
	if err := cpg.DecodeEvent(b, &p.ev); err != nil {
		panic(err)
	}
	ev := &p.ev
	rec := cpgoracle.Event{Group: string(ev.Group), Sync: n.host != nil && n.host.Syncing(), Activation: n.activating}
	switch ev.ID {
	case cpg.ResConfchg:
		rec.Kind, rec.Members, rec.Left, rec.Joined = cpgoracle.Confchg, ev.Members, ev.Left, ev.Joined
		for _, a := range append(slices.Clone(ev.Left), ev.Joined...) {
			n.w.counts[a.Reason.String()]++
		}
		if _, ok := find(ev.Left, p.addr()); ok {
			p.joined = false
		}
		for _, a := range ev.Left {
			delete(p.asm, cpgoracle.Addr{Node: a.NodeID, PID: a.PID})
		}
	case cpg.ResDeliver:
		rec.Kind, rec.From = cpgoracle.Deliver, cpgoracle.Addr{Node: ev.NodeID, PID: ev.PID}
		rec.MsgID = binary.LittleEndian.Uint64(ev.Payload)
	case cpg.ResPartialDeliver:
		if !p.assemble(ev) {
			return
		}
		rec.Kind, rec.From = cpgoracle.Deliver, cpgoracle.Addr{Node: ev.NodeID, PID: ev.PID}
		rec.MsgID = binary.LittleEndian.Uint64(p.asm[rec.From])
		delete(p.asm, rec.From)
	case cpg.ResTotemConfchg:
		rec.Kind, rec.Ring, rec.Nodes = cpgoracle.Totem, ev.Ring, ev.TotemMembers
	}
	n.w.log.Record(p.idx, rec)
	if n.w.trace != nil {
		n.w.trace(fmt.Sprintf("n%d %v %v", n.id, p.addr(), describe(rec)))
	}
}

// assemble collects a fragment; true when a message is complete.
func (p *wproc) assemble(ev *cpg.Event) bool {
	if p.asm == nil {
		p.asm = map[cpgoracle.Addr][]byte{}
	}
	a := cpgoracle.Addr{Node: ev.NodeID, PID: ev.PID}
	if ev.FragType == cpg.PartialFirst {
		p.asm[a] = nil
	}
	p.asm[a] = append(p.asm[a], ev.Payload...)
	return ev.FragType == cpg.PartialLast && len(p.asm[a]) == int(ev.MsgLen)
}

func find(list []cpg.Address, a cpgoracle.Addr) (cpg.Address, bool) {
	for _, x := range list {
		if x.NodeID == a.Node && x.PID == a.PID {
			return x, true
		}
	}
	return cpg.Address{}, false
}

func describe(e cpgoracle.Event) string {
	switch e.Kind {
	case cpgoracle.Confchg:
		return fmt.Sprintf("confchg %q members %v left %v joined %v", e.Group, addrs(e.Members), addrs(e.Left), addrs(e.Joined))
	case cpgoracle.Deliver:
		return fmt.Sprintf("deliver %q from %v #%d", e.Group, e.From, e.MsgID)
	case cpgoracle.Totem:
		return fmt.Sprintf("totem %d.%x %v", e.Ring.NodeID, e.Ring.Seq, e.Nodes)
	}
	return e.Kind.String()
}

func addrs(list []cpg.Address) string {
	s := "["
	for i, a := range list {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%d/%d", a.NodeID, a.PID)
		if a.Reason != cpg.ReasonUndefined {
			s += ":" + a.Reason.String()
		}
	}
	return s + "]"
}

// check fails t with the oracle's violations.
func (w *world) check(t testing.TB) {
	t.Helper()
	if v := w.log.Check(); len(v) > 0 {
		for _, s := range v {
			t.Error(s)
		}
	}
}
