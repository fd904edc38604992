// Package cpgtest serves cpg engines over real IPC for tests: a
// servicetest bus of nodes, each with a cpg engine and its own shm server,
// driven by one goroutine that polls the servers and steps the bus (the
// token loop's job in the daemon). Test packages (the engine's, the
// client's, gorosync-cpgtool's) share it.
package cpgtest

import (
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorosync/gorosync/services/cpg"
	"github.com/gorosync/gorosync/services/servicetest"
	"github.com/gorosync/gorosync/shm"
	"golang.org/x/sys/unix"
)

// Options configure Start.
type Options struct {
	// Nodes are the node ids (default 1).
	Nodes []uint32
	// Name gives node's cpg socket name; default "cpgt-<pid>-<node>" (a
	// private name: never serve "cpg" outside a private network
	// namespace).
	Name func(node uint32) string
	// Extra are more services node's server serves (a fake cfg for
	// corosync-cpgtool).
	Extra func(node uint32) []shm.Service
	// Config is every engine's.
	Config cpg.Config
	// Mode is the IPC transport (default SHM).
	Mode shm.Mode
	// Loopback runs one node (the first of Nodes) without the bus: its
	// exec messages go round through a reused buffer pool, so the server
	// side allocates nothing per message (for allocation tests).
	Loopback bool
}

// Cluster is the running cluster.
type Cluster struct {
	Bus     *servicetest.Bus
	Engines map[uint32]*cpg.Engine
	servers map[uint32]*shm.Server
	names   map[uint32]string
	order   []uint32
	loop    *loopRing
	fns     chan func()
	stop    chan struct{}
	done    chan struct{}
	hold    atomic.Bool
}

// Start builds and starts the cluster (skipping t when not root: the shm
// server chowns each connection's files) and stops it at t's cleanup,
// failing t if files are left in /dev/shm.
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (the shm server chowns per-connection files)")
	}
	if len(opts.Nodes) == 0 {
		opts.Nodes = []uint32{1}
	}
	if opts.Name == nil {
		opts.Name = func(n uint32) string { return fmt.Sprintf("cpgt-%d-%d", os.Getpid(), n) }
	}
	c := &Cluster{Bus: servicetest.New(), Engines: map[uint32]*cpg.Engine{}, servers: map[uint32]*shm.Server{},
		names: map[uint32]string{}, order: opts.Nodes, fns: make(chan func()), stop: make(chan struct{}), done: make(chan struct{})}
	if opts.Loopback {
		opts.Nodes = opts.Nodes[:1]
		c.order = opts.Nodes
	}
	for _, id := range opts.Nodes {
		e := cpg.New(opts.Config)
		if opts.Loopback {
			c.loop = newLoopRing(t, id, e)
		} else {
			n, err := c.Bus.Add(id, e)
			if err != nil {
				t.Fatal(err)
			}
			e.SetHost(n.Host)
		}
		c.Engines[id] = e
		c.names[id] = opts.Name(id)
		services := []shm.Service{{Name: c.names[id], Handler: e}}
		if opts.Extra != nil {
			services = append(services, opts.Extra(id)...)
		}
		srv, err := shm.New(shm.Config{Services: services, Mode: opts.Mode})
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Start(); err != nil {
			t.Fatal(err)
		}
		c.servers[id] = srv
	}
	if c.loop != nil {
		c.loop.form()
	} else {
		c.Bus.Form(opts.Nodes...)
		c.Bus.Run(1000, 10)
	}
	go c.run()
	t.Cleanup(func() {
		close(c.stop)
		<-c.done
		for _, srv := range c.servers {
			_ = srv.Close()
		}
		WaitNoShm(t, 5*time.Second)
	})
	return c
}

// Name is node's cpg socket name.
func (c *Cluster) Name(node uint32) string { return c.names[node] }

// Hold stops (true) or resumes delivering exec messages: requests are
// still served, their messages wait.
func (c *Cluster) Hold(on bool) { c.hold.Store(on) }

func (c *Cluster) run() {
	defer close(c.done)
	fds := make([]unix.PollFd, 0, len(c.servers))
	for _, id := range c.order {
		fds = append(fds, unix.PollFd{Fd: int32(c.servers[id].Fd()), Events: unix.POLLIN})
	}
	ts := unix.NsecToTimespec(int64(time.Millisecond))
	for {
		select {
		case <-c.stop:
			return
		case f := <-c.fns:
			f()
			continue
		default:
		}
		work := 0
		for _, id := range c.order {
			work += c.servers[id].Poll()
		}
		switch {
		case c.hold.Load():
		case c.loop != nil:
			work += c.loop.step()
		default:
			work += c.Bus.Step(1_000_000)
		}
		if work == 0 {
			_, _ = unix.Ppoll(fds, &ts, nil)
		}
	}
}

// Do runs f on the loop's goroutine (the engines' owner) and waits.
func (c *Cluster) Do(t testing.TB, f func()) {
	t.Helper()
	ch := make(chan struct{})
	select {
	case c.fns <- func() { f(); close(ch) }:
	case <-time.After(10 * time.Second):
		t.Fatal("cpgtest: loop stuck")
	}
	<-ch
}

// Form installs a configuration of ids (on the loop).
func (c *Cluster) Form(t testing.TB, ids ...uint32) {
	c.Do(t, func() {
		if c.loop != nil {
			c.loop.form()
			return
		}
		c.Bus.Form(ids...)
	})
}

// Until polls cond on the loop every millisecond until it holds or d
// passes; it reports whether it held.
func (c *Cluster) Until(t testing.TB, d time.Duration, cond func() bool) bool {
	t.Helper()
	end := time.Now().Add(d)
	for {
		var ok bool
		c.Do(t, func() { ok = cond() })
		if ok {
			return true
		}
		if time.Now().After(end) {
			return false
		}
		time.Sleep(time.Millisecond)
	}
}

// WaitNoShm waits for this process's /dev/shm/qb-<pid>-* directories to
// go, removes leftovers and fails t if there were any.
func WaitNoShm(t testing.TB, d time.Duration) {
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
