package loop

import (
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gorosync/gorosync/dataplane/totem"
	"github.com/gorosync/gorosync/dataplane/transport/udp"
)

// cluster is n loops on 127.0.0.1..n, on real UDP sockets, forming their
// ring through the membership protocol.
type cluster struct {
	loops  []*Loop
	mu     sync.Mutex
	got    [][]string // per node, delivered payloads in order
	formed []bool     // a REG with every node was installed
	cancel context.CancelFunc
	done   sync.WaitGroup
	errs   []error
}

func startCluster(t *testing.T, n int, port uint16) *cluster {
	t.Helper()
	return startClusterIdle(t, n, port, IdleHybrid)
}

func startClusterIdle(t *testing.T, n int, port uint16, idle Idle) *cluster {
	t.Helper()
	return startClusterWith(t, n, port, func(_ int, cfg *Config) { cfg.Idle = idle })
}

// loopBinder is a test Poller that needs its loop and cluster before the
// loops run.
type loopBinder interface{ bind(*Loop, *cluster) }

// startClusterWith lets a test change each node's Config (index i) before
// its loop is built.
func startClusterWith(t *testing.T, n int, port uint16, mutate func(i int, cfg *Config)) *cluster {
	t.Helper()
	peers := map[uint32]netip.AddrPort{}
	for i := range n {
		peers[uint32(i+1)] = netip.AddrPortFrom(netip.AddrFrom4([4]byte{127, 0, 0, byte(i + 1)}), port)
	}
	p := totem.DefaultTimerParams(n)
	p.TokenMs = 300
	c := &cluster{got: make([][]string, n), errs: make([]error, n), formed: make([]bool, n)}
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	for i := range n {
		id := uint32(i + 1)
		tr, err := udp.New(udp.Config{Local: peers[id], Peers: peers, LocalNodeID: id})
		if err != nil {
			cancel()
			t.Fatalf("UDP on 127.0.0.%d: %v", id, err)
		}
		cfg := Config{
			Totem:     totem.Config{NodeID: id, Timers: totem.TimersFor(p), SortQueueSize: 1024},
			Transport: tr,
			CPU:       -1,
			Idle:      IdleHybrid,
			Deliver: func(sender uint32, payload []byte) {
				c.mu.Lock()
				c.got[i] = append(c.got[i], string(payload))
				c.mu.Unlock()
			},
			Conf: func(cc totem.ConfChange) {
				c.mu.Lock()
				c.formed[i] = cc.Kind == totem.Regular && len(cc.Members) == n
				c.mu.Unlock()
			},
		}
		mutate(i, &cfg)
		l, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range cfg.Pollers {
			if b, ok := p.(loopBinder); ok {
				b.bind(l, c)
			}
		}
		c.loops = append(c.loops, l)
	}
	for i, l := range c.loops {
		c.done.Go(func() { c.errs[i] = l.Run(ctx) })
	}
	t.Cleanup(c.stop)
	return c
}

func (c *cluster) stop() {
	c.cancel()
	c.done.Wait()
	for _, l := range c.loops {
		_ = l.tr.Close()
	}
}

// waitFormed waits until every node installed a ring of all of them:
// messages sent before that are ordered in smaller rings and, by EVS,
// delivered only there.
func (c *cluster) waitFormed(t *testing.T) {
	t.Helper()
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		c.mu.Lock()
		all := !slices.Contains(c.formed, false)
		c.mu.Unlock()
		if all {
			return
		}
		if time.Now().After(end) {
			t.Fatal("the nodes did not form one ring")
		}
	}
}

func (c *cluster) delivered() [][]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([][]string, len(c.got))
	for i, g := range c.got {
		out[i] = slices.Clone(g)
	}
	return out
}

// TestLoopsOrderOverUDP: three token loops on real sockets form a ring and
// deliver every submitted message everywhere in the same order.
func TestLoopsOrderOverUDP(t *testing.T) {
	c := startCluster(t, 3, 25405)
	c.waitFormed(t)
	const per = 200
	var wg sync.WaitGroup
	for i, l := range c.loops {
		wg.Go(func() {
			for k := 0; k < per; {
				msg := []byte(fmt.Sprintf("n%d-%04d", i+1, k))
				if err := l.Submit(msg, k%10 == 0); err == nil {
					k++
				} else {
					time.Sleep(time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := c.delivered()
		if len(got[0]) == 3*per && len(got[1]) == 3*per && len(got[2]) == 3*per {
			if !slices.Equal(got[0], got[1]) || !slices.Equal(got[0], got[2]) {
				t.Fatal("nodes delivered different orders")
			}
			// each sender's messages in its order
			next := map[byte]int{}
			for _, m := range got[0] {
				want := fmt.Sprintf("n%c-%04d", m[1], next[m[1]])
				if m != want {
					t.Fatalf("delivered %q, want %q (sender FIFO)", m, want)
				}
				next[m[1]]++
			}
			return
		}
		if time.Now().After(deadline) {
			c.stop()
			for i, l := range c.loops {
				n := l.Node()
				t.Logf("node %d: %s ring %s members %v stats %+v loop %+v err %v", i+1, n.State(), n.RingID(), n.Members(), n.Stats(), l.Stats(), c.errs[i])
			}
			t.Fatalf("delivered %d/%d/%d of %d", len(got[0]), len(got[1]), len(got[2]), 3*per)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A sleeping loop (IdleBlock) is woken by Submit through its eventfd, not
// left to its next timer or the 1 ms sleep bound.
func TestSubmitWakesSleepingLoop(t *testing.T) {
	c := startClusterIdle(t, 3, 25435, IdleBlock)
	c.waitFormed(t)
	l := c.loops[0]
	const n = 50
	for i := range n {
		for end := time.Now().Add(2 * time.Second); !l.sleeping.Load() && time.Now().Before(end); {
			time.Sleep(50 * time.Microsecond)
		}
		if err := l.Submit([]byte(fmt.Sprint(i)), false); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond)
	}
	for end := time.Now().Add(5 * time.Second); len(c.delivered()[2]) < n && time.Now().Before(end); {
		time.Sleep(10 * time.Millisecond)
	}
	if got := len(c.delivered()[2]); got != n {
		t.Fatalf("node 3 delivered %d of %d", got, n)
	}
	if w := l.Wakeups(); w == 0 {
		t.Fatal("no submission woke the sleeping loop through its waker")
	}
}
