// Package shmtest is for tests only: it runs in-process shm servers the
// way the daemon's token loop does, so that clients (the Go clients,
// Debian's corosync tools, libqb's C client) can talk to a service under
// test. It owns the harness the services' and tools' tests share: one
// goroutine polling one or more shm.Server values and running the
// functions a test hands it (Do), unique private service names (Name),
// the check that /dev/shm is left clean (WaitNoShm), re-running a test
// in a private network namespace (InNetns), and a test echo service
// (Echo, StartEcho) for the IPC client tests.
package shmtest

import (
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorosync/gorosync/shm"
	"golang.org/x/sys/unix"
)

// Options configure StartWith.
type Options struct {
	// Step, if set, runs on the loop goroutine after every round of polls
	// with the nanoseconds of real time since its previous call (since the
	// loop started, the first time) and returns the work it did; tests
	// step a servicetest bus with it. The loop sleeps (up to 1 ms, or
	// until a server's descriptor is readable) only when neither the
	// servers nor Step did anything.
	Step func(elapsedNs int64) int
}

// Server is running shm servers and the goroutine that polls them: the
// owner of their handlers, as the token loop is in the daemon. Whatever
// touches the handlers' state runs there, inside Do.
type Server struct {
	// Servers are the shm servers, in the order of the configurations.
	Servers []*shm.Server

	step func(elapsedNs int64) int
	fns  chan func()
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// live counts the servers Start has running in this process.
var live atomic.Int64

// Start serves cfg until the test ends (see StartWith).
func Start(t testing.TB, cfg shm.Config) *Server { return StartWith(t, Options{}, cfg) }

// StartWith starts a server for each configuration and one goroutine that
// polls them all. At the end of the test it stops them and, unless another
// server of this process still runs, checks that nothing of this process
// is left in /dev/shm (WaitNoShm). It skips the test unless it runs as
// root: the server chowns per-connection files and forces socket buffer
// sizes.
func StartWith(t testing.TB, o Options, cfgs ...shm.Config) *Server {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (the shm server chowns per-connection files and uses SO_SNDBUFFORCE)")
	}
	s := &Server{step: o.Step, fns: make(chan func()), stop: make(chan struct{}), done: make(chan struct{})}
	for _, cfg := range cfgs {
		srv, err := shm.New(cfg)
		if err == nil {
			err = srv.Start()
		}
		if err != nil {
			s.closeServers()
			t.Fatalf("shm server: %v", err)
		}
		s.Servers = append(s.Servers, srv)
	}
	go s.loop()
	live.Add(1)
	t.Cleanup(func() {
		s.Stop()
		if live.Add(-1) == 0 {
			WaitNoShm(t, 5*time.Second)
		}
	})
	return s
}

// loop polls the servers and runs Step until Stop; it sleeps on the
// servers' descriptors for up to 1 ms when there was nothing to do.
func (s *Server) loop() {
	defer close(s.done)
	fds := make([]unix.PollFd, 0, len(s.Servers))
	for _, srv := range s.Servers {
		fds = append(fds, unix.PollFd{Fd: int32(srv.Fd()), Events: unix.POLLIN})
	}
	ts := unix.NsecToTimespec(int64(time.Millisecond))
	last := time.Now()
	for {
		select {
		case <-s.stop:
			return
		case f := <-s.fns:
			f()
			continue
		default:
		}
		work := 0
		for _, srv := range s.Servers {
			work += srv.Poll()
		}
		if s.step != nil {
			now := time.Now()
			work += s.step(int64(now.Sub(last)))
			last = now
			for _, srv := range s.Servers {
				work += srv.Flush() // events the step wrote
			}
		}
		if work == 0 {
			for _, srv := range s.Servers {
				work += srv.BeforeSleep() // bytes of requests taken ahead
			}
		}
		if work == 0 {
			_, _ = unix.Ppoll(fds, &ts, nil)
		}
	}
}

// Do runs f on the loop goroutine and waits for it; it fails the test if
// the loop does not take f within 10 s.
func (s *Server) Do(t testing.TB, f func()) {
	t.Helper()
	ch := make(chan struct{})
	select {
	case s.fns <- func() { f(); close(ch) }:
	case <-time.After(10 * time.Second):
		t.Fatal("shmtest: poll loop stuck")
	}
	<-ch
}

// Stop ends the loop and closes the servers (idempotent; the test's
// cleanup calls it too).
func (s *Server) Stop() {
	s.once.Do(func() {
		close(s.stop)
		<-s.done
		s.closeServers()
	})
}

func (s *Server) closeServers() {
	for _, srv := range s.Servers {
		_ = srv.Close()
	}
}
