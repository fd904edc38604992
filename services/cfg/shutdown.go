package cfg

import (
	"encoding/binary"
	"slices"

	"github.com/gorosync/gorosync/services/cmap"
	"github.com/gorosync/gorosync/services/cserror"
)

// answer is a tracker's reply to the running shutdown negotiation.
type answer uint8

const (
	answerNone answer = iota
	answerYes
	answerNo
)

// negotiation is one TRYSHUTDOWN waiting for the trackers' answers
// (TOTEM_SPEC §12.1).
type negotiation struct {
	requester *connState
	flags     uint32
	asked     []*connState // trackers asked; their answers are in connState
	timeoutNs int64
	// The deadline is set by the first Tick after the request, on the
	// loop's clock, which the IPC path does not see.
	armed      bool
	deadlineNs int64
}

// shutdownTimeoutMs is cfg.shutdown_timeout (a u32, as corosync reads it
// with icmap_get_uint32) or the default.
func (e *Engine) shutdownTimeoutMs() int64 {
	if v, ok := e.cfg.Store.Get(shutdownTimeoutKey); ok && v.Type == cmap.U32 && len(v.Data) == 4 {
		return int64(binary.LittleEndian.Uint32(v.Data))
	}
	return DefaultShutdownTimeoutMs
}

// tryShutdown handles TRYSHUTDOWN. IMMEDIATE goes down without asking; a
// second negotiation is CS_ERR_EXIST; with nobody else tracking the node
// goes down at once; otherwise every other tracker is asked and the reply
// waits for their answers or the timeout.
func (e *Engine) tryShutdown(st *connState, flags uint32) {
	c := st.c
	switch {
	case flags > ShutdownImmediate:
		e.reply(c, ResTryShutdown, ResHeaderSize, cserror.ErrInvalidParam)
		return
	case flags == ShutdownImmediate:
		e.reply(c, ResTryShutdown, ResHeaderSize, e.sendShutdown())
		return
	case e.neg != nil:
		e.reply(c, ResTryShutdown, ResHeaderSize, cserror.ErrExist)
		return
	}
	n := &negotiation{requester: st, flags: flags, timeoutNs: e.shutdownTimeoutMs() * 1_000_000}
	for _, t := range e.trackers {
		if t != st {
			t.asked, t.answer = true, answerNone
			n.asked = append(n.asked, t)
		}
	}
	if len(n.asked) == 0 {
		e.reply(c, ResTryShutdown, ResHeaderSize, e.sendShutdown())
		return
	}
	e.neg = n
	e.cfg.Log.Debug("shutdown requested, asking the trackers", "trackers", len(n.asked), "flags", flags, "timeout_ms", n.timeoutNs/1_000_000)
	for _, t := range n.asked {
		e.testShutdown(t.c, cserror.OK, flags)
	}
}

// replyToShutdown records a tracker's answer (any non-zero response is
// YES, as corosync reads it).
func (e *Engine) replyToShutdown(st *connState, response uint32) Error {
	if e.neg == nil {
		return cserror.ErrAccess
	}
	if !st.asked {
		// corosync counts an answer from anyone, even twice; only the
		// trackers asked are counted here, once each (the last answer).
		return cserror.OK
	}
	st.answer = answerNo
	if response != ReplyNo {
		st.answer = answerYes
	}
	e.checkShutdown()
	return cserror.OK
}

// trackStart makes st a shutdown tracker; one that starts while a
// negotiation runs is asked too.
func (e *Engine) trackStart(st *connState) {
	if st.tracker {
		return
	}
	st.tracker = true
	e.trackers = append(e.trackers, st)
	if n := e.neg; n != nil && st != n.requester {
		if !st.asked {
			st.asked = true
			n.asked = append(n.asked, st)
		}
		st.answer = answerNone
		e.testShutdown(st.c, cserror.OK, n.flags)
	}
}

// untrack ends st's tracking (TRACKSTOP or disconnect): if it was asked,
// its answer becomes YES.
func (e *Engine) untrack(st *connState) {
	if !st.tracker {
		return
	}
	st.tracker = false
	if i := slices.Index(e.trackers, st); i >= 0 {
		e.trackers = slices.Delete(e.trackers, i, i+1)
	}
	if e.neg != nil && st.asked {
		st.answer = answerYes
		e.checkShutdown()
	}
}

// checkShutdown decides once every tracker asked has answered.
func (e *Engine) checkShutdown() {
	n := e.neg
	if n == nil {
		return
	}
	yes := 0
	for _, t := range n.asked {
		switch t.answer {
		case answerNone:
			return
		case answerYes:
			yes++
		}
	}
	e.finishShutdown(yes == len(n.asked))
}

// finishShutdown answers the requester: all YES or REGARDLESS sends
// SHUTDOWN (CS_OK, or CS_ERR_TRY_AGAIN if it cannot be queued), anything
// else is CS_ERR_BUSY.
func (e *Engine) finishShutdown(allYes bool) {
	n := e.neg
	e.endNegotiation()
	yes, no := 0, 0
	for _, t := range n.asked {
		switch t.answer {
		case answerYes:
			yes++
		case answerNo:
			no++
		}
	}
	status := cserror.ErrBusy
	if allYes || n.flags == ShutdownRegardless {
		status = e.sendShutdown()
	}
	e.cfg.Log.Debug("shutdown decision", "yes", yes, "no", no, "asked", len(n.asked), "flags", n.flags, "result", status.String())
	e.reply(n.requester.c, ResTryShutdown, ResHeaderSize, status)
}

// cancelShutdown drops the negotiation without a reply (its requester is
// gone).
func (e *Engine) cancelShutdown() {
	e.cfg.Log.Debug("shutdown requester went away, shutdown cancelled")
	e.endNegotiation()
}

func (e *Engine) endNegotiation() {
	for _, t := range e.neg.asked {
		t.asked, t.answer = false, answerNone
	}
	e.neg = nil
}

// Tick runs the shutdown timer: at expiry every unanswered tracker counts
// as NO (so REQUEST fails with CS_ERR_BUSY and REGARDLESS proceeds), then
// every tracker gets a TESTSHUTDOWN carrying CS_ERR_TIMEOUT.
func (e *Engine) Tick(nowNs int64) int {
	n := e.neg
	if n == nil {
		return 0
	}
	if !n.armed {
		n.armed, n.deadlineNs = true, nowNs+n.timeoutNs
		return 0
	}
	if nowNs < n.deadlineNs {
		return 0
	}
	for _, t := range n.asked {
		if t.answer == answerNone {
			t.answer = answerNo
		}
	}
	e.cfg.Log.Debug("shutdown timer expired")
	e.finishShutdown(false)
	for _, t := range slices.Clone(e.trackers) {
		e.testShutdown(t.c, cserror.ErrTimeout, n.flags)
	}
	return 1
}

// testShutdown sends the TESTSHUTDOWN event (header error = status).
func (e *Engine) testShutdown(c ipcConn, status Error, flags uint32) {
	var b [testShutdownSize]byte
	PutResHeader(b[:], ResTestShutdown, testShutdownSize, status)
	le.PutUint32(b[ResHeaderSize:], flags)
	if err := c.Event(b[:]); err != nil {
		e.cfg.Log.Debug("cannot send TESTSHUTDOWN", "conn", c.ID(), "err", err)
	}
}

// sendShutdown multicasts SHUTDOWN: every node logs it, this one shuts
// down when its own message comes back.
func (e *Engine) sendShutdown() Error { return e.send(fnShutdown) }
