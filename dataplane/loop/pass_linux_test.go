package loop

import (
	"bytes"
	"context"
	"net/netip"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorosync/gorosync/dataplane/totem"
	"github.com/gorosync/gorosync/dataplane/transport"
	"github.com/gorosync/gorosync/dataplane/transport/udp"
	"golang.org/x/sys/unix"
)

// oneNode builds a one-node loop (IdleBlock) on 127.0.0.1:port with pollers.
func oneNode(t *testing.T, port uint16, deliver func(uint32, []byte), pollers ...Poller) *Loop {
	t.Helper()
	return oneNodeWith(t, port, func(cfg *Config) { cfg.Deliver, cfg.Pollers = deliver, pollers })
}

// oneNodeWith is oneNode with the Config changed by mutate before New.
func oneNodeWith(t *testing.T, port uint16, mutate func(*Config)) *Loop {
	t.Helper()
	self := netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, 1}), port)
	tr, err := udp.New(udp.Config{Local: self, Peers: map[uint32]netip.AddrPort{1: self}, LocalNodeID: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	cfg := Config{Totem: totem.Config{NodeID: 1, Timers: totem.TimersFor(totem.DefaultTimerParams(1))},
		Transport: tr, CPU: -1, Idle: IdleBlock}
	mutate(&cfg)
	l, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.Close)
	return l
}

// flushingPoller records Polls and Flushes into a shared trace.
type flushingPoller struct {
	fd      int
	trace   *[]byte
	flushes int
}

func (p *flushingPoller) Poll() int  { *p.trace = append(*p.trace, 'p'); return 0 }
func (p *flushingPoller) Fd() int    { return p.fd }
func (p *flushingPoller) Flush() int { p.flushes++; *p.trace = append(*p.trace, 'f'); return 0 }

// A Flusher is flushed once at the end of every pass, after the pass's
// last delivery: the IPC server's notification bytes for events written
// during deliveries go out before the loop can sleep.
func TestPassFlushesAfterDeliveries(t *testing.T) {
	var trace []byte
	p := &flushingPoller{fd: -1, trace: &trace}
	l := oneNode(t, 25465, func(uint32, []byte) { trace = append(trace, 'd') }, p)
	if err := l.Start(); err != nil {
		t.Fatal(err)
	}
	if err := l.Submit([]byte("x"), false); err != nil {
		t.Fatal(err)
	}
	passes := 0
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); passes++ {
		trace = trace[:0]
		if _, err := l.Pass(); err != nil {
			t.Fatal(err)
		}
		if p.flushes != passes+1 {
			t.Fatalf("pass %d: %d flushes, want one per pass", passes+1, p.flushes)
		}
		if d := lastIndex(trace, 'd'); d >= 0 {
			if trace[len(trace)-1] != 'f' {
				t.Fatalf("pass trace %q: the pass did not end with a flush after its deliveries", trace)
			}
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("the submitted message was never delivered")
}

func lastIndex(b []byte, c byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == c {
			return i
		}
	}
	return -1
}

// The pass after a wake-up looks only at the descriptors that woke the
// loop (pollers without a descriptor are always polled); the next pass, or
// one after a timed-out sleep, looks at everything.
func TestPassAfterWakeLooksOnlyAtWhatWoke(t *testing.T) {
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(efd)
	var trace []byte
	withFd := &countingPoller{}
	withoutFd := &flushingPoller{fd: -1, trace: &trace}
	l := oneNode(t, 25475, nil, fdPoller{withFd, efd}, withoutFd)
	if err := l.Start(); err != nil {
		t.Fatal(err)
	}
	l.woke = 1 << fdWaker // woken by a submission only
	if _, err := l.Pass(); err != nil {
		t.Fatal(err)
	}
	if withFd.polls != 0 || trace[0] != 'p' {
		t.Fatalf("after a waker wake-up: poller with a descriptor polled %d times (want 0), trace %q (want a poll of the other)", withFd.polls, trace)
	}
	l.woke = 1 << fdPollers // woken by the first poller's descriptor
	if _, err := l.Pass(); err != nil {
		t.Fatal(err)
	}
	if withFd.polls != 1 {
		t.Fatalf("after its own wake-up the poller was polled %d times, want 1", withFd.polls)
	}
	if _, err := l.Pass(); err != nil { // woke is 0 again: everything
		t.Fatal(err)
	}
	if withFd.polls != 2 {
		t.Fatalf("a full pass polled the poller %d times in all, want 2", withFd.polls)
	}
}

// fdPoller gives a countingPoller a descriptor.
type fdPoller struct {
	*countingPoller
	fd int
}

func (p fdPoller) Fd() int { return p.fd }

// OnThread runs on the loop's thread before the first pass, and its undo
// when Run ends.
func TestOnThreadRunsOnTheLoopsThread(t *testing.T) {
	var setupTid, pollTid, undone atomic.Int64
	l := oneNodeWith(t, 25485, func(cfg *Config) {
		cfg.Pollers = []Poller{&tidRecorder{tid: &pollTid}}
		cfg.OnThread = func() func() {
			setupTid.Store(int64(unix.Gettid()))
			return func() { undone.Store(int64(unix.Gettid())) }
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	for end := time.Now().Add(5 * time.Second); pollTid.Load() == 0 && time.Now().Before(end); {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if s, p, u := setupTid.Load(), pollTid.Load(), undone.Load(); s == 0 || s != p || u != s {
		t.Fatalf("OnThread on thread %d, passes on %d, undo on %d: want one thread", s, p, u)
	}
}

// Config.CPU pins the loop's thread while it runs; the thread has its
// former CPUs back when Run returns (the Go runtime reuses it).
func TestCPUPinningIsUndone(t *testing.T) {
	runtime.LockOSThread() // Run's own lock nests: this goroutine keeps the thread
	defer runtime.UnlockOSThread()
	var before, during, after unix.CPUSet
	if err := unix.SchedGetaffinity(0, &before); err != nil {
		t.Fatal(err)
	}
	if before.Count() < 2 {
		t.Skip("one CPU: pinning changes nothing to undo")
	}
	var ran atomic.Bool
	ctx, cancel := context.WithCancel(context.Background())
	l := oneNodeWith(t, 25486, func(cfg *Config) {
		cfg.CPU = 1
		cfg.Pollers = []Poller{pollFunc(func() int {
			if !ran.Load() {
				_ = unix.SchedGetaffinity(0, &during)
				ran.Store(true)
			}
			cancel()
			return 0
		})}
	})
	if err := l.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if err := unix.SchedGetaffinity(0, &after); err != nil {
		t.Fatal(err)
	}
	if !ran.Load() || during.Count() != 1 || !during.IsSet(1) {
		t.Fatalf("during Run: %d CPUs (CPU 1: %v), want CPU 1 alone", during.Count(), during.IsSet(1))
	}
	if after != before {
		t.Fatalf("after Run the thread has %d CPUs, before %d", after.Count(), before.Count())
	}
}

type pollFunc func() int

func (f pollFunc) Poll() int { return f() }
func (f pollFunc) Fd() int   { return -1 }

type tidRecorder struct{ tid *atomic.Int64 }

func (r *tidRecorder) Poll() int { r.tid.CompareAndSwap(0, int64(unix.Gettid())); return 0 }
func (r *tidRecorder) Fd() int   { return -1 }

// sleeperPoller reports work from BeforeSleep.
type sleeperPoller struct {
	countingPoller
	work, calls int
}

func (p *sleeperPoller) BeforeSleep() int { p.calls++; return p.work }

// BeforeSleep runs before every sleep; work it reports means no sleep
// (the loop passes again), none means the loop sleeps as usual.
func TestBeforeSleepCanCancelTheSleep(t *testing.T) {
	p := &sleeperPoller{work: 1}
	l := oneNode(t, 25495, nil, p)
	wake(l.waker) // a sleep would return at once and report the waker
	l.sleep()
	if p.calls != 1 || l.woke != 0 {
		t.Fatalf("BeforeSleep called %d times, woke %b: want 1 call and no sleep", p.calls, l.woke)
	}
	p.work = 0
	l.sleep()
	if p.calls != 2 || l.woke&(1<<fdWaker) == 0 {
		t.Fatalf("BeforeSleep called %d times, woke %b: want 2 calls and a sleep ended by the waker", p.calls, l.woke)
	}
}

// tracingTransport marks every Send in a trace the test also writes to.
type tracingTransport struct {
	transport.Transport
	trace *[]byte
}

func (tt tracingTransport) Send(frames []transport.Outgoing) error {
	*tt.trace = append(*tt.trace, 's')
	return tt.Transport.Send(frames)
}

// A batch's frames (the token going on) are sent before its messages are
// delivered, corosync's order: the next node works while this one hands
// messages to its clients.
func TestFramesGoOutBeforeDeliveries(t *testing.T) {
	var trace []byte
	l := oneNodeWith(t, 25505, func(cfg *Config) {
		cfg.Transport = tracingTransport{cfg.Transport, &trace}
		cfg.Deliver = func(uint32, []byte) { trace = append(trace, 'd') }
	})
	if err := l.Start(); err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		if err := l.Submit([]byte{byte(i)}, false); err != nil {
			t.Fatal(err)
		}
	}
	delivered := 0
	for end := time.Now().Add(5 * time.Second); delivered < 20 && time.Now().Before(end); {
		trace = trace[:0]
		if _, err := l.Pass(); err != nil {
			t.Fatal(err)
		}
		if d := bytes.IndexByte(trace, 'd'); d >= 0 && bytes.IndexByte(trace[:d], 's') < 0 {
			t.Fatalf("pass trace %q: messages were delivered before their batch's frames were sent", trace)
		}
		delivered += bytes.Count(trace, []byte{'d'})
		time.Sleep(100 * time.Microsecond)
	}
	if delivered < 20 {
		t.Fatalf("%d of 20 delivered", delivered)
	}
}

// IdleHybrid yields the CPU after each spinning pass and sleeps after
// spinPasses of them; IdleSpin and IdleBlock never yield.
func TestHybridSpinYields(t *testing.T) {
	yields := 0
	osYieldFunc = func() { yields++ }
	t.Cleanup(func() { osYieldFunc = osYield })
	p := &sleeperPoller{}
	l := oneNodeWith(t, 25497, func(cfg *Config) { cfg.Pollers, cfg.Idle = []Poller{p}, IdleHybrid })
	for n := 1; n < spinPasses; n++ {
		l.idle(n)
	}
	if yields != spinPasses-1 || p.calls != 0 {
		t.Fatalf("%d spinning passes: %d yields and %d sleeps, want a yield each and no sleep", spinPasses-1, yields, p.calls)
	}
	l.idle(spinPasses)
	if yields != spinPasses-1 || p.calls != 1 {
		t.Fatalf("pass %d: %d yields and %d sleeps, want a sleep and no yield", spinPasses, yields, p.calls)
	}
	for _, idle := range []Idle{IdleSpin, IdleBlock} {
		l.SetIdle(idle)
		l.idle(1)
	}
	if yields != spinPasses-1 {
		t.Fatalf("spin or block yielded (%d yields)", yields)
	}
}

// spinnerPoller finds work on its found-th SpinPoll and says it looked
// at watch places each time.
type spinnerPoller struct {
	sleeperPoller
	spins, found, watch int
}

func (p *spinnerPoller) SpinPoll() (work, looked int) {
	p.spins++
	if p.spins == p.found {
		return 1, p.watch
	}
	return 0, p.watch
}

// Between spinning passes IdleHybrid yields, then polls the Spinners until
// one finds work (reported, so the loop passes at once and its idle count
// starts over), nothing is watched (one call), or spinLooks places were
// looked at; it never polls them in a sleeping pass or with another idle
// strategy.
func TestHybridSpinPollsSpinners(t *testing.T) {
	yields := 0
	osYieldFunc = func() { yields++ }
	t.Cleanup(func() { osYieldFunc = osYield })
	p := &spinnerPoller{found: 3, watch: 2}
	l := oneNodeWith(t, 25498, func(cfg *Config) { cfg.Pollers, cfg.Idle = []Poller{p}, IdleHybrid })
	if n := l.afterPass(0, 4); n != 0 || p.spins != 3 || yields != 1 {
		t.Fatalf("work on the 3rd poll: %d empty passes after %d polls and %d yields, want 0, 3, 1", n, p.spins, yields)
	}
	p.spins, p.found = 0, -1
	if n := l.afterPass(0, 4); n != 5 {
		t.Fatalf("nothing found: %d empty passes, want 5", n)
	}
	p.spins = 0
	if w := l.idle(2); w != 0 || p.spins != spinLooks/2 {
		t.Fatalf("nothing found: idle returned %d after %d polls, want 0 after %d (spinLooks %d, 2 places each)", w, p.spins, spinLooks/2, spinLooks)
	}
	p.spins, p.watch = 0, 0
	if w := l.idle(3); w != 0 || p.spins != 1 {
		t.Fatalf("nothing watched: idle returned %d after %d polls, want 0 after 1", w, p.spins)
	}
	p.spins, p.watch = 0, 2
	l.idle(spinPasses)
	for _, idle := range []Idle{IdleSpin, IdleBlock, IdleYield} {
		l.SetIdle(idle)
		l.idle(1)
	}
	if p.spins != 0 || p.calls != 2 {
		t.Fatalf("sleeping passes and other strategies: %d polls, %d sleeps; want 0 and 2", p.spins, p.calls)
	}
}
