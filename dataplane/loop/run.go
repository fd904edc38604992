package loop

import (
	"context"
	"runtime"
	"time"
)

// spinPasses is how many empty passes IdleHybrid spins before sleeping:
// a few microseconds (each pass is a recvmmsg), enough to catch the next
// frame of a busy ring. Longer spins cost more than they save where cores
// are shared: on 2 cores with 3 daemons, 200 passes cut 1 KiB throughput
// from ~72k to ~30k msgs/s and tripled p50 latency, because the spinning
// loops took the CPU their peers needed. A dedicated core wants idle: spin.
//
// Each spinning pass ends with sched_yield, so a spin never keeps a
// runnable thread waiting for this CPU (a peer daemon, a client, the
// kernel's softirq thread): the kernel runs it at once and the loop spins
// on when it is done. With nothing else runnable the spin keeps the CPU
// awake, and a vCPU that halts costs a wake-up through the hypervisor. On
// the 2-vCPU VM of BENCHMARKS.md the yield halved ping-pong latency and
// raised 3-node throughput 1.3× (64 B) to 2× (64 KiB).
//
// After the yield the loop polls the Spinners (the IPC server looks into
// the request rings of its active clients) for up to spinLooks places: a
// request is then taken within ~30 ns of its write, usually before the
// client has sent its notification byte and gone to sleep on the answer,
// so neither side makes a system call for it. On the same VM cmap_get
// went from 59–78 k to 111–140 k ops/s with client and daemon on two
// CPUs, 92–99 k to 124–130 k unpinned, 105–113 k to 109–115 k on one CPU.
const spinPasses = 16

// maxSleep bounds one sleep, so that a submission made while the loop
// sleeps waits at most this long even without a wake-up descriptor.
const maxSleep = 1 * time.Millisecond

// Run starts the node and runs the loop until ctx is done or an error
// stops it. It locks its goroutine to an OS thread and pins that thread to
// Config.CPU when it is not -1.
func (l *Loop) Run(ctx context.Context) error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if l.cfg.CPU >= 0 {
		unpin, err := pinToCPU(l.cfg.CPU)
		if err != nil {
			return err
		}
		defer unpin() // before the unlock: on this thread
	}
	if l.cfg.OnThread != nil {
		if undo := l.cfg.OnThread(); undo != nil {
			defer undo()
		}
	}
	if err := l.Start(); err != nil {
		return err
	}
	idle := 0
	for {
		if ctx.Err() != nil {
			// A clean stop leaves the ring, so the others re-form at once
			// instead of waiting for the token timeout.
			l.node.Leave()
			return l.act()
		}
		work, err := l.Pass()
		if err != nil {
			return err
		}
		idle = l.afterPass(work, idle)
	}
}

// afterPass idles after a pass that did no work and returns the count of
// empty passes in a row: 0 after work, or when the idle spin found some.
func (l *Loop) afterPass(work, idle int) int {
	if work > 0 {
		return 0
	}
	idle++
	if l.idle(idle) > 0 {
		return 0
	}
	return idle
}

// SetIdle changes the idle strategy; call it on the loop's goroutine
// (from Config.OnThread, say, once the thread's scheduling is known).
func (l *Loop) SetIdle(i Idle) { l.cfg.Idle = i }

// spinLooks bounds the places the Spinners look at between two spinning
// passes (an IPC client's request ring, ~30 ns each): ~4 µs, about two
// passes' worth of system calls, so a frame arriving meanwhile waits
// about as long as it would for those.
const spinLooks = 128

// idle applies the idle strategy after the n-th empty pass in a row. It
// returns the work the Spinners found while it spun.
func (l *Loop) idle(n int) int {
	switch l.cfg.Idle {
	case IdleSpin:
	case IdleYield:
		runtime.Gosched()
	case IdleHybrid:
		if n < spinPasses {
			// Yield first: a client on this CPU that the last pass
			// answered runs now, and its next request is in its ring
			// when the spin looks.
			osYieldFunc()
			return l.spinPoll() // work found: a pass at once sends what it queued
		}
		fallthrough
	case IdleBlock:
		l.sleep()
	}
	return 0
}

// spinPoll polls the Spinners until one finds work, none has anything to
// watch, or they have looked at spinLooks places and found nothing.
func (l *Loop) spinPoll() int {
	for looked := 0; looked < spinLooks; {
		work, watched := 0, 0
		for _, s := range l.spinners {
			w, n := s.SpinPoll()
			work += w
			watched += n
		}
		if work > 0 || watched == 0 {
			return work
		}
		looked += watched
	}
	return 0
}

// osYieldFunc is osYield, replaceable by tests that count the yields.
var osYieldFunc = osYield

// sleep waits for a frame, a submission or the next deadline. Submit wakes
// the loop through the waker when it finds it sleeping; the inbox is
// checked once more after saying so, so a submission made just before
// cannot wait for the timeout.
func (l *Loop) sleep() {
	for _, s := range l.sleepers {
		if s.BeforeSleep() > 0 {
			return // it found work: another pass instead
		}
	}
	l.sleeping.Store(true)
	if l.inbox.Ready() && !l.blocked {
		l.sleeping.Store(false)
		return
	}
	wait := time.Duration(l.node.Deadline() - l.now())
	l.woke = waitForWork(l.fds, min(max(wait, 0), maxSleep))
	l.sleeping.Store(false)
	if l.woke&(1<<fdWaker) != 0 && drainWaker(l.waker) {
		l.wakeups.Add(1)
	}
}
