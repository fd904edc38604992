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
	"github.com/gorosync/gorosync/shm/shmtest"
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

// Cluster is the running test cluster. Its embedded shmtest.Server is the
// server loop: Do runs a function there.
type Cluster struct {
	*shmtest.Server
	Bus   *servicetest.Bus
	Nodes map[uint32]*Node
	Local *Node
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
	c := &Cluster{Bus: servicetest.New(), Nodes: map[uint32]*Node{}}
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

// serve serves the local node's cmap and cfg; the server loop steps the
// bus on the real clock.
func (c *Cluster) serve(t testing.TB, opt Options) {
	step := func(elapsedNs int64) int { return c.Bus.Step(elapsedNs) }
	c.Server = shmtest.StartWith(t, shmtest.Options{Step: step}, shm.Config{
		Services: []shm.Service{
			{Name: opt.CmapName, Handler: cmap.NewService(c.Local.Store)},
			{Name: opt.CfgName, Handler: c.Local.Engine},
		},
		Mode: opt.Mode,
	})
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
