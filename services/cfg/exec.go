package cfg

import (
	"strconv"

	"github.com/gorosync/gorosync/services/cmap"
	"github.com/gorosync/gorosync/services/cserror"
)

// Exec functions: corosync's numbers, so that the
// runtime.services.cfg.<fn>.tx/rx counters mean the same. The bodies are
// our own little-endian layout.
const (
	fnRingReenable   uint16 = 0 // obsolete; never sent, ignored
	fnKillNode       uint16 = 1 // nodeid u32, reason length u16, reason
	fnShutdown       uint16 = 2 // empty
	fnReloadConfig   uint16 = 3 // the origin's connection id u64
	fnCryptoReconfig uint16 = 4 // not sent (no crypto reconfiguration yet), ignored
)

const (
	killNodeHdr    = 6 // nodeid, reason length
	maxReasonBytes = csNameMax
	reloadMsgSize  = 8
)

// Deliver handles an exec message in the agreed order (on every node,
// the sender included). Malformed bodies are dropped and logged: a buggy
// peer must not stop this node.
func (e *Engine) Deliver(from uint32, fn uint16, msg []byte) {
	switch fn {
	case fnKillNode:
		target, reason, ok := decodeKillNode(msg)
		if !ok {
			e.dropped(from, fn, msg)
			return
		}
		e.deliverKill(from, target, reason)
	case fnShutdown:
		if len(msg) != 0 {
			e.dropped(from, fn, msg)
			return
		}
		e.deliverShutdown(from)
	case fnReloadConfig:
		if len(msg) != reloadMsgSize {
			e.dropped(from, fn, msg)
			return
		}
		e.deliverReload(from, le.Uint64(msg))
	case fnRingReenable, fnCryptoReconfig:
	default:
		e.dropped(from, fn, msg)
	}
}

func (e *Engine) dropped(from uint32, fn uint16, msg []byte) {
	e.cfg.Log.Warn("dropping a malformed cfg exec message", "from", from, "fn", fn, "bytes", len(msg))
}

func encodeKillNode(target uint32, reason string) []byte {
	if len(reason) > maxReasonBytes {
		reason = reason[:maxReasonBytes]
	}
	b := make([]byte, killNodeHdr, killNodeHdr+len(reason))
	le.PutUint32(b, target)
	le.PutUint16(b[4:], uint16(len(reason)))
	return append(b, reason...)
}

func decodeKillNode(msg []byte) (target uint32, reason string, ok bool) {
	if len(msg) < killNodeHdr {
		return 0, "", false
	}
	n := int(le.Uint16(msg[4:]))
	if n > maxReasonBytes || len(msg) != killNodeHdr+n {
		return 0, "", false
	}
	return le.Uint32(msg), string(msg[killNodeHdr:]), true
}

// killNode handles KILLNODE: the target must be a joined member as cmap's
// runtime.members.<id>.status says, then KILLNODE is multicast.
func (e *Engine) killNode(target uint32, reason string) Error {
	key := "runtime.members." + uitoa(target) + ".status"
	v, ok := e.cfg.Store.Get(key)
	if !ok {
		return cserror.ErrNotExist
	}
	if v.Type != cmap.String {
		return cserror.ErrLibrary // corosync's icmap_get_string fails the same way
	}
	if v.Text() != "joined" {
		return cserror.ErrNotExist
	}
	return e.send(fnKillNode, encodeKillNode(target, reason))
}

func (e *Engine) deliverKill(from, target uint32, reason string) {
	e.cfg.Log.Debug("request to kill node", "node", target, "us", e.cfg.NodeID, "from", from)
	if target != e.cfg.NodeID {
		return
	}
	e.cfg.Log.Info("Killed by node " + uitoa(from) + " : " + reason)
	if e.cfg.Kill != nil {
		e.cfg.Kill(reason)
	}
}

func (e *Engine) deliverShutdown(from uint32) {
	e.cfg.Log.Info("Node " + uitoa(from) + " was shut down by sysadmin")
	if from == e.cfg.NodeID && e.cfg.Shutdown != nil {
		e.cfg.Shutdown()
	}
}

// reloadConfig handles RELOAD_CONFIG: the reply waits for the RELOAD
// message to come back in the agreed order.
func (e *Engine) reloadConfig(c ipcConn) {
	var b [reloadMsgSize]byte
	le.PutUint64(b[:], c.ID())
	if st := e.send(fnReloadConfig, b[:]); st != cserror.OK {
		e.reply(c, ResReloadConfig, ResHeaderSize, st)
		return
	}
	e.reloads[c.ID()] = c
}

// deliverReload re-reads this node's own configuration; the node that
// sent the message answers its client.
func (e *Engine) deliverReload(from uint32, connID uint64) {
	e.cfg.Log.Info("Config reload requested by node " + uitoa(from))
	status := cserror.ErrNotSupported
	if e.cfg.Reload != nil {
		status = e.cfg.Reload()
	}
	if from != e.cfg.NodeID {
		return
	}
	if c, ok := e.reloads[connID]; ok {
		delete(e.reloads, connID)
		e.reply(c, ResReloadConfig, ResHeaderSize, status)
	}
}

func uitoa(v uint32) string { return strconv.FormatUint(uint64(v), 10) }

// ExecFunctions: corosync's five (runtime.services.cfg.<fn>.tx/rx).
func (e *Engine) ExecFunctions() int { return 5 }
