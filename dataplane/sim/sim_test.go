package sim

import (
	"flag"
	"fmt"
	"reflect"
	"runtime"
	"sync"
	"testing"

	"github.com/gorosync/gorosync/dataplane/totem"
)

var (
	flagSeeds = flag.Int("sim.seeds", 1000, "number of seeds TestSeeds runs")
	flagSeed  = flag.Uint64("sim.seed", 1, "first seed of TestSeeds")
)

// TestSeeds is the simulation gate of `make test` on agreed rings: every
// seed must uphold the EVS invariants of a stable ring, safe delivery, L1
// and L5.
func TestSeeds(t *testing.T) {
	runSeedsParallel(t, *flagSeeds, func(seed uint64) Result {
		res := Run(StableScenario(seed))
		res.Replay = fmt.Sprintf("make sim SEED=%d SEEDS=1 FAULTS=-1", seed)
		return res
	})
}

// runSeedsParallel runs count seeds from -sim.seed on every core and fails
// the test with the first few failing runs, each with its replay line.
func runSeedsParallel(t *testing.T, count int, run func(seed uint64) Result) {
	seeds := make(chan uint64)
	var mu sync.Mutex
	var failed []string
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for seed := range seeds {
				if res := run(seed); !res.OK() {
					mu.Lock()
					failed = append(failed, res.String())
					mu.Unlock()
				}
			}
		})
	}
	for i := range count {
		seeds <- *flagSeed + uint64(i)
	}
	close(seeds)
	wg.Wait()
	for i, f := range failed {
		if i == 5 {
			t.Errorf("… and %d more failing seeds", len(failed)-i)
			break
		}
		t.Error(f)
	}
	t.Logf("%d seeds from %d: %d failed", count, *flagSeed, len(failed))
}

func TestReplayIsDeterministic(t *testing.T) {
	opt := StableScenario(12345)
	opt.MaxLoss = 0.2
	a, b := Run(opt), Run(opt)
	if !a.OK() {
		t.Fatal(a.String())
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("same seed, different runs:\n%+v\n%+v", a, b)
	}
	opt.Seed++
	if c := Run(opt); reflect.DeepEqual(a.Stats, c.Stats) {
		t.Fatal("different seeds gave identical runs: the seed is not used")
	}
}

func TestLossyRunsRetransmit(t *testing.T) {
	opt := StableScenario(7)
	opt.Nodes, opt.MaxLoss = 5, 0.2
	res := Run(opt)
	if !res.OK() {
		t.Fatal(res.String())
	}
	var retx uint64
	for _, s := range res.Stats {
		retx += s.McastRetx
	}
	if retx == 0 {
		t.Fatal("20% loss caused no retransmission: the faults are not applied")
	}
}

// TestSteadyStateZeroAllocs proves the whole stack — totempg packing and
// reassembly, the totem state machine, the wire codec and the simulated
// network — allocates nothing per message once warm.
func TestSteadyStateZeroAllocs(t *testing.T) {
	for _, size := range []int{64, 1024, 64 << 10} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			c := warmSaturatedRing(t, size)
			allocs := testing.AllocsPerRun(200, func() {
				c.Send(3)
				if err := c.Drain(); err != nil {
					t.Fatal(err)
				}
			})
			if allocs != 0 {
				t.Fatalf("%.2f allocations per 3 messages of %d B, want 0", allocs, size)
			}
		})
	}
}

// warmSaturatedRing is a 3-node ring on quiet links whose nodes send
// size-byte messages back to back, warmed until it allocates nothing.
func warmSaturatedRing(tb testing.TB, size int) *Cluster {
	tb.Helper()
	c, err := NewCluster(Options{Seed: 1, Nodes: 3, Links: quietLinks(3, 50_000, 50_000), FixedMessageBytes: size, SendGapNs: -1})
	if err != nil {
		tb.Fatal(err)
	}
	if err := c.Start(); err != nil {
		tb.Fatal(err)
	}
	if err := c.Warm(); err != nil {
		tb.Fatal(err)
	}
	return c
}

func TestMessageCorruptionIsDetected(t *testing.T) {
	for _, size := range []int{msgHeaderSize, 64, 5000} {
		b := make([]byte, size)
		id := msgID(2, 77)
		buildMessage(b, id, true)
		got, safe, err := parseMessage(b)
		if err != nil || got != id || !safe {
			t.Fatalf("size %d: clean message parsed as %#x %v %v", size, got, safe, err)
		}
		for _, i := range []int{9, size - 1} {
			bad := append([]byte(nil), b...)
			bad[i] ^= 0x40
			if _, _, err := parseMessage(bad); err == nil && i >= msgHeaderSize-4 {
				t.Errorf("size %d: flipped byte %d went unnoticed", size, i)
			}
		}
		if _, _, err := parseMessage(b[:size-1]); err == nil {
			t.Errorf("size %d: truncated message accepted", size)
		}
	}
}

// TestIdleRingAnswersWithinMilliseconds: with corosync's default timers an
// idle ring holds its token for the hold period (685 ms for 3 nodes); a
// message sent then — staged in the packing buffer, from the representative
// or another node — must cancel the hold and be delivered everywhere in a
// few rotations, not after the hold.
func TestIdleRingAnswersWithinMilliseconds(t *testing.T) {
	timers := totem.TimersFor(totem.DefaultTimerParams(3))
	c, err := NewCluster(Options{Seed: 3, Nodes: 3, Links: quietLinks(3, 50_000, 50_000), FixedMessageBytes: 64, SendGapNs: 1000, Timers: timers})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	for round := range 6 {
		c.Idle(5 * timers.HoldNs)
		start := c.Now()
		c.Send(1) // round-robin: node 1 (the representative), 2, 3, 1, …
		if err := c.Drain(); err != nil {
			t.Fatal(err)
		}
		if took := c.Now() - start; took > 5_000_000 {
			t.Fatalf("round %d: delivery on an idle ring took %.1f ms (hold is %d ms)", round, float64(took)/1e6, timers.HoldNs/1e6)
		}
	}
	if st := c.Stats(); st[0].TokenHoldReleases == 0 {
		t.Fatal("the ring never held its token: the test did not test the hold")
	}
}
