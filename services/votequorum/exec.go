package votequorum

import "bytes"

// Exec message functions (corosync's numbering).
const (
	fnNodeinfo     uint16 = 0
	fnReconfigure  uint16 = 1
	fnQdevReg      uint16 = 2
	fnQdevReconfig uint16 = 3
)

// RECONFIGURE parameters.
const (
	reconfExpectedVotes uint8 = 1
	reconfNodeVotes     uint8 = 2
	reconfCancelWFA     uint8 = 3
)

// QDEVICE_REG operations.
const (
	qdevUnregister uint32 = 0
	qdevRegister   uint32 = 1
)

// Exec message bodies, little-endian, after the Host's header:
//
//	NODEINFO            nodeid u32, votes u32, expected_votes u32, flags u32
//	RECONFIGURE         nodeid u32, value u32, param u8, 3 bytes padding
//	QDEVICE_REG         operation u32, name [255] (NUL-padded)
//	QDEVICE_RECONFIGURE oldname [255], newname [255]
const (
	nodeinfoSize     = 16
	reconfigureSize  = 12
	QdeviceNameLen   = 255 // VOTEQUORUM_QDEVICE_MAX_NAME_LEN, the NUL included
	qdevRegSize      = 4 + QdeviceNameLen
	qdevReconfigSize = 2 * QdeviceNameLen
)

type nodeinfoMsg struct{ nodeid, votes, expected, flags uint32 }

type reconfigureMsg struct {
	nodeid, value uint32
	param         uint8
}

// cName is a NUL-padded name field as a string: up to its first NUL.
func cName(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// putName writes name into a NUL-padded field of n bytes, keeping a NUL.
func putName(b []byte, name string) {
	if len(name) > len(b)-1 {
		name = name[:len(b)-1]
	}
	clear(b)
	copy(b, name)
}

func (e *Engine) sendNodeinfoMsg(m nodeinfoMsg) bool {
	var b [nodeinfoSize]byte
	le.PutUint32(b[0:], m.nodeid)
	le.PutUint32(b[4:], m.votes)
	le.PutUint32(b[8:], m.expected)
	le.PutUint32(b[12:], m.flags)
	return e.send(fnNodeinfo, b[:])
}

// sendNodeinfo multicasts what this node knows of node id (us or the
// qdevice). Our own NODEINFO is retried on Tick when the loop cannot
// take it: the others must learn our votes and flags.
func (e *Engine) sendNodeinfo(id uint32) bool {
	n := e.find(id)
	if n == nil {
		return false
	}
	if id != qdeviceNodeID {
		e.debug("sending nodeinfo", "flags", flagsText(n.flags))
	}
	ok := e.sendNodeinfoMsg(nodeinfoMsg{id, n.votes, n.expected, n.flags})
	if id == e.us.id {
		e.nodeinfoOwed = !ok
	}
	return ok
}

// sendOwedNodeinfo retries our NODEINFO; it counts as work only when it
// went out (so that a loop refusing it does not keep the poller busy).
func (e *Engine) sendOwedNodeinfo() int {
	if !e.nodeinfoOwed || e.host == nil || !e.sendNodeinfo(e.us.id) {
		return 0
	}
	return 1
}

func (e *Engine) sendReconfigure(param uint8, nodeid, value uint32) bool {
	var b [reconfigureSize]byte
	le.PutUint32(b[0:], nodeid)
	le.PutUint32(b[4:], value)
	b[8] = param
	return e.send(fnReconfigure, b[:])
}

func (e *Engine) sendQdevReg(op uint32, name string) bool {
	var b [qdevRegSize]byte
	le.PutUint32(b[0:], op)
	putName(b[4:], name)
	return e.send(fnQdevReg, b[:])
}

func (e *Engine) sendQdevReconfigure(oldName, newName string) bool {
	var b [qdevReconfigSize]byte
	putName(b[:QdeviceNameLen], oldName)
	putName(b[QdeviceNameLen:], newName)
	return e.send(fnQdevReconfig, b[:])
}

// Deliver handles one exec message in the agreed order. A message shorter
// than its function's body is dropped (a buggy or newer peer); longer
// ones are read up to their known fields.
func (e *Engine) Deliver(from uint32, fn uint16, msg []byte) {
	switch fn {
	case fnNodeinfo:
		if len(msg) < nodeinfoSize {
			break
		}
		e.onNodeinfo(from, nodeinfoMsg{le.Uint32(msg), le.Uint32(msg[4:]), le.Uint32(msg[8:]), le.Uint32(msg[12:])})
		return
	case fnReconfigure:
		if len(msg) < reconfigureSize {
			break
		}
		e.onReconfigure(from, reconfigureMsg{le.Uint32(msg), le.Uint32(msg[4:]), msg[8]})
		return
	case fnQdevReg:
		if len(msg) < qdevRegSize {
			break
		}
		e.onQdevReg(from, le.Uint32(msg), cName(msg[4:qdevRegSize]))
		return
	case fnQdevReconfig:
		if len(msg) < qdevReconfigSize {
			break
		}
		e.onQdevReconfigure(from, cName(msg[:QdeviceNameLen]), cName(msg[QdeviceNameLen:qdevReconfigSize]))
		return
	}
	e.log.Warn("votequorum: dropped a malformed or unknown exec message", "from", from, "fn", fn, "bytes", len(msg))
}

// onNodeinfo is corosync's NODEINFO handler (TOTEM_SPEC §9.5).
func (e *Engine) onNodeinfo(from uint32, m nodeinfoMsg) {
	e.debug("got nodeinfo message", "from", from, "nodeid", m.nodeid, "votes", m.votes, "expected", m.expected, "flags", flagsText(m.flags))
	n := e.find(m.nodeid)
	isNew := n == nil
	if isNew {
		if n = e.add(m.nodeid); n == nil {
			e.crit("votequorum: no room for another node")
			return
		}
	}
	old := *n
	if isNew {
		old = node{id: m.nodeid, state: NodeDead}
	}
	var allowDecrease, byNode bool
	if m.nodeid == qdeviceNodeID {
		sender := e.find(from)
		if sender == nil {
			return // the sender's own NODEINFO always comes first
		}
		if !e.quorate && sender.flags&flagQuorate != 0 {
			n.votes = m.votes
		} else {
			n.votes = max(n.votes, m.votes)
		}
	} else {
		allowDecrease, byNode = e.applyNodeinfo(n, m)
	}
	if isNew || m.nodeid == e.us.id || n.flags&flagFirst != 0 || old.votes != n.votes ||
		old.expected != n.expected || old.flags != n.flags || old.state != n.state {
		e.recalculate(allowDecrease, byNode)
	}
	if e.wfa && n.flags&flagWFAStatus == 0 && n.flags&flagQuorate != 0 {
		e.setWFAStatus(false) // a quorate node that is not waiting has seen everyone
	}
}

// applyNodeinfo stores a node's NODEINFO; it returns how to recalculate.
func (e *Engine) applyNodeinfo(n *node, m nodeinfoMsg) (allowDecrease, byNode bool) {
	n.flags, n.votes, n.state = m.flags, m.votes, NodeMember
	if n.flags&flagLeaving != 0 {
		n.state = NodeLeaving
		allowDecrease, byNode = true, true
	}
	if !e.quorate && n.flags&flagQuorate != 0 {
		// An inquorate node adopts a quorate node's expected votes.
		allowDecrease = true
		e.us.expected = m.expected
	}
	if n.flags&flagQuorate != 0 || e.evTracking {
		n.expected = m.expected
	} else {
		n.expected = e.us.expected
	}
	if e.lms && n.votes > 1 {
		e.warn("Last Man Standing feature is supported only when all cluster nodes votes are set to 1. Disabling LMS.")
		e.lms = false
		e.lmsTimer.stop()
	}
	return allowDecrease, byNode
}

// onReconfigure applies a RECONFIGURE on every node.
func (e *Engine) onReconfigure(from uint32, m reconfigureMsg) {
	e.debug("got reconfigure message", "from", from, "nodeid", m.nodeid, "param", m.param, "value", m.value)
	switch m.param {
	case reconfExpectedVotes:
		e.setMembersExpected(m.value)
		e.notifyExpected()
		e.setEVBarrier(m.value)
		if e.evTracking {
			e.us.expected = max(e.us.expected, e.evTrackingBarrier)
		}
		e.recalculate(true, false)
	case reconfNodeVotes:
		n := e.find(m.nodeid)
		if n == nil {
			return
		}
		n.votes = m.value
		e.recalculate(true, false)
	case reconfCancelWFA:
		e.setWFAStatus(false)
		e.log.Info("wait_for_all_status reset by user on node " + itoa(m.nodeid) + ".")
		e.recalculate(false, false)
	}
}

// flagsText is corosync's decode_flags, for debug logs.
func flagsText(f uint32) string {
	yn := func(bit uint32) string {
		if f&bit != 0 {
			return "Yes"
		}
		return "No"
	}
	return "quorate: " + yn(flagQuorate) + " Leaving: " + yn(flagLeaving) + " WFA Status: " + yn(flagWFAStatus) +
		" First: " + yn(flagFirst) + " Qdevice: " + yn(flagQdevRegistered) + " QdeviceAlive: " + yn(flagQdevAlive) +
		" QdeviceCastVote: " + yn(flagQdevCastVote) + " QdeviceMasterWins: " + yn(flagQdevMasterWins)
}

// ExecFunctions: NODEINFO, RECONFIGURE, QDEVICE_REG, QDEVICE_RECONFIGURE
// (runtime.services.votequorum.<fn>.tx/rx).
func (e *Engine) ExecFunctions() int { return 4 }

// Unload is the orderly shutdown's step (services.Unloader): a LEAVING
// NODEINFO when allow_downscale is on.
func (e *Engine) Unload() {
	if err := e.Leave(); err != nil {
		e.log.Warn("votequorum: could not announce leaving: " + err.Error())
	}
}
