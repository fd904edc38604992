// Package cmapclienttest runs an in-process cmap service for tests of
// cmap clients (the Go client, gorosync-cmapctl, corosync's tools): an
// shm server on its own goroutine that owns the store, as the token loop
// does in the daemon.
package cmapclienttest

import (
	"testing"

	"github.com/gorosync/gorosync/services/cmap"
	"github.com/gorosync/gorosync/shm"
	"github.com/gorosync/gorosync/shm/shmtest"
)

// Config configures Start.
type Config struct {
	// Name is the service's socket name. Abstract unix sockets are per
	// network namespace: serve the real name "cmap" only inside a private
	// one. Default: a name unique to the process (shmtest.Name).
	Name  string
	Store *cmap.Store // default: an empty store
	Stats *cmap.Store // the stats map; default: an empty store
	Mode  shm.Mode    // SHM (default) or socket transport
	// Ready, if set, is asked at each connection: false refuses it with
	// -EAGAIN, as a daemon that is not ready yet (shm.Config.Ready).
	Ready func() bool
}

// Server is a running service (shmtest's loop). Its store belongs to the
// poll goroutine: touch it only inside Do.
type Server struct {
	*shmtest.Server
	Name    string
	Service *cmap.Service
}

// Start serves cfg until the test ends, then stops the server and checks
// that its /dev/shm files went (t.Error if not; they are removed). It
// skips the test when not root: the server chowns per-connection files.
func Start(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.Name == "" {
		cfg.Name = shmtest.Name("gscmapc")
	}
	if cfg.Store == nil {
		cfg.Store = cmap.NewStore()
	}
	if cfg.Stats == nil {
		cfg.Stats = cmap.NewStore()
	}
	svc := cmap.NewService(cfg.Store)
	svc.Stats = cfg.Stats
	s := shmtest.Start(t, shm.Config{Services: []shm.Service{{Name: cfg.Name, Handler: svc}}, Mode: cfg.Mode, Ready: cfg.Ready})
	return &Server{Server: s, Name: cfg.Name, Service: svc}
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
