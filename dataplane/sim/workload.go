package sim

import (
	"errors"
	"fmt"

	"github.com/gorosync/gorosync/dataplane/oracle"
	"github.com/gorosync/gorosync/dataplane/totem"
	"github.com/gorosync/gorosync/dataplane/totempg"
)

// retryGapNs is how long a node waits after TRY_AGAIN before sending again.
const retryGapNs = 100_000

// trySend submits the node's next message, or retries later when the send
// queue is full, as a client library would on CS_ERR_TRY_AGAIN.
func (c *Cluster) trySend(nd *simNode) {
	for nd.sent < nd.quota {
		size := c.messageSize()
		safe := c.opt.SafeFraction > 0 && c.rng.Float64() < c.opt.SafeFraction
		id := msgID(nd.idx, nd.sent)
		msg := nd.msgBuf[:size]
		buildMessage(msg, id, safe)
		err := nd.sender.Mcast(groupA, msg, safe)
		if errors.Is(err, totempg.ErrTryAgain) {
			c.schedule(event{at: c.now + retryGapNs, kind: evSend, node: int32(nd.idx)})
			return
		}
		if err != nil {
			c.fail("node %d: mcast of %d bytes: %v", nd.id, size, err)
			return
		}
		nd.sent++
		nd.sentLife++
		c.sentTotal++
		if c.rec != nil {
			c.rec.Send(nd.id, c.now, id, safe)
		}
		if c.opt.SendGapNs > 0 {
			c.schedule(event{at: c.now + 1 + c.rng.Int64N(2*c.opt.SendGapNs), kind: evSend, node: int32(nd.idx)})
			return
		}
	}
}

// messageSize draws sizes that exercise packing (many small messages),
// fragmentation (several packets) and large reassembly.
func (c *Cluster) messageSize() int {
	maxSize := c.opt.MaxMessageBytes
	if c.opt.FixedMessageBytes > 0 {
		return c.opt.FixedMessageBytes
	}
	switch p := c.rng.IntN(100); {
	case p < 70:
		return msgHeaderSize + c.rng.IntN(min(256, maxSize-msgHeaderSize+1))
	case p < 95:
		return msgHeaderSize + c.rng.IntN(min(4500, maxSize-msgHeaderSize+1))
	default:
		return msgHeaderSize + c.rng.IntN(maxSize-msgHeaderSize+1)
	}
}

// onAppMessage receives a reassembled application message at nd.
func (c *Cluster) onAppMessage(nd *simNode, sender uint32, msg []byte) {
	groups, payload, err := totempg.SplitGroups(msg, false)
	if err != nil {
		c.fail("node %d: group header from %d: %v", nd.id, sender, err)
		return
	}
	if isServiceMessage(groups) {
		if nd.host != nil {
			nd.host.Deliver(sender, payload)
		}
		return
	}
	id, safe, err := parseMessage(payload)
	if err != nil {
		c.fail("node %d: message %#x from %d: %v", nd.id, id, sender, err)
		return
	}
	nd.delivered++
	if nd.delivered == c.toSend {
		c.complete++
	}
	if senderOf(id) == nd.id && int(uint32(id)) >= nd.sent-nd.sentLife {
		nd.selfDelivered++
	}
	if c.rec == nil {
		return
	}
	c.heldBy = c.heldBy[:0]
	if safe {
		for _, peer := range c.nodes {
			if peer.held.has(nd.curRing, nd.curSeq) {
				c.heldBy = append(c.heldBy, peer.id)
			}
		}
	}
	c.rec.Deliver(nd.id, c.now, sender, id, safe, c.heldBy)
}

func seqBefore(a, b uint32) bool { return int32(a-b) < 0 }

func (c *Cluster) onConf(nd *simNode, cc *totem.ConfChange) {
	if nd.host != nil {
		defer nd.host.Conf(*cc)
	}
	if c.opt.Trace != nil {
		c.opt.Trace("t=%8.3fms node %d %s ring %s members %v left %v joined %v",
			float64(c.now)/1e6, nd.id, cc.Kind, cc.Ring, cc.Members, cc.Left, cc.Joined)
	}
	if c.confLog != nil {
		c.confLog = append(c.confLog, fmt.Sprintf("n%d %s %s members %v left %v joined %v",
			nd.id, cc.Kind, cc.Ring, cc.Members, cc.Left, cc.Joined))
	}
	for _, id := range cc.Left {
		nd.asm.Forget(id)
	}
	if cc.Kind == totem.Regular {
		// Chains a change cut are sent again whole (totempg.Resender):
		// partial assemblies from before it must go.
		nd.asm.Reset()
		if err := nd.sender.Restart(); err != nil && !errors.Is(err, totempg.ErrTryAgain) {
			c.fail("node %d: restarting cut messages: %v", nd.id, err)
		}
	}
	if c.rec != nil {
		kind := oracle.Regular
		if cc.Kind == totem.Transitional {
			kind = oracle.Transitional
		}
		c.rec.Conf(nd.id, c.now, kind, oracle.RingID{Rep: cc.Ring.Rep, Seq: cc.Ring.Seq}, cc.Members, cc.Left, cc.Joined)
	}
}
