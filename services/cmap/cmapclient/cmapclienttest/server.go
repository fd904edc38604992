// Package cmapclienttest runs an in-process cmap service for tests of
// cmap clients (the Go client, gorosync-cmapctl, corosync's tools): an
// shm server on its own goroutine that owns the store, as the token loop
// does in the daemon.
package cmapclienttest

import (
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorosync/gorosync/services/cmap"
	"github.com/gorosync/gorosync/shm"
	"golang.org/x/sys/unix"
)

// Config configures Start.
type Config struct {
	// Name is the service's socket name. Abstract unix sockets are per
	// network namespace: serve the real name "cmap" only inside a private
	// one. Default: a name unique to the process (UniqueName).
	Name  string
	Store *cmap.Store // default: an empty store
	Stats *cmap.Store // the stats map; default: an empty store
	Mode  shm.Mode    // SHM (default) or socket transport
	// Ready, if set, is asked at each connection: false refuses it with
	// -EAGAIN, as a daemon that is not ready yet (shm.Config.Ready).
	Ready func() bool
}

// Server is a running service. Its store belongs to the poll goroutine:
// touch it only inside Do.
type Server struct {
	Name    string
	Service *cmap.Service
	srv     *shm.Server
	fns     chan func()
	stop    chan struct{}
	done    chan struct{}
}

var names atomic.Uint64

// UniqueName is a service name no other test in any process uses.
func UniqueName() string { return fmt.Sprintf("gscmapc-%d-%d", os.Getpid(), names.Add(1)) }

// Start serves cfg until the test ends, then stops the server and checks
// that its /dev/shm files went (t.Error if not; they are removed). It
// skips the test when not root: the server chowns per-connection files.
func Start(t testing.TB, cfg Config) *Server {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (the shm server chowns per-connection files)")
	}
	if cfg.Name == "" {
		cfg.Name = UniqueName()
	}
	if cfg.Store == nil {
		cfg.Store = cmap.NewStore()
	}
	if cfg.Stats == nil {
		cfg.Stats = cmap.NewStore()
	}
	svc := cmap.NewService(cfg.Store)
	svc.Stats = cfg.Stats
	srv, err := shm.New(shm.Config{Services: []shm.Service{{Name: cfg.Name, Handler: svc}}, Mode: cfg.Mode, Ready: cfg.Ready})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	s := &Server{Name: cfg.Name, Service: svc, srv: srv, fns: make(chan func()),
		stop: make(chan struct{}), done: make(chan struct{})}
	go s.loop()
	t.Cleanup(func() {
		close(s.stop)
		<-s.done
		_ = srv.Close()
		waitNoShm(t, 5*time.Second)
	})
	return s
}

func (s *Server) loop() {
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

// Do runs f on the poll goroutine (the store's owner) and waits for it;
// it fails the test if the loop does not take f within 5 s.
func (s *Server) Do(t testing.TB, f func()) {
	t.Helper()
	ch := make(chan struct{})
	select {
	case s.fns <- func() { f(); close(ch) }:
	case <-time.After(5 * time.Second):
		t.Fatal("cmapclienttest: poll loop stuck")
	}
	<-ch
}

// Store is the main map; use it inside Do.
func (s *Server) Store() *cmap.Store { return s.Service.Store }

// Dump is the main map's keys with prefix as "key (type) = text" lines
// (binary values in hex), taken on the poll goroutine.
func (s *Server) Dump(t testing.TB, prefix string) string {
	var out string
	s.Do(t, func() {
		st := s.Service.Store
		for _, k := range st.Keys(prefix) {
			v, _ := st.Get(k)
			out += k + " " + v.String() + "\n"
		}
	})
	return out
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
