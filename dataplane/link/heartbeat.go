package link

import (
	"encoding/binary"

	"github.com/gorosync/gorosync/dataplane/transport"
)

// A heartbeat is hbLen bytes:
//
//	0     type: hbPing or hbPong (no totem frame starts with either)
//	1     the link number it was sent on
//	2     flags: hbHears = the sender hears the receiver on this link
//	3     0
//	4..7  the sender's node id, big-endian
//	8..15 a ping's send time on the pinger's clock (ns), which the pong
//	      echoes, big-endian
//
// Anything else starting with a heartbeat type byte is malformed: it is
// counted and dropped, never handed up.
const (
	hbLen   = 16
	hbPing  = 0xC1
	hbPong  = 0xC2
	hbHears = 0x01
)

// heartbeatMsg is a decoded heartbeat.
type heartbeatMsg struct {
	kind  byte
	link  uint8
	hears bool
	node  uint32
	ts    int64
}

// isHeartbeat says whether a received frame is the layer's own.
func isHeartbeat(b []byte) bool {
	return len(b) > 0 && (b[0] == hbPing || b[0] == hbPong)
}

// parseHeartbeat decodes b; false if it is not a well-formed heartbeat.
func parseHeartbeat(b []byte) (heartbeatMsg, bool) {
	if len(b) != hbLen || (b[0] != hbPing && b[0] != hbPong) ||
		b[1] >= MaxLinks || b[2]&^hbHears != 0 || b[3] != 0 {
		return heartbeatMsg{}, false
	}
	m := heartbeatMsg{
		kind:  b[0],
		link:  b[1],
		hears: b[2]&hbHears != 0,
		node:  binary.BigEndian.Uint32(b[4:8]),
		ts:    int64(binary.BigEndian.Uint64(b[8:16])),
	}
	if m.node == 0 {
		return heartbeatMsg{}, false
	}
	return m, true
}

// putHeartbeat encodes m into b[:hbLen] and returns that slice.
func putHeartbeat(b []byte, m heartbeatMsg) []byte {
	b = b[:hbLen]
	b[0], b[1], b[2], b[3] = m.kind, m.link, 0, 0
	if m.hears {
		b[2] = hbHears
	}
	binary.BigEndian.PutUint32(b[4:8], m.node)
	binary.BigEndian.PutUint64(b[8:16], uint64(m.ts))
	return b
}

// pair is one (peer, link): the token loop's liveness state and the
// counters Status publishes.
type pair struct {
	lastHeard int64 // when anything last came from the peer on the link
	downAt    int64 // when heard last went false
	pongs     int   // pongs counted towards PongCount since downAt
	heard     bool  // this side hears the peer (timeout / PongCount)
	reported  bool  // the peer's last heartbeat said it hears us
	up        bool  // heard && reported: the link carries traffic
	pub       pairCounters
}

// start begins timekeeping at the first Recv or Send: every (peer, link)
// was last heard now, and every link pings at once.
func (l *Links) start(now int64) {
	l.started = true
	for i := range l.pairs {
		l.pairs[i].lastHeard = now
	}
	for i := range l.links {
		l.links[i].nextPing = now
	}
	l.nextSweep = now
}

// tick does the timekeeping due at now: timeouts, then pings (so that
// their flags carry the verdicts just reached).
func (l *Links) tick(now int64) {
	if !l.started {
		l.start(now)
	}
	if now >= l.nextSweep {
		l.nextSweep = now + l.sweepEvery
		for s := range l.links {
			timeout := l.links[s].timeout
			for p := range l.peers {
				pr := l.pair(p, s)
				if pr.heard && now-pr.lastHeard > timeout {
					pr.heard, pr.downAt, pr.pongs = false, now, 0
					pr.pub.heard.Store(false)
					l.update(p, s)
				}
			}
		}
	}
	for s := range l.links {
		ln := &l.links[s]
		if now < ln.nextPing {
			continue
		}
		ln.nextPing = now + ln.interval
		for p := range l.peers {
			pr := l.pair(p, s)
			b := putHeartbeat(ln.pingBuf[p*hbLen:], heartbeatMsg{
				kind: hbPing, link: uint8(ln.num), hears: pr.heard, node: l.local, ts: now,
			})
			ln.out = append(ln.out, transport.Outgoing{To: l.peers[p].id, Data: b})
			pr.pub.pingsSent.Add(1)
		}
	}
}

// heartbeat handles a heartbeat received on link slot s.
func (l *Links) heartbeat(s int, f *transport.Received, now int64) {
	ln := &l.links[s]
	m, ok := parseHeartbeat(f.Data)
	if !ok || int(m.link) != ln.num || (f.From != 0 && f.From != m.node) ||
		(m.kind == hbPong && m.ts > now) {
		l.stats.malformed.Add(1)
		return
	}
	pi, ok := l.peerIdx[m.node]
	if !ok {
		l.stats.unknownSenders.Add(1)
		return
	}
	p := int(pi)
	pr := l.pair(p, s)
	pr.lastHeard = now
	if m.kind == hbPing {
		pr.pub.pingsRecv.Add(1)
		if ln.npong == len(ln.pongBuf)/hbLen {
			_ = l.flushLink(s) // full: counted on failure, like every heartbeat
		}
		b := putHeartbeat(ln.pongBuf[ln.npong*hbLen:], heartbeatMsg{
			kind: hbPong, link: uint8(ln.num), hears: pr.heard, node: l.local, ts: m.ts,
		})
		ln.npong++
		ln.out = append(ln.out, transport.Outgoing{To: m.node, Data: b})
		pr.pub.pongsSent.Add(1)
	} else {
		pr.pub.pongsRecv.Add(1)
		pr.pub.rtt.Store(now - m.ts)
		if !pr.heard && m.ts >= pr.downAt {
			pr.pongs++
			if pr.pongs >= ln.pongCount {
				pr.heard, pr.lastHeard = true, now
				pr.pub.heard.Store(true)
			}
		}
	}
	if pr.reported != m.hears {
		pr.reported = m.hears
		pr.pub.reported.Store(m.hears)
	}
	l.update(p, s)
}

// update applies a change of heard or reported to the (peer, link)'s up
// state: counters, routing and OnChange.
func (l *Links) update(p, s int) {
	pr := l.pair(p, s)
	up := pr.heard && pr.reported
	if up == pr.up {
		return
	}
	pr.up = up
	pr.pub.up.Store(up)
	if up {
		pr.pub.ups.Add(1)
	} else {
		pr.pub.downs.Add(1)
	}
	l.route(p)
	if l.onChange != nil {
		l.onChange(l.peers[p].id, l.links[s].num, up)
	}
}
