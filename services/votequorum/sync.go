package votequorum

import (
	"slices"

	"github.com/gorosync/gorosync/services"
)

// timer is a one-shot timer on the loop's clock. It is started without
// the time (sync and message handlers do not get it) and takes its
// deadline at the next Tick, at most a poll later.
type timer struct {
	armed, dated bool
	durNs        int64
	deadlineNs   int64
}

func (t *timer) start(durMs uint32) { *t = timer{armed: true, durNs: int64(durMs) * 1_000_000} }
func (t *timer) stop()              { t.armed = false }

// fired reports (once) that the timer ran out by nowNs.
func (t *timer) fired(nowNs int64) bool {
	if !t.armed {
		return false
	}
	if !t.dated {
		t.dated, t.deadlineNs = true, nowNs+t.durNs
	}
	if nowNs < t.deadlineNs {
		return false
	}
	t.armed = false
	return true
}

// syncSends are what SyncProcess sends once per round.
type syncSends uint8

const (
	sendOwnNodeinfo syncSends = 1 << iota
	sendQdevNodeinfo
	sendQdevReg
	sendNodeList
)

// SyncInit starts a round (TOTEM_SPEC §9.6): nodes of the previous
// membership that are gone become DEAD, the last-man-standing timer is
// (re)started when a stable shrunken membership may follow, and the
// member lists rotate.
func (e *Engine) SyncInit(trans, members []uint32, ring services.RingID) {
	e.syncing = true
	e.syncOwed = sendOwnNodeinfo | sendQdevNodeinfo | sendQdevReg | sendNodeList
	e.syncWaitPoll = false
	if len(members) > 1 {
		e.us.flags &^= flagFirst
	}
	left := false
	for _, id := range e.members {
		if !slices.Contains(members, id) {
			left = true
			if n := e.find(id); n != nil {
				n.state = NodeDead
			}
		}
	}
	if e.lms {
		n := uint32(len(members))
		if (n >= e.quorum && left) || (n <= e.quorum && e.atb != atbNone && e.memberPresent(e.lowest)) {
			e.lmsTimer.start(e.lmsWindowMs)
		}
	}
	e.prevMembers = append(e.prevMembers[:0], e.members...)
	e.members = append(e.members[:0], members...)
	e.ring = ring
	if e.us.flags&flagQdevRegistered != 0 && e.us.flags&flagQdevAlive != 0 {
		e.qdevTimer.start(e.qdevSyncTimeoutMs)
		e.syncWaitPoll = true
		e.log.Info("waiting for quorum device " + e.qd.name + " poll (but maximum for " + itoa(e.qdevSyncTimeoutMs) + " ms)")
	}
}

// SyncProcess sends, once, our NODEINFO, the qdevice's, the qdevice's
// registration (when a name is known) and the nodelist notification;
// what the loop could not take is retried at the next call. With a live
// qdevice it then waits for its poll with the new ring id (or the sync
// timeout).
func (e *Engine) SyncProcess() bool {
	if e.syncOwed&sendOwnNodeinfo != 0 && e.sendNodeinfo(e.us.id) {
		e.syncOwed &^= sendOwnNodeinfo
	}
	if e.syncOwed&sendQdevNodeinfo != 0 && e.sendNodeinfo(qdeviceNodeID) {
		e.syncOwed &^= sendQdevNodeinfo
	}
	if e.syncOwed&sendQdevReg != 0 && (e.qd.name == "" || e.sendQdevReg(qdevRegister, e.qd.name)) {
		e.syncOwed &^= sendQdevReg
	}
	if e.syncOwed&sendNodeList != 0 {
		e.notifyNodeList(nil, 0)
		e.syncOwed &^= sendNodeList
	}
	if e.syncOwed != 0 {
		return false
	}
	return !(e.us.flags&flagQdevRegistered != 0 && e.syncWaitPoll)
}

// SyncActivate takes the verdict for the new ring and tells the quorum
// service and the trackers, changed or not.
func (e *Engine) SyncActivate() {
	e.recalculate(false, false)
	e.tellQuorum()
	e.notifyQuorum(nil, 0)
	e.syncing = false
}

// SyncAbort: the next round starts over (SyncInit resets the round).
func (e *Engine) SyncAbort() {}

// Tick runs the timers: last man standing (when quorate, expected votes
// drop to the nodes present) and the qdevice's poll timeout; and resends
// our NODEINFO if the loop could not take it.
func (e *Engine) Tick(nowNs int64) int {
	work := e.sendOwedNodeinfo()
	if e.lmsTimer.fired(nowNs) {
		work++
		if e.quorate {
			e.recalculate(true, true)
		}
	}
	if e.qdevTimer.fired(nowNs) {
		work++
		e.qdevTimeout()
	}
	return work
}
