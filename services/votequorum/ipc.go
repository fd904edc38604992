package votequorum

import (
	"slices"

	"github.com/gorosync/gorosync/services/cserror"
	"github.com/gorosync/gorosync/services/quorum"
	"github.com/gorosync/gorosync/shm"
)

// connState is one connection's tracking.
type connState struct {
	tracking bool
	context  uint64
	flags    uint32
}

var _ shm.ConnectHandler = (*Engine)(nil)

// Connected implements shm.ConnectHandler.
func (e *Engine) Connected(c *shm.Conn) { e.state(c) }

func (e *Engine) state(c *shm.Conn) *connState {
	if st, ok := c.Context().(*connState); ok {
		return st
	}
	st := &connState{}
	c.SetContext(st)
	return st
}

// Disconnected stops the connection's tracking and forgets a register
// call it left waiting (its QDEVICE_REG then registers nothing).
func (e *Engine) Disconnected(c *shm.Conn) {
	if i := slices.Index(e.trackers, c); i >= 0 {
		e.trackers = slices.Delete(e.trackers, i, i+1)
	}
	if e.qd.regConn == c {
		e.qd.regConn = nil
	}
	c.SetContext(nil)
}

// Trackers is the number of connections tracking changes.
func (e *Engine) Trackers() int { return len(e.trackers) }

// Request implements shm.Handler. votequorum serves its calls during sync
// too (corosync's qdevice needs it). Unknown ids answer a 24-byte reply
// with id 0 and CS_ERR_INVALID_PARAM; a wrong size answers the request's
// own reply with CS_ERR_INVALID_PARAM.
func (e *Engine) Request(c *shm.Conn, req []byte) {
	st := e.state(c)
	r, res := DecodeRequest(req)
	if res != cserror.OK {
		if r.ID == ReqGetInfo {
			b := e.scratch(GetInfoResSize)
			PutGetInfo(b, res, Info{})
			_ = c.Respond(b)
			return
		}
		e.respondStatus(c, res)
		return
	}
	switch r.ID {
	case ReqGetInfo:
		in, res := e.GetInfo(r.NodeID)
		b := e.scratch(GetInfoResSize)
		PutGetInfo(b, res, in)
		_ = c.Respond(b)
		return
	case ReqSetExpected:
		res = e.SetExpected(r.Value)
	case ReqSetVotes:
		res = e.SetVotes(r.NodeID, r.Value)
	case ReqTrackStart:
		res = e.trackStart(c, st, r)
	case ReqTrackStop:
		res = cserror.ErrNotExist
		if st.tracking {
			st.tracking = false
			e.trackers = slices.DeleteFunc(e.trackers, func(t *shm.Conn) bool { return t == c })
			res = cserror.OK
		}
	case ReqQdeviceRegister:
		var now bool
		if res, now = e.qdevRegister(c, r.Name); !now {
			return
		}
	case ReqQdeviceUnregister:
		res = e.qdevUnregister(r.Name)
	case ReqQdeviceUpdate:
		res = e.qdevUpdate(r.Name, r.NewName)
	case ReqQdevicePoll:
		res = e.qdevPoll(r.Name, r.CastVote, r.Ring)
	case ReqQdeviceMasterWins:
		res = e.qdevMasterWins(r.Name, r.Value != 0)
	}
	e.respondStatus(c, res)
}

// respondStatus sends the 24-byte STATUS reply (also the reply to an
// unknown request id).
func (e *Engine) respondStatus(c *shm.Conn, res quorum.Error) {
	b := e.scratch(ResHdrSize)
	quorum.PutResHdr(b, ResStatus, ResHdrSize, res)
	_ = c.Respond(b)
}

// GetInfo answers GETINFO for nodeid (0: this node); cserror.ErrNotExist
// for a node votequorum does not know.
func (e *Engine) GetInfo(nodeid uint32) (Info, quorum.Error) {
	if nodeid == qdeviceNodeID {
		nodeid = e.us.id
	}
	n := e.find(nodeid)
	if n == nil {
		return Info{}, cserror.ErrNotExist
	}
	var highest, total uint32
	for _, m := range e.nodes {
		if m.state == NodeMember {
			highest = max(highest, m.expected)
			total += m.votes
		}
	}
	if n.flags&flagQdevCastVote != 0 {
		total += e.qdev.votes
	}
	in := Info{NodeID: n.id, State: n.state, Votes: n.votes, ExpectedVotes: n.expected,
		HighestExpected: highest, TotalVotes: total, Quorum: e.quorum,
		QdeviceVotes: e.qdev.votes, QdeviceName: e.qd.name}
	for _, f := range []struct {
		on   bool
		flag uint32
	}{
		{e.twoNode, InfoTwoNode}, {e.quorate, InfoQuorate}, {e.wfa, InfoWaitForAll},
		{e.lms, InfoLastManStanding}, {e.atb != atbNone, InfoAutoTieBreaker},
		{e.allowDownscale, InfoAllowDownscale},
		{n.flags&flagQdevRegistered != 0, InfoQdeviceRegistered}, {n.flags&flagQdevAlive != 0, InfoQdeviceAlive},
		{n.flags&flagQdevCastVote != 0, InfoQdeviceCastVote}, {n.flags&flagQdevMasterWins != 0, InfoQdeviceMasterWins},
	} {
		if f.on {
			in.Flags |= f.flag
		}
	}
	return in, cserror.OK
}

// SetExpected is SETEXPECTED: refused (CS_ERR_INVALID_PARAM) below the
// votes present, or when a quorate cluster would lose quorum; otherwise
// RECONFIGURE sets every node's expected votes and ev_barrier, the quorum
// allowed to drop. CS_ERR_NO_RESOURCES when the message cannot be sent.
func (e *Engine) SetExpected(expected uint32) quorum.Error {
	saved := e.allowDownscale
	e.allowDownscale = false
	q, total := e.calculate(true, expected)
	e.allowDownscale = saved
	if expected < total || (e.quorate && q > total) {
		return cserror.ErrInvalidParam
	}
	e.setMembersExpected(expected)
	if !e.sendReconfigure(reconfExpectedVotes, e.us.id, expected) {
		return cserror.ErrNoResources
	}
	return cserror.OK
}

// SetVotes is SETVOTES: CS_ERR_NAME_NOT_FOUND for an unknown node;
// refused when the resulting quorum would be below half the votes or
// above them; otherwise RECONFIGURE sets the node's votes everywhere.
func (e *Engine) SetVotes(nodeid, votes uint32) quorum.Error {
	n := e.find(nodeid)
	if n == nil {
		return cserror.ErrNameNotFound
	}
	saved := n.votes
	n.votes = votes
	q, total := e.calculate(true, 0)
	if q < total/2 || q > total {
		n.votes = saved
		return cserror.ErrInvalidParam
	}
	if !e.sendReconfigure(reconfNodeVotes, nodeid, votes) {
		return cserror.ErrNoResources
	}
	return cserror.OK
}

// trackStart: CURRENT or CHANGES first queue a nodelist and a quorum
// event (with the request's context); CHANGES and CHANGES_ONLY register
// the tracker (again: CS_ERR_EXIST).
func (e *Engine) trackStart(c *shm.Conn, st *connState, r Request) quorum.Error {
	if r.Flags&(TrackCurrent|TrackChanges) != 0 {
		e.notifyNodeList(c, r.Context)
		e.notifyQuorum(c, r.Context)
	}
	if st.tracking {
		return cserror.ErrExist
	}
	if r.Flags&(TrackChanges|TrackChangesOnly) != 0 {
		st.tracking, st.context, st.flags = true, r.Context, r.Flags
		e.trackers = append(e.trackers, c)
	}
	return cserror.OK
}

// sendEvent sends ev to c, or to every tracker with the tracker's context at
// ctxOff.
func (e *Engine) sendEvent(c *shm.Conn, ev []byte, ctxOff int) {
	if c != nil {
		_ = c.Event(ev)
		return
	}
	for _, t := range slices.Clone(e.trackers) {
		le.PutUint64(ev[ctxOff:], e.state(t).context)
		_ = t.Event(ev)
	}
}

// notifyQuorum sends the verdict and every node known (the qdevice as
// node 0 while registered).
func (e *Engine) notifyQuorum(c *shm.Conn, context uint64) {
	if c == nil && len(e.trackers) == 0 {
		return
	}
	nodes := make([]NodeStatus, 0, len(e.nodes)+1)
	for _, n := range e.nodes {
		nodes = append(nodes, NodeStatus{n.id, n.state})
	}
	if e.us.flags&flagQdevRegistered != 0 {
		nodes = append(nodes, NodeStatus{qdeviceNodeID, e.qdev.state})
	}
	ev := AppendQuorumEvent(e.buf[:0], e.quorate, context, nodes)
	e.buf = ev[:0]
	e.sendEvent(c, ev, 32)
}

// notifyNodeList sends the members and ring of the current sync.
func (e *Engine) notifyNodeList(c *shm.Conn, context uint64) {
	if c == nil && len(e.trackers) == 0 {
		return
	}
	ev := AppendNodeListEvent(e.buf[:0], context, e.ring, e.members)
	e.buf = ev[:0]
	e.sendEvent(c, ev, 24)
}

// notifyExpected tells trackers our expected votes changed.
func (e *Engine) notifyExpected() {
	if len(e.trackers) == 0 {
		return
	}
	ev := AppendExpectedEvent(e.buf[:0], 0, e.us.expected)
	e.buf = ev[:0]
	e.sendEvent(nil, ev, 24)
}
