// Package cpgtest serves cpg engines over real IPC for tests: a
// servicetest bus of nodes, each with a cpg engine and its own shm server,
// driven by one goroutine that polls the servers and steps the bus (the
// token loop's job in the daemon). Test packages (the engine's, the
// client's, gorosync-cpgtool's) share it.
package cpgtest

import (
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorosync/gorosync/services/cpg"
	"github.com/gorosync/gorosync/services/servicetest"
	"github.com/gorosync/gorosync/shm"
	"github.com/gorosync/gorosync/shm/shmtest"
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

// Cluster is the running cluster. Its embedded shmtest.Server is the
// loop: Do runs a function there.
type Cluster struct {
	*shmtest.Server
	Bus     *servicetest.Bus
	Engines map[uint32]*cpg.Engine
	names   map[uint32]string
	loop    *loopRing
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
	c := &Cluster{Bus: servicetest.New(), Engines: map[uint32]*cpg.Engine{}, names: map[uint32]string{}}
	if opts.Loopback {
		opts.Nodes = opts.Nodes[:1]
	}
	var cfgs []shm.Config
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
		cfgs = append(cfgs, shm.Config{Services: services, Mode: opts.Mode})
	}
	if c.loop != nil {
		c.loop.form()
	} else {
		c.Bus.Form(opts.Nodes...)
		c.Bus.Run(1000, 10)
	}
	c.Server = shmtest.StartWith(t, shmtest.Options{Step: c.step}, cfgs...)
	return c
}

// Name is node's cpg socket name.
func (c *Cluster) Name(node uint32) string { return c.names[node] }

// Hold stops (true) or resumes delivering exec messages: requests are
// still served, their messages wait.
func (c *Cluster) Hold(on bool) { c.hold.Store(on) }

// step delivers exec messages on the loop, 1 ms of bus time a pass
// (none while held).
func (c *Cluster) step(int64) int {
	switch {
	case c.hold.Load():
		return 0
	case c.loop != nil:
		return c.loop.step()
	}
	return c.Bus.Step(1_000_000)
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
