package cmap

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gorosync/gorosync/shm"
	"golang.org/x/sys/unix"
)

// server is an in-process shm server serving a cmap Service, its Poll
// loop on a goroutine that also runs the functions given to do (the
// store's owner).
type server struct {
	srv  *shm.Server
	svc  *Service
	name string
	fns  chan func()
	stop chan struct{}
	done chan struct{}
}

func startServer(t testing.TB, name string, store *Store) *server {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (the shm server chowns per-connection files)")
	}
	svc := NewService(store)
	srv, err := shm.New(shm.Config{Services: []shm.Service{{Name: name, Handler: svc}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{srv: srv, svc: svc, name: name, fns: make(chan func()), stop: make(chan struct{}), done: make(chan struct{})}
	go s.loop()
	t.Cleanup(func() {
		close(s.stop)
		<-s.done
		_ = srv.Close()
		waitNoShm(t, 5*time.Second)
	})
	return s
}

func (s *server) loop() {
	defer close(s.done)
	fds := []unix.PollFd{{Fd: int32(s.srv.Fd()), Events: unix.POLLIN}}
	ts := unix.NsecToTimespec(int64(time.Millisecond))
	for {
		select {
		case <-s.stop:
			return
		case f := <-s.fns:
			f()
			continue
		default:
		}
		if s.srv.Poll() > 0 {
			continue
		}
		_, _ = unix.Ppoll(fds, &ts, nil)
	}
}

// do runs f on the Poll goroutine and waits for it (bounded).
func (s *server) do(t testing.TB, f func()) {
	t.Helper()
	ch := make(chan struct{})
	select {
	case s.fns <- func() { f(); close(ch) }:
	case <-time.After(5 * time.Second):
		t.Fatal("poll loop stuck")
	}
	<-ch
}

// waitNoShm waits for this process's /dev/shm/qb-<pid>-* directories to
// go, removes leftovers and fails if there were any.
func waitNoShm(t testing.TB, d time.Duration) {
	pat := fmt.Sprintf("/dev/shm/qb-%d-*", os.Getpid())
	end := time.Now().Add(d)
	for {
		left, _ := filepath.Glob(pat)
		if len(left) == 0 {
			return
		}
		if time.Now().After(end) {
			for _, l := range left {
				os.RemoveAll(l)
			}
			t.Errorf("left in /dev/shm: %v", left)
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}
