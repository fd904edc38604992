package cpg

import (
	"github.com/gorosync/gorosync/services/cserror"
	"github.com/gorosync/gorosync/shm"
)

// The IPC service of the "cpg" socket. Handlers run on the token loop's
// goroutine (the loop polls the shm server).

var (
	_ shm.Handler        = (*Engine)(nil)
	_ shm.ConnectHandler = (*Engine)(nil)
)

// Connected implements shm.ConnectHandler.
func (e *Engine) Connected(c *shm.Conn) { e.Attach(c) }

// Request implements shm.Handler.
func (e *Engine) Request(c *shm.Conn, req []byte) { e.Serve(c, req) }

// Disconnected implements shm.Handler.
func (e *Engine) Disconnected(c *shm.Conn) { e.Detach(c) }

// Attach starts serving a connection (corosync's lib_init_fn). Serve
// attaches a connection it has not seen, too.
func (e *Engine) Attach(c Conn) { e.attach(c) }

func (e *Engine) attach(c Conn) *cpd {
	if d, ok := c.Context().(*cpd); ok {
		return d
	}
	d := &cpd{conn: c}
	c.SetContext(d)
	e.cpds = append(e.cpds, d)
	e.setFlowControl(d, e.flowControl(d, e.syncing()))
	return d
}

// Detach ends a connection (corosync's lib_exit_fn): its iterations and
// zero-copy mappings go; if it was joined and not leaving, its process
// leaves with reason PROCDOWN, behind whatever it still had queued.
func (e *Engine) Detach(c Conn) {
	d, ok := c.Context().(*cpd)
	if !ok {
		return
	}
	c.SetContext(nil)
	for i, x := range e.cpds {
		if x == d {
			e.cpds = append(e.cpds[:i], e.cpds[i+1:]...)
			break
		}
	}
	clear(d.iters)
	e.zcFreeAll(d)
	d.conn = nil
	if d.group == nil {
		return
	}
	g := d.group
	if d.joined() {
		h := putProcLeaveHeader(e.hdr, d.pid, ReasonProcDown)
		e.sendOrQueue(d, false, fnProcLeave, h, nameExec(g))
	}
	for i, x := range g.locals {
		if x == d {
			g.locals = append(g.locals[:i], g.locals[i+1:]...)
			break
		}
	}
	e.procs.gc(g)
}

// nameExec is a group's name as exec messages carry it.
func nameExec(g *group) []byte { return g.exec }

// Serve handles one request (req starts with its header and is exactly
// its size).
func (e *Engine) Serve(c Conn, req []byte) {
	d := e.attach(c)
	if len(req) < ReqHeaderSize {
		e.badRequest(c, 0, ResHeaderSize)
		return
	}
	id := HeaderID(req)
	if id == ReqMcast {
		e.mcastRequest(d, req)
		return
	}
	if id < 0 || id >= numReqs {
		e.badRequest(c, 0, ResHeaderSize)
		return
	}
	if want := reqSizes[id]; len(req) != want && want > 0 {
		e.badRequest(c, resIDs[id], resSizes[id])
		return
	}
	switch id {
	case ReqJoin:
		e.reply(c, ResJoin, ResHeaderSize, e.join(d, req))
	case ReqLeave:
		e.reply(c, ResLeave, ResHeaderSize, e.leave(d, req))
	case ReqPartialMcast:
		e.reply(c, ResPartialSend, ResHeaderSize, e.partialRequest(d, req))
	case ReqMembership:
		e.membership(c, req)
	case ReqLocalGet:
		b := e.replyBuf(ResLocalGet, LocalGetResSize, cserror.OK)
		le.PutUint32(b[24:], e.nodeID())
		_ = c.RespondParts(b)
	case ReqIterInit:
		e.iterInit(c, d, req)
	case ReqIterNext:
		e.iterNext(c, d, req)
	case ReqIterFinalize:
		e.reply(c, ResIterFinalize, ResHeaderSize, e.iterFinalize(d, req))
	case ReqFinalize:
		d.finalized = true
		e.reply(c, ResFinalize, ResHeaderSize, cserror.OK)
	case ReqZcAlloc:
		e.reply(c, 0, ResHeaderSize, e.zcAlloc(c, d, req))
	case ReqZcFree:
		e.reply(c, 0, ResHeaderSize, e.zcFree(d, req))
	case ReqZcExecute:
		e.reply(c, ResMcast, ResHeaderSize, e.zcExecute(d, req))
	}
}

// reqSizes are the exact request sizes (0: variable, checked by the
// handler); resIDs and resSizes the reply each request gets, also on error.
var (
	reqSizes = [numReqs]int{
		ReqJoin: JoinReqSize, ReqLeave: LeaveReqSize, ReqMembership: MembershipReqSize,
		ReqLocalGet: LocalGetReqSize, ReqIterInit: IterInitReqSize, ReqIterNext: IterReqSize,
		ReqIterFinalize: IterReqSize, ReqFinalize: FinalizeReqSize, ReqZcAlloc: ZcAllocReqSize,
		ReqZcFree: ZcFreeReqSize, ReqZcExecute: ZcExecuteReqSize,
	}
	resIDs = [numReqs]int32{
		ReqJoin: ResJoin, ReqLeave: ResLeave, ReqMcast: ResMcast, ReqMembership: ResMembership,
		ReqLocalGet: ResLocalGet, ReqIterInit: ResIterInit, ReqIterNext: ResIterNext,
		ReqIterFinalize: ResIterFinalize, ReqFinalize: ResFinalize, ReqZcAlloc: 0, ReqZcFree: 0,
		ReqZcExecute: ResMcast, ReqPartialMcast: ResPartialSend,
	}
	resSizes = [numReqs]int{
		ReqJoin: ResHeaderSize, ReqLeave: ResHeaderSize, ReqMcast: ResHeaderSize,
		ReqMembership: MembershipResSize, ReqLocalGet: LocalGetResSize, ReqIterInit: IterInitResSize,
		ReqIterNext: IterNextResSize, ReqIterFinalize: ResHeaderSize, ReqFinalize: ResHeaderSize,
		ReqZcAlloc: ResHeaderSize, ReqZcFree: ResHeaderSize, ReqZcExecute: ResHeaderSize,
		ReqPartialMcast: ResHeaderSize,
	}
)

// replyBuf returns the zeroed reply scratch with its header written.
func (e *Engine) replyBuf(id int32, size int, err Error) []byte {
	b := e.resp[:size]
	clear(b)
	PutResHeader(b, id, size, err)
	return b
}

func (e *Engine) reply(c Conn, id int32, size int, err Error) {
	e.one[0] = e.replyBuf(id, size, err)
	_ = c.RespondParts(e.one[:]...)
	e.one[0] = nil
}

func (e *Engine) badRequest(c Conn, id int32, size int) {
	e.stats.BadRequests++
	e.reply(c, id, size, cserror.ErrInvalidParam)
}

// join: corosync's checks in corosync's order (EXIST for the same pid and
// group on any local connection, TRY_AGAIN while a leave of it is not yet
// delivered, NAME_TOO_LONG, then by state); a join during sync, or behind
// queued messages of the connection, gets TRY_AGAIN, as corosync answers
// every flow-controlled request during sync.
func (e *Engine) join(d *cpd, req []byte) Error {
	name, ok := GetName(req[ReqGroupOff:])
	pid := le.Uint32(req[ReqPidOff:])
	if ok {
		if g := e.procs.lookup(name); g != nil {
			for _, x := range g.locals {
				if x.pid == pid && !x.finalized {
					return cserror.ErrExist
				}
			}
			if _, in := g.find(e.nodeID(), pid); in {
				return cserror.ErrTryAgain
			}
		}
		if e.orphanJoined(name, pid) {
			return cserror.ErrTryAgain
		}
	}
	if !ok {
		return cserror.ErrNameTooLong
	}
	switch d.state {
	case stateLeaveStarted:
		return cserror.ErrBusy
	case stateJoinStarted, stateJoinCompleted:
		return cserror.ErrExist
	}
	if e.mustQueue(d) {
		return cserror.ErrTryAgain
	}
	h := putProcJoinHeader(e.hdr, pid)
	g := e.procs.ensure(name)
	if e.send(false, fnProcJoin, h, nameExec(g)) != nil {
		e.procs.gc(g)
		return cserror.ErrTryAgain
	}
	d.state, d.group, d.pid = stateJoinStarted, g, pid
	d.flags = le.Uint32(req[JoinFlagsOff:])
	g.locals = append(g.locals, d)
	return cserror.OK
}

// orphanJoined: a gone connection of (pid, name) still has its PROCDOWN
// queued; the same process joining again waits for it.
func (e *Engine) orphanJoined(name []byte, pid uint32) bool {
	for _, d := range e.backlog {
		if d.conn == nil && d.pid == pid && d.group != nil && d.group.name == string(name) {
			return true
		}
	}
	return false
}

// leave: the documented cpg_leave. The group must be the one joined.
func (e *Engine) leave(d *cpd, req []byte) Error {
	name, ok := GetName(req[ReqGroupOff:])
	if !ok {
		return cserror.ErrNameTooLong
	}
	switch d.state {
	case stateUnjoined, stateLeaveStarted:
		return cserror.ErrNotExist
	case stateJoinStarted:
		return cserror.ErrBusy
	}
	if d.group.name != string(name) {
		return cserror.ErrNotExist
	}
	if e.mustQueue(d) {
		return cserror.ErrTryAgain
	}
	h := putProcLeaveHeader(e.hdr, d.pid, ReasonLeave)
	if e.send(false, fnProcLeave, h, nameExec(d.group)) != nil {
		return cserror.ErrTryAgain
	}
	d.state = stateLeaveStarted
	return cserror.OK
}

// mcastRequest is the hot path: the asynchronous MCAST (no reply, ever:
// the client reads no response, so one would be taken for the next
// call's). Refused ones are counted and logged once per connection.
func (e *Engine) mcastRequest(d *cpd, req []byte) {
	if len(req) < McastReqSize {
		e.dropMcast(d, "short request")
		return
	}
	n := le.Uint32(req[McastLenOff:])
	if uint64(len(req)) != McastReqSize+uint64(n) || n > MaxAtomicMsgSize {
		e.dropMcast(d, "size does not match msglen, or above the atomic maximum")
		return
	}
	if !d.joined() {
		e.dropMcast(d, "not joined")
		return
	}
	h := putMcastHeader(e.hdr, d.pid)
	safe := Guarantee(le.Uint32(req[GuaranteeOff:])) == Safe
	e.sendOrQueue(d, safe, fnMcast, h, nameExec(d.group), req[McastMsgOff:])
}

func (e *Engine) dropMcast(d *cpd, why string) {
	e.stats.DroppedMcasts++
	d.dropped++
	if d.dropped == 1 {
		e.log.Warn("multicast dropped (logged once per connection)", "reason", why, "pid", d.pid, "state", d.state.String())
	}
}

// partialRequest: one fragment of a large message (synchronous).
func (e *Engine) partialRequest(d *cpd, req []byte) Error {
	if len(req) < PartialReqSize {
		e.stats.BadRequests++
		return cserror.ErrInvalidParam
	}
	n := le.Uint32(req[PartialFragOff:])
	typ := le.Uint32(req[PartialTypeOff:])
	total := le.Uint32(req[McastLenOff:])
	if uint64(len(req)) != PartialReqSize+uint64(n) || n > MaxAtomicMsgSize || n > total ||
		typ < PartialFirst || typ > PartialLast {
		e.stats.BadRequests++
		return cserror.ErrInvalidParam
	}
	if !d.joined() {
		return cserror.ErrNotExist
	}
	if e.mustQueue(d) {
		return cserror.ErrTryAgain
	}
	if typ == PartialFirst {
		d.partialStart = d.transitions
	}
	if d.transitions != d.partialStart {
		return cserror.ErrInterrupt
	}
	h := putPartialHeader(e.hdr, d.pid, total, typ)
	safe := Guarantee(le.Uint32(req[GuaranteeOff:])) == Safe
	if e.send(safe, fnPartialMcast, h, nameExec(d.group), req[PartialMsgOff:]) != nil {
		return cserror.ErrTryAgain
	}
	return cserror.OK
}

// membership answers the group's processes (at most 384), always as the
// full 9248-byte reply.
func (e *Engine) membership(c Conn, req []byte) {
	name, ok := GetName(req[ReqGroupOff:])
	if !ok {
		e.reply(c, ResMembership, MembershipResSize, cserror.ErrNameTooLong)
		return
	}
	b := e.replyBuf(ResMembership, MembershipResSize, cserror.OK)
	n := 0
	if g := e.procs.lookup(name); g != nil {
		for _, m := range g.members {
			if n == MembershipMax {
				break
			}
			putAddress(b[MembershipListOff+AddressSize*n:], Address{NodeID: m.nodeid, PID: m.pid})
			n++
		}
	}
	le.PutUint32(b[MembershipCountOff:], uint32(n))
	_ = c.RespondParts(b)
}
