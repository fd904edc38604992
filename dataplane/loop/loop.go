package loop

import (
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/gorosync/gorosync/dataplane/totem"
	"github.com/gorosync/gorosync/dataplane/totempg"
	"github.com/gorosync/gorosync/dataplane/transport"
	"github.com/gorosync/gorosync/ring"
)

// Idle says what the loop does after a pass that found no work.
type Idle uint8

const (
	// IdleHybrid spins briefly, yielding the CPU to any other runnable
	// thread after each pass and then polling the Spinners' memory, then
	// sleeps until work or the deadline.
	IdleHybrid Idle = iota
	// IdleSpin never sleeps: lowest latency, one core busy.
	IdleSpin
	// IdleYield gives the processor to other goroutines between passes.
	IdleYield
	// IdleBlock sleeps at once until work or the deadline.
	IdleBlock
)

// ParseIdle reads the dataplane.idle value of corosync.conf.
func ParseIdle(s string) (Idle, error) {
	switch s {
	case "hybrid", "":
		return IdleHybrid, nil
	case "spin":
		return IdleSpin, nil
	case "yield":
		return IdleYield, nil
	case "block":
		return IdleBlock, nil
	}
	return 0, fmt.Errorf("loop: idle %q is not one of spin, yield, block, hybrid", s)
}

// Config configures a Loop.
type Config struct {
	Totem     totem.Config // the node; the loop sets its Hooks
	Transport transport.Transport
	CPU       int // pin the loop to this CPU; -1 leaves it unpinned
	// OnThread runs on the loop's locked OS thread before the first pass
	// (the daemon sets corosync's real-time scheduling there); the undo
	// it returns, if any, runs when Run ends, before the thread is
	// unlocked and given back to the Go runtime.
	OnThread func() (undo func())
	Idle     Idle // what to do when a pass found nothing to do
	// InboxSlots and InboxSlotBytes size the ring clients submit through
	// (defaults 1024 and 64 KiB).
	InboxSlots, InboxSlotBytes int
	// Deliver gets every application message in the agreed order, on the
	// loop's goroutine; payload is valid only during the call.
	Deliver func(sender uint32, payload []byte)
	// Conf gets every configuration change, on the loop's goroutine.
	Conf func(totem.ConfChange)
	// Pollers are polled once per pass on the loop's goroutine (the IPC
	// server, later the services' timers); a sleeping loop wakes when one
	// of their descriptors becomes readable.
	Pollers []Poller
}

// Indexes into Loop.fds.
const (
	fdTransport = 0
	fdWaker     = 1
	fdPollers   = 2
)

// Poller is work the loop drives besides totem: Poll does what is ready
// without blocking and says how much; Fd becomes readable when there is
// work (-1: none, the poller is then polled at least every maxSleep).
type Poller interface {
	Poll() int
	Fd() int
}

// Flusher is a Poller that holds back work done on the loop's behalf
// during a pass (the IPC server's event notifications, one write per
// client instead of one per event): the loop calls Flush at the end of
// every pass, after the last delivery.
type Flusher interface {
	Flush() int
}

// Sleeper is a Poller with work it leaves for when the loop is about to
// sleep (the IPC server reads the request notification bytes it took
// requests ahead of): BeforeSleep runs before every sleep, and work it
// reports means another pass instead of the sleep.
type Sleeper interface {
	BeforeSleep() int
}

// Spinner is a Poller that can find work in memory, without a system call
// (the IPC server: requests already in the rings of its active clients).
// IdleHybrid calls SpinPoll again and again while it spins between two
// passes, so that such work is done within a fraction of a microsecond
// instead of after the next pass's recvmmsg and epoll_wait. looked is how
// many places it looked at (the loop bounds their sum between passes); 0
// says there is nothing to watch, and the spin ends at once.
type Spinner interface {
	SpinPoll() (work, looked int)
}

// Loop is a node's token loop.
type Loop struct {
	cfg    Config
	node   *totem.Node
	sender *totempg.Resender
	asm    *totempg.Assembler
	tr     transport.Transport
	inbox  *ring.MPSC
	glue   glue
	start  time.Time

	rx      []transport.Received
	tx      []transport.Outgoing
	deliver func(sender uint32, msg []byte) // bound once
	take    func(msg []byte) bool           // bound once
	stats   Stats
	err     error

	fds      []int       // what sleep waits on: transport, waker, pollers (fdTransport, fdWaker, fdPollers+i)
	woke     uint64      // fds readable at the last wake-up (bit i: fds[i]); 0: look at everything
	flushers []Flusher   // the pollers that are Flushers
	sleepers []Sleeper   // the pollers that are Sleepers
	spinners []Spinner   // the pollers that are Spinners
	waker    int         // eventfd Submit writes when the loop sleeps
	sleeping atomic.Bool // the loop is (about to be) in waitForWork
	blocked  bool        // the inbox's head was refused for back-pressure
	wakeups  atomic.Uint64
}

// Wakeups counts sleeps that Submit cut short. Safe from any goroutine.
func (l *Loop) Wakeups() uint64 { return l.wakeups.Load() }

// Stats count the loop's work.
type Stats struct {
	Passes, IdlePasses, Submitted, SubmitRefused uint64
}

var groupA = [][]byte{[]byte("a")}

// New builds the node and its loop; Run starts it.
func New(cfg Config) (*Loop, error) {
	if cfg.Transport == nil {
		return nil, errors.New("loop: no transport")
	}
	if len(cfg.Pollers) > maxWaitFds-2 {
		return nil, fmt.Errorf("loop: %d pollers, at most %d", len(cfg.Pollers), maxWaitFds-2)
	}
	if cfg.InboxSlots == 0 {
		cfg.InboxSlots = 1024
	}
	if cfg.InboxSlotBytes == 0 {
		cfg.InboxSlotBytes = 64 << 10
	}
	l := &Loop{cfg: cfg, tr: cfg.Transport, start: time.Now()}
	cfg.Totem.Hooks = &l.glue
	if cfg.Totem.NetMTU == 0 {
		cfg.Totem.NetMTU = cfg.Transport.MTU()
	}
	node, err := totem.New(cfg.Totem)
	if err != nil {
		return nil, err
	}
	sender, err := totempg.NewResender(totempg.PacketSizeForNetMTU(cfg.Totem.NetMTU), &l.glue)
	if err != nil {
		return nil, err
	}
	inbox, err := ring.NewMPSC(cfg.InboxSlots, cfg.InboxSlotBytes+1)
	if err != nil {
		return nil, err
	}
	l.node, l.sender, l.asm, l.inbox = node, sender, totempg.NewAssembler(), inbox
	l.glue = glue{node: node, sender: sender}
	l.rx = make([]transport.Received, 64)
	l.fds = append(l.fds, cfg.Transport.Fd(), -1) // fdTransport, fdWaker
	for _, p := range cfg.Pollers {
		l.fds = append(l.fds, p.Fd())
		if f, ok := p.(Flusher); ok {
			l.flushers = append(l.flushers, f)
		}
		if s, ok := p.(Sleeper); ok {
			l.sleepers = append(l.sleepers, s)
		}
		if s, ok := p.(Spinner); ok {
			l.spinners = append(l.spinners, s)
		}
	}
	l.tx = make([]transport.Outgoing, 0, 256)
	l.deliver = l.onMessage
	l.take = l.submitFromInbox
	if l.waker, err = newWaker(); err != nil {
		return nil, err
	}
	l.fds[fdWaker] = l.waker
	return l, nil
}

// Close releases the loop's wake-up descriptor; call it after Run returned
// and once no goroutine calls Submit any more.
func (l *Loop) Close() {
	if l.waker >= 0 {
		closeWaker(l.waker)
		l.waker = -1
	}
}

// Node is the loop's totem node (read it only from the loop's goroutine,
// or after Run returned).
func (l *Loop) Node() *totem.Node { return l.node }

// Stats are the loop's counters (same caveat as Node).
func (l *Loop) Stats() Stats { return l.stats }

// Submit queues an application message for the agreed order; any goroutine
// may call it. ring.ErrFull means try again later.
func (l *Loop) Submit(payload []byte, safe bool) error {
	var buf [1]byte
	if safe {
		buf[0] = 1
	}
	if err := l.inbox.OfferParts(buf[:], payload); err != nil {
		return err
	}
	if l.sleeping.Load() && l.sleeping.CompareAndSwap(true, false) {
		wake(l.waker)
	}
	return nil
}

// SubmitLocal queues a message for the agreed order straight into totempg,
// without the inbox's copy and slot size limit: only for code running on
// the loop's goroutine (the services, from Deliver, Conf or a Poller).
// totempg.ErrTryAgain means the send queue is full: try again later.
func (l *Loop) SubmitLocal(payload []byte, safe bool) error {
	return l.countSubmit(l.sender.Mcast(groupA, payload, safe))
}

// SubmitLocalParts is SubmitLocal with the message in pieces (at most 32),
// packed straight from them: the caller need not join them first.
func (l *Loop) SubmitLocalParts(parts [][]byte, safe bool) error {
	return l.countSubmit(l.sender.Mcastv(groupA, parts, safe))
}

// countSubmit counts a local submission's outcome and passes it on.
func (l *Loop) countSubmit(err error) error {
	if err == nil {
		l.stats.Submitted++
	} else if errors.Is(err, totempg.ErrTryAgain) {
		l.stats.SubmitRefused++
	}
	return err
}

// now is the monotonic time the state machine runs on.
func (l *Loop) now() int64 { return int64(time.Since(l.start)) }

// Start brings the node up (call once, on the loop's goroutine).
func (l *Loop) Start() error {
	if err := l.node.Start(l.now()); err != nil {
		return err
	}
	return l.act()
}

// Pass runs one duty cycle and returns how much work it did: frames
// received, timers fired, messages submitted.
func (l *Loop) Pass() (work int, err error) {
	l.stats.Passes++
	// The pass after a wake-up looks only at what woke the loop (a sleep
	// that timed out looks at everything): an IPC request does not cost a
	// recvmmsg, a frame does not cost an epoll_wait. What it skips is
	// looked at in the next pass, which follows at once when this one did
	// work; when it did none the loop sleeps again, and ppoll reports
	// whatever is still readable.
	woke := l.woke
	l.woke = 0
	n := 0
	if woke == 0 || l.fds[fdTransport] < 0 || woke&(1<<fdTransport) != 0 {
		var err error
		if n, err = l.tr.Recv(l.rx); err != nil {
			return 0, err
		}
	}
	now := l.now()
	for i := range n {
		// A malformed frame is counted by the node and changes nothing.
		_ = l.node.Step(now, l.rx[i].Data)
		if err := l.act(); err != nil {
			l.tr.Release(l.rx[:n])
			return work, err
		}
		work++
	}
	l.tr.Release(l.rx[:n])
	if now >= l.node.Deadline() {
		l.node.Tick(now)
		if err := l.act(); err != nil {
			return work, err
		}
		work++
	}
	l.blocked = false
	for k := 0; k < 64 && l.inbox.PollIf(l.take); k++ {
		work++
	}
	for i, p := range l.cfg.Pollers {
		if woke != 0 && l.fds[fdPollers+i] >= 0 && woke&(1<<(fdPollers+i)) == 0 {
			continue
		}
		work += p.Poll()
	}
	if l.err != nil {
		return work, l.err
	}
	if err := l.act(); err != nil {
		return work, err
	}
	for _, f := range l.flushers {
		work += f.Flush()
	}
	if work == 0 {
		l.stats.IdlePasses++
	}
	return work, nil
}

// submitFromInbox packs one submitted message; false leaves it queued (the
// send queue is full: back-pressure reaches the submitters as ErrFull).
func (l *Loop) submitFromInbox(msg []byte) bool {
	err := l.sender.Mcast(groupA, msg[1:], msg[0] == 1)
	switch {
	case err == nil:
		l.stats.Submitted++
		return true
	case errors.Is(err, totempg.ErrTryAgain):
		l.stats.SubmitRefused++
		l.blocked = true
		return false
	default:
		l.err = fmt.Errorf("loop: submitting a message of %d bytes: %w", len(msg)-1, err)
		return true // drop it: it can never be sent
	}
}

// act carries out the node's Ready batch: frames to the transport,
// deliveries through totempg to the application, configuration changes.
func (l *Loop) act() error {
	for range 8 {
		r := l.node.Ready()
		l.tx = l.tx[:0]
		for _, f := range r.Frames {
			l.tx = append(l.tx, transport.Outgoing{To: f.To, Data: f.Data})
		}
		// Frames go out before the deliveries run (corosync's order: the
		// token is forwarded, then messages are delivered). The next node
		// works while this one hands messages to its clients; delivered the
		// other way round, every hop of the token waited for the IPC writes.
		var err error
		if len(l.tx) > 0 {
			err = l.tr.Send(l.tx)
		}
		for i := range r.Events {
			ev := &r.Events[i]
			switch ev.Kind {
			case totem.EventDeliver:
				d := &ev.Deliver
				// A malformed packet from a peer is dropped by totempg.
				_ = l.asm.Packet(d.Sender, d.Payload, d.BigEndian, l.deliver)
			case totem.EventConfChange:
				l.onConf(&ev.Conf)
			}
		}
		l.node.Advance()
		if err != nil {
			return err
		}
		if !l.node.HasReady() {
			return nil
		}
	}
	return nil
}

func (l *Loop) onConf(cc *totem.ConfChange) {
	for _, id := range cc.Left {
		l.asm.Forget(id)
	}
	if cc.Kind == totem.Regular {
		l.asm.Reset()
		if err := l.sender.Restart(); err != nil && !errors.Is(err, totempg.ErrTryAgain) {
			l.err = fmt.Errorf("loop: sending cut messages again: %w", err)
		}
	}
	if l.cfg.Conf != nil {
		l.cfg.Conf(*cc)
	}
}

func (l *Loop) onMessage(sender uint32, msg []byte) {
	_, payload, err := totempg.SplitGroups(msg, false)
	if err != nil || l.cfg.Deliver == nil {
		return
	}
	l.cfg.Deliver(sender, payload)
}

// glue connects totempg to totem for the loop.
type glue struct {
	node   *totem.Node
	sender *totempg.Resender
}

func (g *glue) SubmitPacket(packet []byte, safe bool) error {
	gu := totem.Agreed
	if safe {
		gu = totem.Safe
	}
	return g.node.Submit(packet, gu)
}

func (g *glue) Avail() int     { return g.node.Avail() }
func (g *glue) Queued() int    { return g.node.Queued() }
func (g *glue) DropQueued()    { g.node.DropQueued() }
func (g *glue) Signal()        { g.node.Signal() }
func (g *glue) TokenReceived() { _ = g.sender.Flush() }
func (g *glue) TokenSent()     {}
