package totem

import "github.com/gorosync/gorosync/dataplane/wire"

// onMcast stores a received multicast in the sort queue and delivers what
// became deliverable (spec §2.6). frame is the whole datagram.
func (n *Node) onMcast(m *wire.Mcast, frame []byte) {
	if n.state != StateOperational {
		return
	}
	if m.RingID != n.ring {
		// A foreign message means another ring can hear us: membership's
		// business (merge), not ordering's.
		n.stats.ForeignMcasts++
		return
	}
	if m.Encapsulated == wire.EncapsulatedYes {
		n.stats.McastDropped++ // recovery traffic belongs to RECOVERY only
		return
	}
	seq := m.Seq
	sl := n.sortQ.at(seq)
	if len(frame) > n.cfg.NetMTU || !n.sortQ.inRange(n.lastReleased, seq) || sl.used {
		n.stats.McastDropped++
	} else {
		if sl.buf == nil {
			sl.buf = n.bufs.take()
		}
		sl.n = copy(sl.buf, frame)
		sl.used, sl.safe, sl.sender, sl.missCount = true, m.Guarantee != 0, m.Header.NodeID, 0
		sl.bigEndian = m.BigEndian // corosync names the sender by the header nodeid
		if seqLT(n.highSeqReceived, seq) {
			n.highSeqReceived = seq
		}
		n.stats.McastRx++
	}
	n.updateARU()
	n.deliver()
}

// updateARU advances my_aru over the contiguous prefix received.
func (n *Node) updateARU() {
	for seqLT(n.myARU, n.highSeqReceived) {
		next := n.myARU + 1
		if !n.sortQ.inRange(n.lastReleased, next) || !n.sortQ.at(next).used {
			return
		}
		n.myARU = next
	}
}

// deliver hands up, in sequence order, every message whose predecessors
// all arrived; it stops at the first gap (agreed order) and at the first
// safe message that some member may not hold yet.
func (n *Node) deliver() {
	for seqLT(n.highDelivered, n.highSeqReceived) {
		seq := n.highDelivered + 1
		if !n.sortQ.inRange(n.lastReleased, seq) {
			return
		}
		sl := n.sortQ.at(seq)
		if !sl.used || (sl.safe && seqLT(n.safeThrough, seq)) {
			return
		}
		n.highDelivered = seq
		g := Agreed
		if sl.safe {
			g = Safe
		}
		n.ready.Events = append(n.ready.Events, Event{Kind: EventDeliver, Deliver: Delivery{
			Sender:    sl.sender,
			Ring:      n.ring,
			Seq:       seq,
			Guarantee: g,
			BigEndian: sl.bigEndian,
			Payload:   sl.buf[wire.McastSize:sl.n],
		}})
		n.stats.Delivered++
	}
}
