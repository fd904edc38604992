package votequorum

import (
	"fmt"
	"slices"
	"testing"

	"github.com/gorosync/gorosync/services"
	"github.com/gorosync/gorosync/services/cmap"
	"github.com/gorosync/gorosync/services/quorum"
	"github.com/gorosync/gorosync/services/servicetest"
)

// tnode is one node of a test cluster: its cmap store, its quorum and
// votequorum engines on a servicetest bus.
type tnode struct {
	id    uint32
	store *cmap.Store
	vq    *Engine
	q     *quorum.Engine
	bn    *servicetest.Node
	dir   string
}

// cluster runs nodes on one bus. Every node has the same nodelist (ids)
// unless a test gives its own keys.
type cluster struct {
	t     *testing.T
	bus   *servicetest.Bus
	ids   []uint32
	nodes map[uint32]*tnode
	keys  map[string]cmap.Value // quorum.* keys for every node
}

func newCluster(t *testing.T, ids []uint32, keys map[string]cmap.Value) *cluster {
	t.Helper()
	c := &cluster{t: t, bus: servicetest.New(), ids: ids, nodes: map[uint32]*tnode{}, keys: keys}
	if testing.Verbose() {
		c.bus.Trace = func(f string, a ...any) { t.Logf(f, a...) }
	}
	return c
}

// confStore is a store as coroparse loads it for node self: the nodelist
// (names n<id>), quorum.provider, local_node_pos and the extra keys.
func confStore(ids []uint32, self uint32, keys map[string]cmap.Value) *cmap.Store {
	s := cmap.NewStore()
	for i, id := range ids {
		p := fmt.Sprintf("nodelist.node.%d.", i)
		s.Set(p+"nodeid", cmap.Int(cmap.U32, uint64(id)))
		s.Set(p+"name", cmap.Str(fmt.Sprintf("n%d", id)))
		s.Set(p+"ring0_addr", cmap.Str(fmt.Sprintf("198.18.1.%d", id)))
		if id == self {
			s.Set("nodelist.local_node_pos", cmap.Int(cmap.U32, uint64(i)))
		}
	}
	s.Set("quorum.provider", cmap.Str(quorum.ProviderVotequorum))
	for k, v := range keys {
		s.Set(k, v)
	}
	return s
}

func u8(v uint8) cmap.Value   { return cmap.Int(cmap.U8, uint64(v)) }
func u32(v uint32) cmap.Value { return cmap.Int(cmap.U32, uint64(v)) }

// start boots node id (again, for a restart) with the cluster's nodelist
// and keys, keeping the node's state directory across restarts.
func (c *cluster) start(id uint32) *tnode {
	c.t.Helper()
	return c.startWith(id, c.ids, c.keys)
}

func (c *cluster) startWith(id uint32, ids []uint32, keys map[string]cmap.Value) *tnode {
	c.t.Helper()
	dir := c.t.TempDir()
	if old := c.nodes[id]; old != nil {
		dir = old.dir
		old.vq.Close()
	}
	n := &tnode{id: id, store: confStore(ids, id, keys), dir: dir}
	var err error
	if n.q, err = quorum.New(quorum.Config{Provider: quorum.ProviderVotequorum}); err != nil {
		c.t.Fatal(err)
	}
	if n.vq, err = New(Config{NodeID: id, Store: n.store, StateDir: dir, Quorum: n.q}); err != nil {
		c.t.Fatalf("node %d: %v", id, err)
	}
	if n.bn, err = c.bus.Add(id, n.q, n.vq); err != nil {
		c.t.Fatal(err)
	}
	n.vq.SetHost(n.bn.Host)
	c.nodes[id] = n
	return n
}

// boot starts every node of the nodelist.
func (c *cluster) boot() {
	for _, id := range c.ids {
		c.start(id)
	}
}

// form installs a configuration of ids and runs the bus until it is quiet
// (sync done everywhere).
func (c *cluster) form(ids ...uint32) {
	c.t.Helper()
	c.bus.Form(ids...)
	c.run()
}

func (c *cluster) run() {
	c.t.Helper()
	if steps := c.bus.Run(20000, 50); steps >= 20000 {
		c.t.Fatal("bus never went quiet")
	}
	for _, n := range c.nodes {
		if n.vq.syncing && c.up(n.id) {
			c.t.Fatalf("node %d still in sync", n.id)
		}
	}
}

// advance lets ms milliseconds pass (timers), delivering what is sent.
func (c *cluster) advance(ms int) {
	for range ms {
		c.bus.Step(1_000_000)
	}
	c.run()
}

func (c *cluster) crash(id uint32) { c.bus.Crash(id) }

func (c *cluster) up(id uint32) bool {
	n := c.nodes[id]
	return n != nil && c.bus.Node(id) == n.bn && n.bn.Up()
}

// expect is the oracle: every listed node's verdict (and the quorum
// service's, which votequorum feeds) is as given; then the cluster-wide
// invariants hold.
func (c *cluster) expect(want map[uint32]bool) {
	c.t.Helper()
	for id, q := range want {
		n := c.nodes[id]
		if n.vq.Quorate() != q {
			c.t.Errorf("node %d: votequorum quorate %v, want %v (quorum %d, expected %d, %s)", id, n.vq.Quorate(), q, n.vq.Quorum(), n.vq.ExpectedVotes(), c.describe(n))
		}
		if n.q.Quorate() != q {
			c.t.Errorf("node %d: quorum service quorate %v, want %v", id, n.q.Quorate(), q)
		}
	}
	c.invariants()
}

func (c *cluster) describe(n *tnode) string {
	s := ""
	for _, m := range n.vq.nodes {
		s += fmt.Sprintf("[%d st%d v%d e%d f%#x]", m.id, m.state, m.votes, m.expected, m.flags)
	}
	return s
}

// invariants: the quorum service reports the members and ring of the
// last sync; members of one configuration agree on the verdict and the
// quorum; unless two_node is on, no two disjoint configurations are both
// quorate.
func (c *cluster) invariants() {
	c.t.Helper()
	byRing := map[services.RingID][]*tnode{}
	for _, n := range c.nodes {
		if !c.up(n.id) {
			continue
		}
		view, ring := n.q.View()
		if ring != n.vq.ring || !slices.Equal(view, n.vq.members) {
			c.t.Errorf("node %d: quorum service view %v ring %v, votequorum %v ring %v", n.id, view, ring, n.vq.members, n.vq.ring)
		}
		byRing[ring] = append(byRing[ring], n)
	}
	quorateRings := 0
	for ring, ns := range byRing {
		for _, n := range ns[1:] {
			if n.vq.Quorate() != ns[0].vq.Quorate() || n.vq.Quorum() != ns[0].vq.Quorum() {
				c.t.Errorf("ring %v: node %d quorate %v quorum %d, node %d quorate %v quorum %d", ring,
					n.id, n.vq.Quorate(), n.vq.Quorum(), ns[0].id, ns[0].vq.Quorate(), ns[0].vq.Quorum())
			}
		}
		if ns[0].vq.Quorate() {
			quorateRings++
		}
	}
	if quorateRings > 1 && !c.anyTwoNode() {
		c.t.Errorf("%d disjoint configurations are quorate", quorateRings)
	}
}

func (c *cluster) anyTwoNode() bool {
	for _, n := range c.nodes {
		if n.vq.twoNode {
			return true
		}
	}
	return false
}

func allOf(q bool, ids ...uint32) map[uint32]bool {
	m := map[uint32]bool{}
	for _, id := range ids {
		m[id] = q
	}
	return m
}

func merge(ms ...map[uint32]bool) map[uint32]bool {
	out := map[uint32]bool{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}
