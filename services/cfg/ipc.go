package cfg

import (
	"errors"

	"github.com/gorosync/gorosync/services/cserror"
	"github.com/gorosync/gorosync/shm"
)

// connState is one connection's part in shutdown tracking.
type connState struct {
	c       ipcConn
	tracker bool
	asked   bool   // asked in the running negotiation
	answer  answer // its answer there
}

// flowControlled marks the requests corosync holds back while a sync runs
// or the totem queue is full (CS_LIB_FLOW_CONTROL_REQUIRED): those answer
// CS_ERR_TRY_AGAIN then.
var flowControlled = [numReqs]bool{
	ReqRingStatusGet: true, ReqRingReenable: true, ReqKillNode: true, ReqTryShutdown: true,
	ReqReplyToShutdown: true, ReqReloadConfig: true, ReqTrackStart: true, ReqTrackStop: true,
}

// replyIDs maps each request to its reply's id.
var replyIDs = [numReqs]int32{
	ReqRingStatusGet: ResRingStatusGet, ReqRingReenable: ResRingReenable, ReqKillNode: ResKillNode,
	ReqTryShutdown: ResTryShutdown, ReqReplyToShutdown: ResReplyToShutdown, ReqGetNodeAddrs: ResGetNodeAddrs,
	ReqLocalGet: ResLocalGet, ReqReloadConfig: ResReloadConfig, ReqReopenLogFiles: ResReopenLogFiles,
	ReqNodeStatusGet: ResNodeStatusGet, ReqTrackStart: ResTrackStart, ReqTrackStop: ResTrackStop,
}

// errorReplySize is how long a failed reply to request id is: long enough
// for every field libcfg reads whatever the status (it reads RINGSTATUSGET's
// interface_count without looking at the error).
func errorReplySize(id int32) int {
	switch id {
	case ReqRingStatusGet:
		return RingStatusResSize
	case ReqNodeStatusGet:
		return nodeStatusVersionRes
	case ReqLocalGet:
		return localGetResSize
	case ReqGetNodeAddrs:
		return NodeAddrsResSize
	}
	return ResHeaderSize
}

// Connected implements shm.ConnectHandler.
func (e *Engine) Connected(c *shm.Conn) { e.state(c) }

// Request implements shm.Handler.
func (e *Engine) Request(c *shm.Conn, req []byte) { e.request(c, req) }

// Disconnected implements shm.Handler: a requester's pending shutdown is
// cancelled, a tracker counts as a YES.
func (e *Engine) Disconnected(c *shm.Conn) { e.gone(c) }

func (e *Engine) state(c ipcConn) *connState {
	if st, ok := c.Context().(*connState); ok {
		return st
	}
	st := &connState{c: c}
	c.SetContext(st)
	return st
}

func (e *Engine) gone(c ipcConn) {
	st, ok := c.Context().(*connState)
	delete(e.reloads, c.ID())
	if !ok {
		return
	}
	if e.neg != nil && e.neg.requester == st {
		e.cancelShutdown()
	}
	e.untrack(st)
	c.SetContext(nil)
}

// respond sends b; a connection that went away meanwhile is not an error
// here (Disconnected cleans up).
func (e *Engine) respond(c ipcConn, b []byte) {
	if err := c.Respond(b); err != nil && !errors.Is(err, shm.ErrClosed) {
		e.cfg.Log.Debug("cannot send reply", "conn", c.ID(), "err", err)
	}
}

// reply sends a header-only (or zero-filled fixed-size) reply.
func (e *Engine) reply(c ipcConn, id int32, size int, status Error) {
	b := e.scratch(size)
	PutResHeader(b, id, size, status)
	e.respond(c, b)
}

func (e *Engine) request(c ipcConn, req []byte) {
	st := e.state(c)
	r, bad := DecodeRequest(req)
	if bad != cserror.OK {
		if _, known := RequestSize(r.ID); !known {
			e.reply(c, 0, ResHeaderSize, cserror.ErrInvalidParam)
			return
		}
		e.reply(c, replyIDs[r.ID], errorReplySize(r.ID), bad)
		return
	}
	if flowControlled[r.ID] && e.syncing() {
		e.reply(c, 0, errorReplySize(r.ID), cserror.ErrTryAgain)
		return
	}
	switch r.ID {
	case ReqRingStatusGet:
		e.respond(c, EncodeRingStatus(e.scratch(RingStatusResSize), e.ringStatus()))
	case ReqRingReenable:
		e.reply(c, ResRingReenable, ResHeaderSize, cserror.ErrNotSupported)
	case ReqKillNode:
		e.reply(c, ResKillNode, ResHeaderSize, e.killNode(r.NodeID, r.Reason))
	case ReqTryShutdown:
		e.tryShutdown(st, r.Flags)
	case ReqReplyToShutdown:
		e.reply(c, ResReplyToShutdown, ResHeaderSize, e.replyToShutdown(st, r.Response))
	case ReqGetNodeAddrs:
		e.respond(c, EncodeNodeAddrs(e.scratch(NodeAddrsResSize+addrLen*MaxLinks), e.nodeAddrs(r.NodeID)))
	case ReqLocalGet:
		b := e.scratch(localGetResSize)
		PutResHeader(b, ResLocalGet, localGetResSize, cserror.OK)
		le.PutUint32(b[ResHeaderSize:], e.cfg.NodeID)
		e.respond(c, b)
	case ReqReloadConfig:
		e.reloadConfig(c)
	case ReqReopenLogFiles:
		e.reply(c, ResReopenLogFiles, ResHeaderSize, e.reopenLogs())
	case ReqNodeStatusGet:
		e.nodeStatusGet(c, r.NodeID, r.Version)
	case ReqTrackStart:
		e.trackStart(st) // may send a TESTSHUTDOWN first, as corosync does
		e.reply(c, ResTrackStart, ResHeaderSize, cserror.OK)
	case ReqTrackStop:
		e.untrack(st)
		e.reply(c, ResTrackStop, ResHeaderSize, cserror.OK)
	}
}

func (e *Engine) reopenLogs() Error {
	e.cfg.Log.Debug("Reopening logging files")
	if e.cfg.ReopenLogs == nil {
		return cserror.OK
	}
	if err := e.cfg.ReopenLogs(); err != nil {
		e.cfg.Log.Warn("Unable to reopen log files", "err", err)
		return cserror.FromErrno(err)
	}
	return cserror.OK
}

func (e *Engine) nodeStatusGet(c ipcConn, nodeid, version uint32) {
	st, ok := e.nodeStatus(nodeid)
	switch {
	case !ok:
		e.reply(c, ResNodeStatusGet, nodeStatusVersionRes, cserror.ErrFailedOperation)
	case version != NodeStatusV1:
		e.reply(c, ResNodeStatusGet, nodeStatusVersionRes, cserror.ErrNotSupported)
	default:
		e.respond(c, EncodeNodeStatus(e.scratch(NodeStatusResSize), st))
	}
}
