package loop

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A sleep ends when any watched descriptor becomes readable, long before
// its timeout; -1 entries are ignored.
func TestWaitForWorkWakesOnAnyFd(t *testing.T) {
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(efd)
	go func() {
		time.Sleep(20 * time.Millisecond)
		wake(efd)
	}()
	start := time.Now()
	// A signal (the runtime's preemption request) also ends a sleep, with
	// nothing readable: sleep again then, as the loop does.
	var ready uint64
	for ready == 0 && time.Since(start) < 10*time.Second {
		ready = waitForWork([]int{-1, -1, efd}, 20*time.Second)
	}
	if ready != 1<<2 {
		t.Errorf("waitForWork reported %b readable, want only the third descriptor (100)", ready)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Fatalf("slept %v: the third descriptor did not end the sleep", el)
	}
	if !drainWaker(efd) {
		t.Fatal("the descriptor was not written")
	}
}

type countingPoller struct{ polls, work int }

func (p *countingPoller) Poll() int { p.polls++; return p.work }
func (p *countingPoller) Fd() int   { return -1 }

// Every pass polls every poller once, and their work counts as the pass's.
func TestPassPollsPollers(t *testing.T) {
	p := &countingPoller{work: 3}
	l := oneNode(t, 25445, nil, p)
	if err := l.Start(); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		work, err := l.Pass()
		if err != nil {
			t.Fatal(err)
		}
		if p.polls != i || work < 3 {
			t.Fatalf("pass %d: poller polled %d times, pass work %d", i, p.polls, work)
		}
	}
	if len(l.fds) != 3 || l.fds[2] != -1 {
		t.Fatalf("sleep descriptors %v: want transport, waker, poller", l.fds)
	}
}
