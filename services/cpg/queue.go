package cpg

import "slices"

// The no-loss rule: a multicast a client was told succeeded (libcpg's
// mcast has no reply: its success is the write into the request ring) is
// sent into the agreed order, never dropped. corosync drops one that
// reaches it during sync; here it waits in the connection's queue and is
// sent, in order, once sync has completed. While a round runs the
// connections' flow control is 2 (libcpg then refuses cpg_mcast_joined
// itself with CS_ERR_TRY_AGAIN), so the queue only holds what was already
// in the request ring; a queue beyond Config.QueueBytes sets flow control
// 1 (every send refused) until it drains. A connection's PROCDOWN leave
// queues behind its multicasts, so it never overtakes them.

// flowControl is the value the connection's flow-control word should
// have now.
func (e *Engine) flowControl(d *cpd, syncing bool) int32 {
	switch {
	case d.out.bytes >= e.cfg.QueueBytes:
		return 1
	case syncing:
		return 2
	}
	return 0
}

func (e *Engine) setFlowControl(d *cpd, v int32) {
	if d.conn != nil && d.fc != v {
		d.fc = v
		d.conn.SetFlowControl(v)
	}
}

// applyFlowControl sets every connection's flow control for the sync
// state.
func (e *Engine) applyFlowControl(syncing bool) {
	for _, d := range e.cpds {
		e.setFlowControl(d, e.flowControl(d, syncing))
	}
}

// mustQueue: the connection's next exec message waits (sync is running,
// or older messages of the connection wait).
func (e *Engine) mustQueue(d *cpd) bool { return e.syncing() || d.out.len() > 0 }

// sendOrQueue sends an exec message of the connection, or queues it
// behind the connection's older ones. False: the queue is beyond its hard
// bound (the client ignores flow control); the message is dropped, the
// client disconnected.
func (e *Engine) sendOrQueue(d *cpd, safe bool, fn uint16, parts ...[]byte) bool {
	if !e.mustQueue(d) && e.send(safe, fn, parts...) == nil {
		return true
	}
	return e.enqueue(d, safe, fn, parts...)
}

func (e *Engine) enqueue(d *cpd, safe bool, fn uint16, parts ...[]byte) bool {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if d.conn != nil && d.out.bytes+n > e.hardQueueBytes(d) {
		e.stats.Overflows++
		e.log.Error("client ignores flow control: message dropped, client disconnected",
			"pid", d.pid, "queued_bytes", d.out.bytes)
		d.conn.Close()
		return false
	}
	d.out.push(safe, fn, parts...)
	e.stats.Queued++
	if !d.inBlog {
		d.inBlog = true
		e.backlog = append(e.backlog, d)
	}
	if d.out.bytes >= e.cfg.QueueBytes {
		if !d.warnedFc {
			d.warnedFc = true
			e.log.Warn("connection's queue is full: refusing its sends until it drains", "pid", d.pid, "queued_bytes", d.out.bytes)
		}
		e.setFlowControl(d, 1)
	}
	return true
}

// hardQueueBytes: QueueBytes plus what a client that obeys flow control
// can still have in its request ring when the word is set.
func (e *Engine) hardQueueBytes(d *cpd) int {
	return e.cfg.QueueBytes + 2*d.conn.MaxMsgSize() + MaxAtomicMsgSize
}

// drain sends queued messages, oldest connection first, until the host
// refuses one; it returns how many went.
func (e *Engine) drain() int {
	sent := 0
	for len(e.backlog) > 0 {
		d := e.backlog[0]
		for d.out.len() > 0 {
			m := d.out.front()
			e.one[0] = m.body
			err := e.send(m.safe, m.fn, e.one[:]...)
			e.one[0] = nil
			if err != nil {
				return sent
			}
			d.out.pop()
			sent++
		}
		d.inBlog = false
		d.warnedFc = false
		e.backlog = slices.Delete(e.backlog, 0, 1)
		e.setFlowControl(d, e.flowControl(d, e.syncing()))
	}
	return sent
}
