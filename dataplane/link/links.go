package link

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/gorosync/gorosync/dataplane/transport"
)

// Links is the multi-link layer, what knet is to corosync 3: up to eight
// links per node, each one inner transport.Transport (a udp.Transport,
// possibly wrapped in a Secure), with heartbeats on every link to every
// peer, per (peer, link) liveness and failover. Links is itself a
// transport.Transport, so the token loop uses it as its single transport.
//
// Which links carry a frame depends on Mode (corosync's link_mode), among
// the links that are up for its destination; when none is up the frame
// goes on every link, so a peer is never black-holed by this layer (totem
// decides membership, and drops the duplicates Active mode makes).
//
// Heartbeats are 16-byte frames whose first byte (0xC1 ping, 0xC2 pong)
// no totem frame starts with; they are answered and consumed inside Recv
// and never handed up. A (peer, link) starts up; it goes down when nothing
// (data, ping or pong) was heard from the peer on that link for the link's
// PingTimeoutNs, and comes back after PongCount pongs answering pings sent
// since then. Every heartbeat also carries the sender's own verdict on the
// link towards the receiver, and a (peer, link) is up only when both ends
// hear each other: a link that fails in one direction only is taken out of
// service on both sides, instead of the deaf side's peer sending into it.
//
// There are no goroutines and no timers: the clock is read once per Recv
// or Send call, and pings go out and timeouts are checked from there. The
// caller must therefore call Recv at least every PollTimeout (an epoll
// wait with that timeout does). Send, Recv and Release allocate nothing
// after New. Like every Transport, a Links is used by one goroutine;
// Status and Stats may be read from any goroutine.
type Links struct {
	local   uint32
	mode    Mode
	mtu     int
	batch   int
	links   []linkState // ascending link number
	slotOf  [MaxLinks]int8
	peers   []peerState // ascending node id
	peerIdx map[uint32]int32
	pairs   []pair // [peer*len(links) + slot]

	now      func() int64
	onChange func(peer uint32, link int, up bool)

	started    bool
	nextSweep  int64
	sweepEvery int64
	rrRecv     int // the link Recv polls first

	pollFd int // epoll descriptor when there is more than one link, else -1
	closed bool

	stats linksCounters
}

var _ transport.Transport = (*Links)(nil)

// MaxLinks is the most links a node has (corosync's ring0_addr..ring7_addr).
const MaxLinks = 8

// Defaults for the zero values of LinkConfig: what corosync derives for
// its default token timeout (3000 ms) and knet_pong_count (2), timeout =
// token / pong_count and interval = token / (2 * pong_count). A config
// loader should pass the values it derived from the real token timeout.
const (
	DefaultPongCount      = 2
	DefaultPingTimeoutNs  = int64(1500 * time.Millisecond)
	DefaultPingIntervalNs = int64(750 * time.Millisecond)
	DefaultBatch          = 64
)

// Mode is corosync's link_mode: which up links carry a frame.
type Mode uint8

const (
	// Passive sends each frame on one link: the up link with the highest
	// priority (ties go to the lowest link number).
	Passive Mode = iota
	// Active sends each frame on every up link.
	Active
	// RoundRobin sends each frame on the next up link, in turn, per peer.
	RoundRobin
)

// ParseMode reads corosync's link_mode values: "passive", "active", "rr".
func ParseMode(s string) (Mode, error) {
	switch strings.ToLower(s) {
	case "passive":
		return Passive, nil
	case "active":
		return Active, nil
	case "rr":
		return RoundRobin, nil
	}
	return 0, fmt.Errorf("link: link_mode %q is not one of passive, active, rr", s)
}

// String is the corosync spelling of the mode.
func (m Mode) String() string {
	switch m {
	case Passive:
		return "passive"
	case Active:
		return "active"
	case RoundRobin:
		return "rr"
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// LinkConfig describes one link.
type LinkConfig struct {
	// Link is the link number, 0..7 (ringX_addr).
	Link int
	// Transport is the link's transport. Links owns it from a successful
	// New on and closes it; if New fails it is still the caller's.
	Transport transport.Transport
	// Priority is knet_link_priority: in Passive mode the up link with the
	// highest priority carries the traffic; ties go to the lowest number.
	Priority uint8
	// PingIntervalNs and PingTimeoutNs are knet_ping_interval and
	// knet_ping_timeout, in nanoseconds; zero means the defaults above.
	PingIntervalNs, PingTimeoutNs int64
	// PongCount is knet_pong_count: the pongs that bring a down link up.
	// Zero means DefaultPongCount.
	PongCount int
}

// Config describes a node's links.
type Config struct {
	// LocalNodeID is this node's id (not 0).
	LocalNodeID uint32
	// Peers are the other nodes' ids; the local id may be present and is
	// skipped. Ids must be distinct and not 0 (Broadcast).
	Peers []uint32
	// Mode is the link_mode.
	Mode Mode
	// Links are the node's links: 1..8 of them, distinct link numbers.
	Links []LinkConfig
	// Now is a monotonic clock in nanoseconds; nil means the time since
	// New. Tests inject a fake clock.
	Now func() int64
	// OnChange, if not nil, is called on the goroutine that called Recv or
	// Send whenever a (peer, link) goes up or down. It must not call Recv,
	// Send or Release.
	OnChange func(peer uint32, link int, up bool)
	// Batch is the most caller frames Send routes per inner Send call (a
	// larger Send is cut in batches). Zero means DefaultBatch.
	Batch int
}

// Errors Send returns. They are values, never wrapped, so returning one
// allocates nothing; the rest of the batch is sent.
var (
	// ErrUnknownPeer: a frame's To is neither Broadcast nor one of Peers.
	ErrUnknownPeer = errors.New("link: unknown destination node id")
	// ErrFrameTooBig: a frame is longer than MTU.
	ErrFrameTooBig = errors.New("link: frame larger than the MTU")
	// ErrReservedType: a frame starts with a heartbeat type byte (0xC1 or
	// 0xC2), which the receiver would take for a heartbeat.
	ErrReservedType = errors.New("link: frame starts with a heartbeat type byte")
)

// Inner buffer handles Recv can carry: handle' = inner*8 + link must fit
// an int32.
const (
	maxInnerHandle = math.MaxInt32 >> 3
	minInnerHandle = math.MinInt32 >> 3
)

// linkState is one link: its transport, its heartbeat schedule and the
// batch its frames are gathered in.
type linkState struct {
	num       int
	tr        transport.Transport
	prio      uint8
	interval  int64
	timeout   int64
	pongCount int
	nextPing  int64
	out       []transport.Outgoing // this call's frames for the link
	pingBuf   []byte               // one heartbeat per peer
	pongBuf   []byte               // pongCap heartbeats
	npong     int                  // pongs in pongBuf queued in out
}

// peerState is a peer's routing, recomputed whenever one of its (peer,
// link) changes state.
type peerState struct {
	id     uint32
	upMask uint8 // bit s: link slot s is up for this peer
	best   int8  // Passive's slot, -1 when none is up
	rr     int8  // the slot RoundRobin used last
}

// New checks cfg, takes over the transports and allocates everything Send,
// Recv and Release use.
func New(cfg Config) (*Links, error) {
	if cfg.LocalNodeID == 0 {
		return nil, errors.New("link: LocalNodeID 0 is reserved")
	}
	if cfg.Mode > RoundRobin {
		return nil, fmt.Errorf("link: unknown mode %d", cfg.Mode)
	}
	if len(cfg.Links) == 0 || len(cfg.Links) > MaxLinks {
		return nil, fmt.Errorf("link: %d links, want 1..%d", len(cfg.Links), MaxLinks)
	}
	batch := cfg.Batch
	if batch == 0 {
		batch = DefaultBatch
	}
	if batch < 0 {
		return nil, fmt.Errorf("link: Batch %d is negative", batch)
	}
	l := &Links{
		local:    cfg.LocalNodeID,
		mode:     cfg.Mode,
		batch:    batch,
		mtu:      math.MaxInt,
		peerIdx:  make(map[uint32]int32, len(cfg.Peers)),
		onChange: cfg.OnChange,
		pollFd:   -1,
	}
	for i := range l.slotOf {
		l.slotOf[i] = -1
	}
	ids := make([]uint32, 0, len(cfg.Peers))
	for _, id := range cfg.Peers {
		switch {
		case id == cfg.LocalNodeID:
			continue
		case id == transport.Broadcast:
			return nil, errors.New("link: peer id 0 is reserved")
		case slices.Contains(ids, id):
			return nil, fmt.Errorf("link: peer %d listed twice", id)
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)

	lcs := slices.Clone(cfg.Links)
	slices.SortFunc(lcs, func(a, b LinkConfig) int { return a.Link - b.Link })
	np := len(ids)
	pongCap := max(2*np, 16)
	for s, lc := range lcs {
		switch {
		case lc.Link < 0 || lc.Link >= MaxLinks:
			return nil, fmt.Errorf("link: link number %d out of range 0..%d", lc.Link, MaxLinks-1)
		case l.slotOf[lc.Link] >= 0:
			return nil, fmt.Errorf("link: link %d configured twice", lc.Link)
		case lc.Transport == nil:
			return nil, fmt.Errorf("link: link %d has no transport", lc.Link)
		case lc.PingIntervalNs < 0 || lc.PingTimeoutNs < 0 || lc.PongCount < 0:
			return nil, fmt.Errorf("link: link %d: negative heartbeat setting", lc.Link)
		}
		if lc.PingTimeoutNs == 0 {
			lc.PingTimeoutNs = DefaultPingTimeoutNs
		}
		if lc.PingIntervalNs == 0 {
			lc.PingIntervalNs = DefaultPingIntervalNs
		}
		if lc.PongCount == 0 {
			lc.PongCount = DefaultPongCount
		}
		mtu := lc.Transport.MTU()
		if mtu < hbLen {
			return nil, fmt.Errorf("link: link %d: MTU %d is below the %d bytes of a heartbeat", lc.Link, mtu, hbLen)
		}
		l.mtu = min(l.mtu, mtu)
		l.slotOf[lc.Link] = int8(s)
		l.links = append(l.links, linkState{
			num:       lc.Link,
			tr:        lc.Transport,
			prio:      lc.Priority,
			interval:  lc.PingIntervalNs,
			timeout:   lc.PingTimeoutNs,
			pongCount: lc.PongCount,
			out:       make([]transport.Outgoing, 0, max(batch*np, pongCap)+np+batch),
			pingBuf:   make([]byte, np*hbLen),
			pongBuf:   make([]byte, pongCap*hbLen),
		})
	}
	l.sweepEvery = math.MaxInt64
	for i := range l.links {
		l.sweepEvery = min(l.sweepEvery, max(l.links[i].timeout/8, 1))
	}

	all := uint8(1)<<len(l.links) - 1
	for i, id := range ids {
		l.peerIdx[id] = int32(i)
		l.peers = append(l.peers, peerState{id: id, upMask: all, rr: -1})
	}
	l.pairs = make([]pair, np*len(l.links))
	for i := range l.pairs {
		p := &l.pairs[i]
		p.heard, p.reported, p.up = true, true, true
		p.pub.up.Store(true)
		p.pub.heard.Store(true)
		p.pub.reported.Store(true)
	}
	for i := range l.peers {
		l.route(i)
	}

	if len(l.links) > 1 {
		fds := make([]int, 0, len(l.links))
		for i := range l.links {
			fds = append(fds, l.links[i].tr.Fd())
		}
		fd, err := newPoller(fds)
		if err != nil {
			return nil, err
		}
		l.pollFd = fd
	}

	if cfg.Now != nil {
		l.now = cfg.Now
	} else {
		t0 := time.Now()
		l.now = func() int64 { return int64(time.Since(t0)) }
	}
	return l, nil
}

// MTU is the smallest of the links' MTUs.
func (l *Links) MTU() int { return l.mtu }

// Fd is the link's descriptor when there is one link; otherwise an epoll
// descriptor holding every link's, readable when any link has work; -1
// when no link has one. Heartbeats need calls even when it stays quiet:
// see PollTimeout.
func (l *Links) Fd() int {
	if len(l.links) == 1 {
		return l.links[0].tr.Fd()
	}
	return l.pollFd
}

// PollTimeout is how long the caller may wait on Fd before Recv must run
// for the next heartbeat to go out (and timeouts to be checked); 0 before
// the first Recv or Send.
func (l *Links) PollTimeout() time.Duration {
	if !l.started {
		return 0
	}
	next := int64(math.MaxInt64)
	for i := range l.links {
		next = min(next, l.links[i].nextPing)
	}
	return time.Duration(max(next-l.now(), 0))
}

// Close closes every link's transport and the epoll descriptor, and
// returns the first error; later calls return transport.ErrClosed.
func (l *Links) Close() error {
	if l.closed {
		return transport.ErrClosed
	}
	l.closed = true
	var first error
	for i := range l.links {
		if err := l.links[i].tr.Close(); err != nil && first == nil {
			first = fmt.Errorf("link %d: %w", l.links[i].num, err)
		}
	}
	if l.pollFd >= 0 {
		if err := closePoller(l.pollFd); err != nil && first == nil {
			first = err
		}
		l.pollFd = -1
	}
	return first
}

// Send routes each frame, per destination peer, onto the links Mode picks
// among those up for that peer (every link when none is), together with
// the heartbeats now due, and calls each link's Send once per Batch of
// frames. A Broadcast goes to every peer as one unicast each. An error
// from one link does not stop the others: Send tries them all and returns
// the first error (ErrUnknownPeer, ErrFrameTooBig, ErrReservedType for
// the caller's frames, or a link's own).
func (l *Links) Send(frames []transport.Outgoing) error {
	if l.closed {
		return transport.ErrClosed
	}
	l.tick(l.now())
	var err error
	for {
		n := min(len(frames), l.batch)
		for i := range frames[:n] {
			f := &frames[i]
			switch {
			case len(f.Data) > l.mtu:
				l.stats.tooBig.Add(1)
				err = first(err, ErrFrameTooBig)
				continue
			case isHeartbeat(f.Data):
				l.stats.reserved.Add(1)
				err = first(err, ErrReservedType)
				continue
			}
			if f.To == transport.Broadcast {
				for p := range l.peers {
					l.sendTo(p, f.Data)
				}
				continue
			}
			if f.To == l.local {
				// A ring of one passes the token to itself: through the
				// first link's socket, which knows its own address.
				l.links[0].out = append(l.links[0].out, *f)
				continue
			}
			p, ok := l.peerIdx[f.To]
			if !ok {
				l.stats.unknownDest.Add(1)
				err = first(err, ErrUnknownPeer)
				continue
			}
			l.sendTo(int(p), f.Data)
		}
		err = first(err, l.flush())
		frames = frames[n:]
		if len(frames) == 0 {
			return err
		}
	}
}

// sendTo queues data for peer p on the links the mode picks.
func (l *Links) sendTo(p int, data []byte) {
	ps := &l.peers[p]
	switch {
	case ps.upMask == 0:
		for s := range l.links {
			l.queue(s, p, data)
		}
	case l.mode == Active:
		for s := range l.links {
			if ps.upMask&(1<<s) != 0 {
				l.queue(s, p, data)
			}
		}
	case l.mode == RoundRobin:
		s := int(ps.rr)
		for range l.links {
			s++
			if s == len(l.links) {
				s = 0
			}
			if ps.upMask&(1<<s) != 0 {
				break
			}
		}
		ps.rr = int8(s)
		l.queue(s, p, data)
	default:
		l.queue(int(ps.best), p, data)
	}
}

func (l *Links) queue(s, p int, data []byte) {
	ln := &l.links[s]
	ln.out = append(ln.out, transport.Outgoing{To: l.peers[p].id, Data: data})
	l.pair(p, s).pub.tx.Add(1)
}

// flush sends every link's queued frames, one inner Send per link, and
// returns the first error after trying them all.
func (l *Links) flush() error {
	var err error
	for s := range l.links {
		err = first(err, l.flushLink(s))
	}
	return err
}

func (l *Links) flushLink(s int) error {
	ln := &l.links[s]
	if len(ln.out) == 0 {
		return nil
	}
	err := ln.tr.Send(ln.out)
	clear(ln.out) // drop the references to the caller's bytes
	ln.out = ln.out[:0]
	ln.npong = 0
	if err != nil {
		l.stats.sendErrors.Add(1)
	}
	return err
}

// Recv polls every link once, starting with a different one each call so
// that a busy link cannot starve the others, answers and consumes the
// heartbeats, and hands up the data frames. A frame keeps pointing at its
// link's buffer; its handle says which link, for Release. Heartbeat work
// due (pongs, pings, timeouts) is done before Recv returns. A link's error
// does not stop the others. Every error is counted (Stats.RecvErrors); the
// first is returned only when no frame is handed up, so that frames never
// come with an error (a caller that stops at an error would never release
// them).
func (l *Links) Recv(frames []transport.Received) (int, error) {
	if l.closed {
		return 0, transport.ErrClosed
	}
	now := l.now()
	if !l.started {
		l.start(now)
	}
	got := 0
	var err error
	nl := len(l.links)
	s := l.rrRecv
	l.rrRecv++
	if l.rrRecv == nl {
		l.rrRecv = 0
	}
	for range nl {
		if got == len(frames) {
			break
		}
		n, e := l.links[s].tr.Recv(frames[got:])
		if e != nil {
			l.stats.recvErrors.Add(1)
			err = first(err, e)
		}
		n = min(max(n, 0), len(frames)-got)
		got += l.accept(s, frames[got:got+n], now)
		if s++; s == nl {
			s = 0
		}
	}
	l.tick(now)
	_ = l.flush() // heartbeats only: a failure is counted, not the caller's
	if got > 0 {
		return got, nil
	}
	return 0, err
}

// accept takes the n frames link s just lent: heartbeats are handled and
// given back at once, data frames are moved to the front (in order) with
// the link folded into their handles. It returns how many data frames.
func (l *Links) accept(s int, fs []transport.Received, now int64) int {
	ln := &l.links[s]
	k := 0
	for i := range fs {
		f := &fs[i]
		if isHeartbeat(f.Data) {
			l.heartbeat(s, f, now)
			continue
		}
		if h := f.Handle(); h > maxInnerHandle || h < minInnerHandle {
			l.stats.badHandles.Add(1) // cannot be routed back: give it back now
			continue
		}
		if p, ok := l.peerIdx[f.From]; ok {
			pr := l.pair(int(p), s)
			pr.lastHeard = now
			pr.pub.rx.Add(1)
		}
		if k != i {
			fs[k], fs[i] = fs[i], fs[k]
		}
		k++
	}
	if k < len(fs) {
		ln.tr.Release(fs[k:])
		clear(fs[k:])
	}
	num := int32(ln.num)
	for i := range fs[:k] {
		fs[i].SetHandle(fs[i].Handle()<<3 | num)
	}
	return k
}

// Release gives frames back to the links they came from, with their
// original handles, and clears them. Any sub-slice of what Recv returned,
// in any order, may be released; a frame whose handle names no link is
// counted and cleared.
func (l *Links) Release(frames []transport.Received) {
	for i := 0; i < len(frames); {
		num := frames[i].Handle() & (MaxLinks - 1)
		j := i
		for ; j < len(frames) && frames[j].Handle()&(MaxLinks-1) == num; j++ {
			frames[j].SetHandle(frames[j].Handle() >> 3)
		}
		if s := l.slotOf[num]; s >= 0 {
			l.links[s].tr.Release(frames[i:j])
		} else {
			l.stats.badHandles.Add(uint64(j - i))
		}
		clear(frames[i:j])
		i = j
	}
}

func (l *Links) pair(p, s int) *pair { return &l.pairs[p*len(l.links)+s] }

// route recomputes peer p's up links and Passive's choice.
func (l *Links) route(p int) {
	ps := &l.peers[p]
	ps.upMask, ps.best = 0, -1
	for s := range l.links {
		if !l.pair(p, s).up {
			continue
		}
		ps.upMask |= 1 << s
		if ps.best < 0 || l.links[s].prio > l.links[ps.best].prio {
			ps.best = int8(s)
		}
	}
}

// first keeps the first error of a call.
func first(err, next error) error {
	if err != nil {
		return err
	}
	return next
}
