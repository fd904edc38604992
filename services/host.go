package services

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"
)

// HeaderSize is the size of an exec message's header: service id and
// function number, little-endian uint16 each.
const HeaderSize = 4

// maxFn bounds the function numbers counted per service (corosync's
// engines have at most 12 exec functions).
const maxFn = 16

// syncService is the pseudo service id of the sync engine's own messages.
const syncService uint16 = 0xffff

// ErrTryAgain: the message was not queued (the send queue is full); try
// again later.
var ErrTryAgain = errors.New("services: try again")

// ErrTooLarge: the message is larger than Config.MaxMessageBytes; it can
// never be sent.
var ErrTooLarge = errors.New("services: exec message too large")

// DefaultMaxMessageBytes is totempg's 1 MiB less room for its group
// header: the largest exec message, header included.
const DefaultMaxMessageBytes = 1<<20 - 64

// Config configures a Host.
type Config struct {
	NodeID uint32
	// Send queues one exec message for the agreed order (safe: delivered
	// only once every member holds it): the daemon's loop.SubmitLocal. It
	// is called on the loop's goroutine; msg is valid only during the call.
	Send func(msg []byte, safe bool) error
	// SendParts, if set, is Send with the message in pieces (at most
	// MaxSendParts: the header, then the caller's parts), so a large body
	// is not joined before it is packed: the daemon's
	// loop.SubmitLocalParts. Messages in more pieces go through Send.
	SendParts func(parts [][]byte, safe bool) error
	// Engines are the local services, any order; ids must be unique.
	Engines []Engine
	// Now is the monotonic clock for Tick (default: time since New).
	Now func() int64
	// Synced, if set, is called when a sync round completes.
	Synced func(ring RingID, members []uint32)
	Log    *slog.Logger
	// MaxMessageBytes bounds one exec message, header included (default
	// DefaultMaxMessageBytes).
	MaxMessageBytes int
}

// Host runs the engines of one node: routing, sync and timers.
type Host struct {
	cfg     Config
	byID    map[uint16]Engine
	tickers []Ticker
	watch   []ConfWatcher
	start   time.Time
	buf     []byte // the message being built by Send
	hdr     [HeaderSize]byte
	iov     [][]byte // header and parts for SendParts

	sync     syncEngine
	counters map[uint16]*[maxFn][2]uint64 // tx, rx per function
}

// New checks the engines and returns their host.
func New(cfg Config) (*Host, error) {
	if cfg.Send == nil {
		return nil, errors.New("services: no Send")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxMessageBytes == 0 {
		cfg.MaxMessageBytes = DefaultMaxMessageBytes
	}
	h := &Host{cfg: cfg, byID: map[uint16]Engine{}, start: time.Now(), counters: map[uint16]*[maxFn][2]uint64{},
		iov: make([][]byte, 0, MaxSendParts)}
	if h.cfg.Now == nil {
		h.cfg.Now = func() int64 { return int64(time.Since(h.start)) }
	}
	for _, e := range cfg.Engines {
		id := e.ID()
		if id == syncService {
			return nil, fmt.Errorf("services: engine %q uses the reserved id %d", e.Name(), id)
		}
		if old, dup := h.byID[id]; dup {
			return nil, fmt.Errorf("services: engines %q and %q share id %d", old.Name(), e.Name(), id)
		}
		h.byID[id] = e
		h.counters[id] = new([maxFn][2]uint64)
		if t, ok := e.(Ticker); ok {
			h.tickers = append(h.tickers, t)
		}
		if w, ok := e.(ConfWatcher); ok {
			h.watch = append(h.watch, w)
		}
	}
	h.sync.init(h)
	return h, nil
}

// NodeID is the local node's id.
func (h *Host) NodeID() uint32 { return h.cfg.NodeID }

// Engine returns the engine with id, if loaded.
func (h *Host) Engine(id uint16) (Engine, bool) { e, ok := h.byID[id]; return e, ok }

// Engines lists the loaded engines in ascending id.
func (h *Host) Engines() []Engine {
	out := make([]Engine, 0, len(h.byID))
	for _, e := range h.byID {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b Engine) int { return int(a.ID()) - int(b.ID()) })
	return out
}

// Send queues an exec message of service's function fn, the body being the
// concatenation of parts, for the agreed order. ErrTryAgain when the loop
// cannot take it now, ErrTooLarge when it never can; nothing is queued
// then.
func (h *Host) Send(service, fn uint16, parts ...[]byte) error {
	return h.send(false, service, fn, parts)
}

// SendSafe is Send with the safe guarantee (cpg's CPG_TYPE_SAFE).
func (h *Host) SendSafe(service, fn uint16, parts ...[]byte) error {
	return h.send(true, service, fn, parts)
}

func (h *Host) send(safe bool, service, fn uint16, parts [][]byte) error {
	n := HeaderSize
	for _, p := range parts {
		n += len(p)
	}
	if n > h.cfg.MaxMessageBytes {
		return fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, n, h.cfg.MaxMessageBytes)
	}
	if h.cfg.SendParts != nil && len(parts) < MaxSendParts {
		return h.sendParts(safe, service, fn, parts)
	}
	if cap(h.buf) < n {
		h.buf = make([]byte, 0, max(n, 4096)) // grows to the largest message once
	}
	b := h.buf[:HeaderSize]
	binary.LittleEndian.PutUint16(b[0:], service)
	binary.LittleEndian.PutUint16(b[2:], fn)
	for _, p := range parts {
		b = append(b, p...)
	}
	if err := h.cfg.Send(b, safe); err != nil {
		// No wrapping: a saturated ring refuses sends all the time, and an
		// error built per refusal would allocate on the hot path.
		return ErrTryAgain
	}
	h.count(service, fn, 0)
	return nil
}

// MaxSendParts is the most pieces Config.SendParts is given (totempg's
// iovec limit).
const MaxSendParts = 32

// sendParts hands the header and the parts to SendParts as they are.
func (h *Host) sendParts(safe bool, service, fn uint16, parts [][]byte) error {
	binary.LittleEndian.PutUint16(h.hdr[0:], service)
	binary.LittleEndian.PutUint16(h.hdr[2:], fn)
	h.iov = append(append(h.iov[:0], h.hdr[:]), parts...)
	err := h.cfg.SendParts(h.iov, safe)
	clear(h.iov) // keep no reference to the caller's memory
	if err != nil {
		return ErrTryAgain // as send: no error built per refusal
	}
	h.count(service, fn, 0)
	return nil
}

func (h *Host) count(service, fn uint16, dir int) {
	if c := h.counters[service]; c != nil && fn < maxFn {
		c[fn][dir]++
	}
}

// Counts returns how many exec messages of service's function fn this node
// sent and received (runtime.services.<name>.<fn>.tx/rx).
func (h *Host) Counts(service, fn uint16) (tx, rx uint64) {
	if c := h.counters[service]; c != nil && fn < maxFn {
		return c[fn][0], c[fn][1]
	}
	return 0, 0
}

// Deliver routes one message of the agreed order (the loop's Deliver). A
// message too short for its header, or for an unknown service, is dropped:
// another node may run a service this one lacks.
func (h *Host) Deliver(sender uint32, msg []byte) {
	if len(msg) < HeaderSize {
		return
	}
	service := binary.LittleEndian.Uint16(msg[0:])
	fn := binary.LittleEndian.Uint16(msg[2:])
	body := msg[HeaderSize:]
	if service == syncService {
		h.sync.deliver(sender, fn, body)
		return
	}
	e, ok := h.byID[service]
	if !ok {
		return
	}
	h.count(service, fn, 1)
	if d, ok := e.(Deliverer); ok {
		d.Deliver(sender, fn, body)
	}
}

// Conf fans a configuration change out to the engines and drives sync (the
// loop's Conf).
func (h *Host) Conf(cc ConfChange) {
	for _, w := range h.watch {
		w.ConfChange(cc)
	}
	h.sync.conf(cc)
}

// Poll runs the engines' timers and the sync step owed; it is one of the
// loop's Pollers.
func (h *Host) Poll() int {
	now := h.cfg.Now()
	work := h.sync.poll(now)
	for _, t := range h.tickers {
		work += t.Tick(now)
	}
	return work
}

// Fd is -1: the loop polls the host at least once per millisecond.
func (h *Host) Fd() int { return -1 }

// Syncing tells whether a sync round is in progress (corosync's
// sync_in_process): requests that need the ring quiet wait or get
// CS_ERR_TRY_AGAIN.
func (h *Host) Syncing() bool { return h.sync.active }

// SyncedOnce tells whether a sync round has ever completed: until then
// corosync refuses new IPC connections.
func (h *Host) SyncedOnce() bool { return h.sync.completed > 0 }

// Ring and Members describe the configuration of the last sync round
// started (the current regular configuration).
func (h *Host) Ring() RingID { return h.sync.ring }

// Members returns the members of the current regular configuration
// (ascending); the slice is the host's, do not modify it.
func (h *Host) Members() []uint32 { return h.sync.members }

// SyncRounds counts completed sync rounds.
func (h *Host) SyncRounds() uint64 { return h.sync.completed }
