// Package cfgtest owns a test cluster for the cfg service: the cfg
// engines of a few nodes on a servicetest bus, and an in-process shm
// server that serves one node's cmap and cfg, so that clients (the Go
// cfgclient, Debian's corosync-cfgtool, gorosync-cfgtool) talk to it as to
// a daemon. The daemon's facts are fake but consistent: every node is
// loaded from the same corosync.conf, is a member and is "joined" in cmap,
// and the hooks record what they were asked.
//
// Goroutines: one, the server loop, which polls the shm server and steps
// the bus on the real clock; everything that touches the engines or the
// stores runs there (Do).
package cfgtest

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorosync/gorosync/services/cfg"
	"github.com/gorosync/gorosync/services/cmap"
	"github.com/gorosync/gorosync/services/cmap/coroparse"
	"github.com/gorosync/gorosync/services/servicetest"
	"github.com/gorosync/gorosync/shm"
	"golang.org/x/sys/unix"
)

// Conf is the default cluster: three udpu nodes, as in the recorded
// corosync 3.1.7 cluster of shared/data/corosync-3.1.7-udpu.
const Conf = `totem {
 version: 2
 cluster_name: gs
 transport: udpu
 crypto_cipher: none
 crypto_hash: none
 token: 1000
}
logging {
 to_stderr: no
 timestamp: hires
}
quorum {
 provider: corosync_votequorum
}
nodelist {
 node {
  nodeid: 1
  name: n1
  ring0_addr: 198.18.1.1
 }
 node {
  nodeid: 2
  name: n2
  ring0_addr: 198.18.1.2
 }
 node {
  nodeid: 3
  name: n3
  ring0_addr: 198.18.1.3
 }
}
`

// Options configure Start.
type Options struct {
	Conf     string   // corosync.conf of every node (default Conf)
	Local    uint32   // the node whose services are served (default 1)
	CfgName  string   // socket names (default "cfg" and "cmap": only in a
	CmapName string   // private network namespace)
	Mode     shm.Mode // the IPC transport
}

// Node is one cluster node and what its hooks saw.
type Node struct {
	ID     uint32
	Engine *cfg.Engine
	Store  *cmap.Store
	Conf   string // the path of its corosync.conf (Reload reads it)

	log       bytes.Buffer
	shutdowns int
	kills     []string
	reloads   []cfg.Error
}

// Cluster is the running test cluster.
type Cluster struct {
	Bus   *servicetest.Bus
	Nodes map[uint32]*Node
	Local *Node
	srv   *shm.Server

	fns  chan func()
	stop chan struct{}
	done chan struct{}
}

// Start builds the cluster, forms one ring of every node, and serves the
// local node's cmap and cfg until the test ends. It skips when not root
// (the shm server chowns its files).
func Start(t testing.TB, opt Options) *Cluster {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (the shm server chowns per-connection files)")
	}
	opt = withDefaults(opt)
	c := &Cluster{Bus: servicetest.New(), Nodes: map[uint32]*Node{}, fns: make(chan func()),
		stop: make(chan struct{}), done: make(chan struct{})}
	dir := t.TempDir()
	parsed, err := coroparse.Parse("corosync.conf", strings.NewReader(opt.Conf))
	if err != nil {
		t.Fatal(err)
	}
	var ids []uint32
	for i, pn := range parsed.Nodes {
		n, err := c.addNode(dir, opt.Conf, i, pn.NodeID)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, n.ID)
	}
	c.Local = c.Nodes[opt.Local]
	if c.Local == nil {
		t.Fatalf("cfgtest: node %d is not in the nodelist", opt.Local)
	}
	c.Bus.Form(ids...)
	c.Bus.Run(10_000, 5)
	for _, n := range c.Nodes {
		for _, id := range ids {
			markJoined(n.Store, id)
		}
	}
	c.serve(t, opt)
	return c
}

func withDefaults(opt Options) Options {
	if opt.Conf == "" {
		opt.Conf = Conf
	}
	if opt.Local == 0 {
		opt.Local = 1
	}
	if opt.CfgName == "" {
		opt.CfgName = "cfg"
	}
	if opt.CmapName == "" {
		opt.CmapName = "cmap"
	}
	return opt
}

// addNode loads node index's store from conf (written to its own file,
// which its Reload re-reads) and puts its engine on the bus.
func (c *Cluster) addNode(dir, conf string, index int, id uint32) (*Node, error) {
	n := &Node{ID: id, Store: cmap.NewStore(), Conf: filepath.Join(dir, fmt.Sprintf("node%d.conf", id))}
	if err := os.WriteFile(n.Conf, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	load := func() (*coroparse.Config, error) {
		pc, err := coroparse.Load(n.Conf)
		if err != nil {
			return nil, err
		}
		return pc, pc.SetLocal(index)
	}
	pc, err := load()
	if err != nil {
		return nil, err
	}
	if err := n.Store.Load(pc.Keys); err != nil {
		return nil, err
	}
	nodes := cfg.NodesFromConf(pc)
	log := slog.New(slog.NewTextHandler(&n.log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	n.Engine = cfg.NewEngine(cfg.Config{
		NodeID:   id,
		Nodes:    func() []cfg.Node { return nodes },
		MTU:      pc.Totem.NetMTU,
		Shutdown: func() { n.shutdowns++ },
		Kill:     func(reason string) { n.kills = append(n.kills, reason) },
		Reload: func() cfg.Error {
			res := cfg.ApplyReload(n.Store, func() (map[string]coroparse.Value, error) {
				pc, err := load()
				if err != nil {
					return nil, err
				}
				nodes = cfg.NodesFromConf(pc)
				return pc.Keys, nil
			}, cfg.ReloadOptions{Log: log})
			n.reloads = append(n.reloads, res.Status)
			return res.Status
		},
		Store: n.Store,
		Log:   log,
	})
	bn, err := c.Bus.Add(id, n.Engine)
	if err != nil {
		return nil, err
	}
	n.Engine.SetHost(bn.Host)
	c.Nodes[id] = n
	return n, nil
}

// markJoined sets the runtime.members keys the daemon keeps (§7.2).
func markJoined(s *cmap.Store, id uint32) {
	p := fmt.Sprintf("runtime.members.%d.", id)
	s.Set(p+"status", cmap.Str("joined"))
	s.Set(p+"join_count", cmap.Int(cmap.U32, 1))
	s.Set(p+"config_version", cmap.Int(cmap.U64, 0))
}

func (c *Cluster) serve(t testing.TB, opt Options) {
	srv, err := shm.New(shm.Config{
		Services: []shm.Service{
			{Name: opt.CmapName, Handler: cmap.NewService(c.Local.Store)},
			{Name: opt.CfgName, Handler: c.Local.Engine},
		},
		Mode: opt.Mode,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	c.srv = srv
	go c.loop()
	t.Cleanup(func() {
		close(c.stop)
		<-c.done
		_ = srv.Close()
		waitNoShm(t, 5*time.Second)
	})
}

// loop polls the server and steps the bus on the real clock.
func (c *Cluster) loop() {
	defer close(c.done)
	fds := []unix.PollFd{{Fd: int32(c.srv.Fd()), Events: unix.POLLIN}}
	ts := unix.NsecToTimespec(int64(time.Millisecond))
	last := time.Now()
	for {
		select {
		case <-c.stop:
			return
		case f := <-c.fns:
			f()
			continue
		default:
		}
		work := c.srv.Poll()
		now := time.Now()
		work += c.Bus.Step(int64(now.Sub(last)))
		last = now
		if work > 0 {
			continue
		}
		_, _ = unix.Ppoll(fds, &ts, nil)
	}
}

// Do runs f on the server loop's goroutine and waits for it (bounded).
func (c *Cluster) Do(t testing.TB, f func()) {
	t.Helper()
	ch := make(chan struct{})
	select {
	case c.fns <- func() { f(); close(ch) }:
	case <-time.After(5 * time.Second):
		t.Fatal("cfgtest: server loop stuck")
	}
	<-ch
}

// Hooks is what a node's hooks saw.
type Hooks struct {
	Shutdowns int
	Kills     []string
	Reloads   []cfg.Error
	Log       string
}

// Hooks returns what node id's hooks saw so far.
func (c *Cluster) Hooks(t testing.TB, id uint32) Hooks {
	var h Hooks
	c.Do(t, func() {
		n := c.Nodes[id]
		h = Hooks{Shutdowns: n.shutdowns, Kills: append([]string(nil), n.kills...),
			Reloads: append([]cfg.Error(nil), n.reloads...), Log: n.log.String()}
	})
	return h
}

// WaitHooks polls node id's hooks until ok accepts them or 5 s pass.
func (c *Cluster) WaitHooks(t testing.TB, id uint32, ok func(Hooks) bool) Hooks {
	t.Helper()
	end := time.Now().Add(5 * time.Second)
	for {
		h := c.Hooks(t, id)
		if ok(h) || time.Now().After(end) {
			return h
		}
		time.Sleep(5 * time.Millisecond)
	}
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
