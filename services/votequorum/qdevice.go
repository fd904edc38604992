package votequorum

import (
	"github.com/gorosync/gorosync/services"
	"github.com/gorosync/gorosync/services/cserror"
	"github.com/gorosync/gorosync/services/quorum"
	"github.com/gorosync/gorosync/shm"
)

// qdeviceState is the quorum device's registration on this node (one
// device at most). The device's votes live in Engine.qdev; its flags in
// our node's flags.
type qdeviceState struct {
	name       string
	canOperate bool      // not disabled by the configuration
	masterWins bool      // the device allowed master_wins
	regConn    *shm.Conn // the register call waiting for its QDEVICE_REG to come back
}

// qdevRegister: QDEVICE_REGISTER (only one device; the reply waits for
// our QDEVICE_REG to come back in the agreed order).
func (e *Engine) qdevRegister(c *shm.Conn, name string) (quorum.Error, bool) {
	if !e.qd.canOperate {
		e.log.Info("Registration of quorum device is disabled by incorrect corosync.conf. See logs for more information")
		return cserror.ErrAccess, true
	}
	if e.us.flags&flagQdevRegistered != 0 {
		if name == e.qd.name {
			return cserror.OK, true
		}
		e.warn("A new qdevice with different name (new: " + name + " old: " + e.qd.name + ") is trying to re-register!")
		return cserror.ErrExist, true
	}
	if e.qd.regConn != nil {
		e.warn("Registration request already in progress")
		return cserror.ErrTryAgain, true
	}
	if !e.sendQdevReg(qdevRegister, name) {
		e.warn("Unable to send qdevice registration request to cluster")
		return cserror.ErrTryAgain, true
	}
	e.qd.regConn = c
	return cserror.OK, false // answered when the message comes back
}

// onQdevReg: a QDEVICE_REG in the agreed order. Another node's
// registration only records the device's name; ours completes the
// waiting register call.
func (e *Engine) onQdevReg(from, op uint32, name string) {
	e.debug("received qdevice op", "op", op, "from", from, "name", name)
	switch op {
	case qdevRegister:
		if from != e.us.id {
			if e.qd.name == "" {
				e.qd.name = name
			}
			return
		}
		if e.us.flags&flagQdevRegistered != 0 {
			return // our registration re-broadcast to new members
		}
		c := e.qd.regConn
		if c == nil {
			e.warn("Unable to determine origin of the qdevice register call!")
			return
		}
		e.qd.regConn = nil
		if e.qd.name == "" {
			e.qd.name = name
		}
		res := cserror.OK
		if name == e.qd.name {
			e.us.flags |= flagQdevRegistered
			e.sendNodeinfo(qdeviceNodeID)
			e.sendNodeinfo(e.us.id)
		} else {
			e.warn("A new qdevice with different name (new: " + name + " old: " + e.qd.name + ") is trying to register!")
			res = cserror.ErrExist
		}
		e.respondStatus(c, res)
	case qdevUnregister:
		for _, n := range e.nodes {
			if n.state == NodeMember && n.flags&flagQdevRegistered != 0 {
				return // still registered somewhere: keep the name
			}
		}
		e.qd.name = ""
	}
}

// onQdevReconfigure renames the device.
func (e *Engine) onQdevReconfigure(from uint32, oldName, newName string) {
	e.debug("received qdevice name change", "from", from, "old", oldName, "new", newName)
	if oldName == e.qd.name {
		e.qd.name = newName
	}
}

// qdevUnregister: QDEVICE_UNREGISTER.
func (e *Engine) qdevUnregister(name string) quorum.Error {
	if e.us.flags&flagQdevRegistered == 0 {
		return cserror.ErrNotExist
	}
	if name != e.qd.name {
		return cserror.ErrInvalidParam
	}
	e.qdevTimer.stop()
	e.syncWaitPoll = false
	e.us.flags &^= qdeviceFlagsAll
	e.sendNodeinfo(e.us.id)
	e.sendQdevReg(qdevUnregister, name)
	return cserror.OK
}

// qdevUpdate: QDEVICE_UPDATE renames the device cluster-wide.
func (e *Engine) qdevUpdate(oldName, newName string) quorum.Error {
	if e.us.flags&flagQdevRegistered == 0 {
		return cserror.ErrNotExist
	}
	if oldName != e.qd.name {
		return cserror.ErrInvalidParam
	}
	e.sendQdevReconfigure(oldName, newName)
	return cserror.OK
}

// qdevPoll: QDEVICE_POLL, the device's heartbeat with its vote; it must
// carry the ring of the last sync.
func (e *Engine) qdevPoll(name string, castVote bool, ring services.RingID) quorum.Error {
	if !e.qd.canOperate {
		return cserror.ErrAccess
	}
	if e.us.flags&flagQdevRegistered == 0 {
		return cserror.ErrNotExist
	}
	if ring != e.ring {
		e.debug("qdevice poll ring id differs from the last sync's: ignored", "poll", ring, "sync", e.ring)
		return cserror.ErrMessageError
	}
	if name != e.qd.name {
		return cserror.ErrInvalidParam
	}
	old := e.us.flags
	e.us.flags |= flagQdevAlive
	if castVote {
		e.us.flags |= flagQdevCastVote
	} else {
		e.us.flags &^= flagQdevCastVote
	}
	if e.us.flags != old {
		e.sendNodeinfo(e.us.id)
	}
	e.qdevTimer.start(e.qdevTimeoutMs)
	e.syncWaitPoll = false
	return cserror.OK
}

// qdevMasterWins: QDEVICE_MASTER_WINS.
func (e *Engine) qdevMasterWins(name string, allow bool) quorum.Error {
	if !e.qd.canOperate {
		return cserror.ErrAccess
	}
	if e.us.flags&flagQdevRegistered == 0 {
		return cserror.ErrNotExist
	}
	if name != e.qd.name {
		return cserror.ErrInvalidParam
	}
	old := e.us.flags
	if allow {
		e.us.flags |= flagQdevMasterWins
	} else {
		e.us.flags &^= flagQdevMasterWins
	}
	if e.us.flags != old {
		e.sendNodeinfo(e.us.id)
	}
	e.qd.masterWins = allow
	e.putU8(keyQdevMasterWins, b8(allow))
	return cserror.OK
}

// qdevTimeout: the device stopped polling; its vote no longer counts
// here.
func (e *Engine) qdevTimeout() {
	if e.us.flags&flagQdevAlive == 0 {
		return
	}
	e.us.flags &^= flagQdevAlive | flagQdevCastVote
	e.log.Info("lost contact with quorum device " + e.qd.name)
	e.sendNodeinfo(e.us.id)
	e.syncWaitPoll = false
}
