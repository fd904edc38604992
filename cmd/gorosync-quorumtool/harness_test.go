package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/gorosync/gorosync/services/cmap"
	"github.com/gorosync/gorosync/services/cmap/coroparse"
	"github.com/gorosync/gorosync/services/quorum"
	"github.com/gorosync/gorosync/services/servicetest"
	"github.com/gorosync/gorosync/services/votequorum"
	"github.com/gorosync/gorosync/shm"
	"github.com/gorosync/gorosync/shm/shmtest"
	"golang.org/x/sys/unix"
)

// testConf is the cluster of the side-by-side tests: node 3 has no name
// (both tools then name it by its address).
const testConf = `totem {
 version: 2
 cluster_name: gs
 transport: udpu
 crypto_cipher: none
 crypto_hash: none
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
  ring0_addr: 198.18.1.3
 }
}
`

// tnode is one node of the test cluster.
type tnode struct {
	store *cmap.Store
	q     *quorum.Engine
	vq    *votequorum.Engine
}

// server runs a three-node cluster on a servicetest bus and serves node
// 1's cmap, quorum and votequorum, and a cfg stub, under their real
// socket names: only inside a private network namespace. Its goroutine
// polls the server and steps the bus on the real clock; everything
// touching the engines runs there (Do).
type server struct {
	*shmtest.Server
	bus   *servicetest.Bus
	nodes map[uint32]*tnode
}

func startServer(t *testing.T, confText string) *server {
	t.Helper()
	dir := t.TempDir()
	conf := filepath.Join(dir, "corosync.conf")
	if err := os.WriteFile(conf, []byte(confText), 0o644); err != nil {
		t.Fatal(err)
	}
	s := &server{bus: servicetest.New(), nodes: map[uint32]*tnode{}}
	for i, id := range []uint32{1, 2, 3} {
		cfg, err := coroparse.Load(conf)
		if err != nil {
			t.Fatal(err)
		}
		if err := cfg.SetLocal(i); err != nil {
			t.Fatal(err)
		}
		n := &tnode{store: cmap.NewStore()}
		if err := n.store.Load(cfg.Keys); err != nil {
			t.Fatal(err)
		}
		if n.q, err = quorum.New(quorum.Config{Provider: cfg.Quorum.Provider}); err != nil {
			t.Fatal(err)
		}
		if cfg.Quorum.Provider == "" { // no provider: no votequorum
			if _, err := s.bus.Add(id, n.q); err != nil {
				t.Fatal(err)
			}
			s.nodes[id] = n
			continue
		}
		vcfg := votequorum.Config{NodeID: id, Store: n.store, StateDir: filepath.Join(dir, fmt.Sprint(id)), Quorum: n.q}
		os.Mkdir(vcfg.StateDir, 0o700)
		if n.vq, err = votequorum.New(vcfg); err != nil {
			t.Fatal(err)
		}
		bn, err := s.bus.Add(id, n.q, n.vq)
		if err != nil {
			t.Fatal(err)
		}
		n.vq.SetHost(bn.Host)
		s.nodes[id] = n
	}
	s.bus.Form(1, 2, 3)
	s.bus.Run(10000, 50)
	n1 := s.nodes[1]
	svcs := []shm.Service{
		{Name: "cmap", Handler: cmap.NewService(n1.store)},
		{Name: "quorum", Handler: n1.q},
		{Name: "cfg", Handler: cfgStub{}},
	}
	if n1.vq != nil {
		svcs = append(svcs, shm.Service{Name: "votequorum", Handler: n1.vq})
	}
	// The bus's clock follows the real one (the server's fd may stay
	// readable, and a fixed step per pass would race ahead).
	step := func(elapsedNs int64) int { s.bus.Step(elapsedNs); return 0 }
	s.Server = shmtest.StartWith(t, shmtest.Options{Step: step}, shm.Config{Services: svcs})
	return s
}

// cfgStub answers the one cfg call the quorum tools make,
// GET_NODE_ADDRS (request 5, reply 11: family, count, 16-byte
// addresses), with ring0_addr 198.18.1.<nodeid>; anything else gets
// CS_ERR_INVALID_PARAM.
type cfgStub struct{}

func (cfgStub) Request(c *shm.Conn, req []byte) {
	le := nativeLE
	if len(req) == 24 && le.Uint32(req) == 5 {
		id := le.Uint32(req[16:])
		if id == 0 {
			id = 1
		}
		b := make([]byte, 48)
		le.PutUint32(b, 11)
		le.PutUint32(b[8:], 48)
		le.PutUint32(b[16:], 1)
		if id > 3 {
			le.PutUint32(b[8:], 32)
			le.PutUint32(b[16:], 12) // CS_ERR_NOT_EXIST
			_ = c.Respond(b[:32])
			return
		}
		le.PutUint32(b[24:], unix.AF_INET)
		le.PutUint32(b[28:], 1)
		copy(b[32:], []byte{198, 18, 1, byte(id)})
		_ = c.Respond(b)
		return
	}
	b := make([]byte, 24)
	le.PutUint32(b[8:], 24)
	le.PutUint32(b[16:], 7)
	_ = c.Respond(b)
}

func (cfgStub) Disconnected(*shm.Conn) {}
