package quorum

import (
	"slices"

	"github.com/gorosync/gorosync/services/cserror"
	"github.com/gorosync/gorosync/shm"
)

// connState is one connection's library model and tracking.
type connState struct {
	model    uint32
	tracking bool
}

var _ shm.ConnectHandler = (*Engine)(nil)

// Connected implements shm.ConnectHandler: a new connection speaks model
// v0 until MODEL_GETTYPE says otherwise.
func (e *Engine) Connected(c *shm.Conn) { e.state(c) }

func (e *Engine) state(c *shm.Conn) *connState {
	if st, ok := c.Context().(*connState); ok {
		return st
	}
	st := &connState{model: ModelV0}
	c.SetContext(st)
	return st
}

// Disconnected stops the connection's tracking.
func (e *Engine) Disconnected(c *shm.Conn) {
	e.untrack(c)
	c.SetContext(nil)
}

func (e *Engine) untrack(c *shm.Conn) bool {
	i := slices.Index(e.trackers, c)
	if i < 0 {
		return false
	}
	e.trackers = slices.Delete(e.trackers, i, i+1)
	return true
}

// Trackers is the number of connections tracking changes.
func (e *Engine) Trackers() int { return len(e.trackers) }

func (e *Engine) scratch(n int) []byte {
	if cap(e.buf) < n {
		e.buf = make([]byte, n, max(n, 512))
	}
	b := e.buf[:n]
	clear(b)
	return b
}

// Request implements shm.Handler. Every request gets its reply; a
// request the service does not know, or of the wrong size, gets
// CS_ERR_INVALID_PARAM.
func (e *Engine) Request(c *shm.Conn, req []byte) {
	st := e.state(c)
	r, err := DecodeRequest(req)
	if err != cserror.OK {
		id, size := replyShape(r.ID)
		if r.ID < 0 || r.ID >= numReqs {
			id, size = resUnknownReqID, ResHdrSize
		}
		b := e.scratch(size)
		PutResHdr(b, id, size, err)
		_ = c.Respond(b)
		return
	}
	switch r.ID {
	case ReqGetQuorate:
		e.respondU32(c, ResGetQuorate, cserror.OK, b32(e.quorate))
	case ReqTrackStart:
		e.trackStart(c, st, r.Flags)
	case ReqTrackStop:
		// corosync 3.1.7 answers CS_OK even when the connection was not
		// tracking (corosync-quorumtool -s stops a CURRENT-only track
		// and would print an error otherwise).
		st.tracking = false
		e.untrack(c)
		e.respondHdr(c, ResTrackStop, cserror.OK)
	case ReqGetType:
		e.respondU32(c, ResGetType, cserror.OK, e.typ)
	case ReqModelGetType:
		res := cserror.OK
		if r.Model == ModelV0 || r.Model == ModelV1 {
			st.model = r.Model
		} else {
			res = cserror.ErrInvalidParam
			e.log.Error("quorum_model_type request for an unsupported model", "model", r.Model)
		}
		e.respondU32(c, ResModelGetType, res, e.typ)
	}
}

func (e *Engine) respondHdr(c *shm.Conn, id int32, res Error) {
	b := e.scratch(ResHdrSize)
	PutResHdr(b, id, ResHdrSize, res)
	_ = c.Respond(b)
}

func (e *Engine) respondU32(c *shm.Conn, id int32, res Error, v uint32) {
	b := e.scratch(u32ResSize)
	PutResHdr(b, id, u32ResSize, res)
	le.PutUint32(b[24:], v)
	_ = c.Respond(b)
}

// trackStart sends the current state first when asked (CURRENT or
// CHANGES: a v1 nodelist event without joined and left lists, then the
// quorum event), then registers CHANGES and CHANGES_ONLY trackers; a
// second registration answers CS_ERR_EXIST.
func (e *Engine) trackStart(c *shm.Conn, st *connState, flags uint32) {
	if flags&trackCurrentMask != 0 {
		e.notifyNodeList(c, false)
		e.notifyQuorum(c)
	}
	res := cserror.OK
	switch {
	case st.tracking:
		res = cserror.ErrExist
	case flags&trackChangesMask != 0:
		st.tracking = true
		e.trackers = append(e.trackers, c)
	}
	e.respondHdr(c, ResTrackStart, res)
}

// notifyQuorum sends the quorum event, in each connection's model, to c
// or (c nil) to every tracker.
func (e *Engine) notifyQuorum(c *shm.Conn) {
	v0 := AppendNotification(e.buf[:0], e.quorate, e.ring.Seq, e.view)
	n0 := len(v0)
	all := AppendV1Quorum(v0, e.quorate, e.ring, e.view)
	e.buf = all[:0]
	v0, v1 := all[:n0], all[n0:]
	send := func(c *shm.Conn) {
		if e.state(c).model == ModelV1 {
			_ = c.Event(v1)
		} else {
			_ = c.Event(v0)
		}
	}
	if c != nil {
		send(c)
		return
	}
	for _, t := range slices.Clone(e.trackers) {
		send(t)
	}
}

// notifyNodeList sends the v1 nodelist event (members of the last sync;
// joined and left only after a sync) to c or to every v1 tracker.
func (e *Engine) notifyNodeList(c *shm.Conn, joinedLeft bool) {
	var joined, left []uint32
	if joinedLeft {
		joined, left = e.joined, e.left
	}
	b := AppendV1NodeList(e.buf[:0], e.syncRing, e.members, joined, left)
	e.buf = b[:0]
	if c != nil {
		if e.state(c).model == ModelV1 {
			_ = c.Event(b)
		}
		return
	}
	for _, t := range slices.Clone(e.trackers) {
		if e.state(t).model == ModelV1 {
			_ = t.Event(b)
		}
	}
}
