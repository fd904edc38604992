package fault

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/gorosync/gorosync/dataplane/transport"
)

const ms = int64(1_000_000)

func TestConfigRejected(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{LossPercent: -1}, "LossPercent -1 is outside [0, 100]"},
		{Config{LossPercent: 100.5}, "LossPercent 100.5 is outside [0, 100]"},
		{Config{DuplicatePercent: math.NaN()}, "DuplicatePercent NaN is outside [0, 100]"},
		{Config{ReorderPercent: 101}, "ReorderPercent 101 is outside [0, 100]"},
		{Config{DelayNs: -1}, "DelayNs -1 is negative"},
		{Config{DelayJitterNs: -5}, "DelayJitterNs -5 is negative"},
		{Config{ReorderHoldNs: -1}, "ReorderHoldNs -1 is negative"},
		{Config{DelayNs: math.MaxInt64}, "DelayNs 9223372036854775807 is over an hour"},
		{Config{Slots: -1}, "Slots -1 is outside"},
		{Config{Slots: maxSlots + 1}, "Slots 1048577 is outside"},
	} {
		var clock int64
		_, err := New(newFake(1, 0, &clock, 0), tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%+v) = %v, want an error with %q", tc.cfg, err, tc.want)
		}
	}
	if _, err := New(nil, Config{}); err == nil {
		t.Error("New(nil) took no inner transport")
	}
	var clock int64
	bad := newFake(1, 0, &clock, 0)
	bad.mtu = 0
	if _, err := New(bad, Config{}); err == nil {
		t.Error("New took an inner transport with MTU 0")
	}
}

func TestDefaultsAndEnabled(t *testing.T) {
	var clock int64
	st, err := New(newFake(1, 0, &clock, 0), Config{})
	if err != nil {
		t.Fatal(err)
	}
	if st.cfg.ReorderHoldNs != DefaultReorderHoldNs || len(st.sl.meta) != DefaultSlots || st.sl.size != 1500 {
		t.Errorf("defaults: hold %d, slots %d, slot size %d", st.cfg.ReorderHoldNs, len(st.sl.meta), st.sl.size)
	}
	for _, tc := range []struct {
		cfg  Config
		want bool
	}{
		{Config{}, false},
		{Config{Seed: 7, Slots: 10, ReorderHoldNs: ms}, false},
		{Config{LossPercent: 1}, true},
		{Config{DuplicatePercent: 1}, true},
		{Config{ReorderPercent: 1}, true},
		{Config{DelayNs: 1}, true},
		{Config{DelayJitterNs: 1}, true},
	} {
		if got := tc.cfg.Enabled(); got != tc.want {
			t.Errorf("%+v.Enabled() = %v", tc.cfg, got)
		}
	}
}

func TestLoss(t *testing.T) {
	const n = 10_000
	for _, pct := range []float64{0, 1, 10, 50, 99, 100} {
		r := newRig(t, Config{LossPercent: pct, Seed: 1}, n, 0, 0)
		r.run(64, 10_000)
		st := r.st.Stats()
		got := 100 * float64(st.Dropped) / n
		if math.Abs(got-pct) > 1.5 {
			t.Errorf("LossPercent %v: dropped %.2f%%", pct, got)
		}
		if len(r.out) != n-int(st.Dropped) || st.Passed != uint64(len(r.out)) {
			t.Errorf("LossPercent %v: %d handed up, stats %+v", pct, len(r.out), st)
		}
		for id, c := range r.counts() {
			if c != 1 {
				t.Fatalf("LossPercent %v: frame %d handed up %d times", pct, id, c)
			}
		}
	}
}

func TestDuplicate(t *testing.T) {
	const n = 2000
	// With jitter or reordering and no DelayNs the original is held and its
	// copy falls due as the original is handed up: it still waits for the
	// next Recv.
	for _, tc := range []struct {
		pct            float64
		delay, jitter  int64
		reorderPercent float64
	}{{100, 0, 0, 0}, {30, 0, 0, 0}, {100, ms, 0, 0}, {30, 2 * ms, 0, 0}, {100, 0, ms, 0}, {100, 0, 0, 50}} {
		cfg := Config{DuplicatePercent: tc.pct, DelayNs: tc.delay, DelayJitterNs: tc.jitter, ReorderPercent: tc.reorderPercent, Seed: 2}
		r := newRig(t, cfg, n, 4, 0)
		first := map[uint64]handed{}
		bytesOf := map[uint64][]byte{}
		twice := 0
		for !r.done() {
			got := r.recv(64)
			for i, h := range r.out[len(r.out)-len(got):] {
				f, ok := first[h.id]
				if !ok {
					first[h.id] = h
					bytesOf[h.id] = bytes.Clone(got[i].Data)
					continue
				}
				twice++
				if !bytes.Equal(got[i].Data, bytesOf[h.id]) {
					t.Fatalf("%+v: frame %d's copy differs", tc, h.id)
				}
				if h.recv <= f.recv || h.at < f.at+tc.delay {
					t.Fatalf("%+v: frame %d's copy at Recv %d (t=%d), the original at Recv %d (t=%d)",
						tc, h.id, h.recv, h.at, f.recv, f.at)
				}
			}
			r.st.Release(got)
			r.clock += 100_000
		}
		r.checkClean()
		st := r.st.Stats()
		if len(first) != n || uint64(twice) != st.Duplicated {
			t.Errorf("%+v: %d distinct frames, %d twice, stats %+v", tc, len(first), twice, st)
		}
		for id, c := range r.counts() {
			if c > 2 {
				t.Fatalf("%+v: frame %d handed up %d times", tc, id, c)
			}
		}
		if got := 100 * float64(twice) / n; math.Abs(got-tc.pct) > 4 {
			t.Errorf("%+v: %.1f%% duplicated", tc, got)
		}
	}
}

func TestDelay(t *testing.T) {
	const n, step = 3000, 70_000 // a step that does not divide the delays
	for _, tc := range []struct{ delay, jitter int64 }{
		{ms, 0}, {5 * ms, 0}, {ms, ms}, {0, 3 * ms},
	} {
		r := newRig(t, Config{DelayNs: tc.delay, DelayJitterNs: tc.jitter, Seed: 3}, n, 4, 0)
		r.run(1024, step)
		for _, h := range r.out {
			early := h.at - (r.fake.pulledAt[h.id] + tc.delay)
			if early < 0 || early >= tc.jitter+step {
				t.Fatalf("%+v: frame %d pulled at %d handed up at %d", tc, h.id, r.fake.pulledAt[h.id], h.at)
			}
			if tc.jitter == 0 && early >= step {
				t.Fatalf("%+v: frame %d handed up %d ns after it was due", tc, h.id, early)
			}
		}
		st := r.st.Stats()
		if len(r.out) != n || st.Delayed+st.Passed != n || tc.jitter == 0 && st.Delayed != n {
			t.Errorf("%+v: %d handed up, stats %+v", tc, len(r.out), st)
		}
	}
	// Exactly at the due time, and not one nanosecond before.
	r := newRig(t, Config{DelayNs: ms}, 1, 0, 0)
	for _, at := range []int64{0, ms - 1} {
		r.clock = at
		if got := r.recv(8); len(got) != 0 {
			t.Fatalf("frame handed up at %d, due at %d", at, ms)
		}
	}
	r.clock = ms
	r.st.Release(r.recv(8))
	if len(r.out) != 1 {
		t.Fatal("frame not handed up when due")
	}
	r.checkClean()
}

func TestReorder(t *testing.T) {
	const n, step = 5000, 50_000
	for _, tc := range []struct {
		pct           float64
		delay, jitter int64
		hold          int64
	}{
		{20, 0, 0, 0}, {50, 0, 0, ms}, {100, 0, 0, 0}, {20, ms, 0, 0}, {30, ms, ms / 2, 2 * ms},
	} {
		cfg := Config{ReorderPercent: tc.pct, DelayNs: tc.delay, DelayJitterNs: tc.jitter, ReorderHoldNs: tc.hold, Seed: 4}
		r := newRig(t, cfg, n, 3, 0)
		r.run(64, step)
		if len(r.out) != n {
			t.Errorf("%+v: %d frames handed up, want %d", tc, len(r.out), n)
		}
		for id, c := range r.counts() {
			if c != 1 || id < 1 || id > n {
				t.Fatalf("%+v: frame %d handed up %d times", tc, id, c)
			}
		}
		hold := r.st.cfg.ReorderHoldNs
		for _, h := range r.out {
			if late := h.at - r.fake.pulledAt[h.id]; late >= tc.delay+tc.jitter+hold+step {
				t.Fatalf("%+v: frame %d held %d ns", tc, h.id, late)
			}
		}
		st := r.st.Stats()
		if got := 100 * float64(st.Reordered) / n; math.Abs(got-tc.pct) > 3 {
			t.Errorf("%+v: %.1f%% reordered", tc, got)
		}
		if d := r.descents(); tc.pct < 100 && d == 0 {
			t.Errorf("%+v: nothing was reordered", tc)
		}
	}
}

// A reordered frame goes after the next frame, in a later Recv.
func TestReorderPassedByLater(t *testing.T) {
	r := newRig(t, Config{ReorderPercent: 100}, 2, 1, 0)
	r.st.Release(r.recv(8)) // frame 1 held
	r.st.cfg.ReorderPercent = 0
	r.st.Release(r.recv(8)) // frame 2 handed up: it passed frame 1
	r.st.Release(r.recv(8)) // frame 1
	want := []handed{{id: 2, recv: 1}, {id: 1, recv: 2}}
	if !reflect.DeepEqual(r.out, want) {
		t.Errorf("handed up %+v, want %+v", r.out, want)
	}
	r.checkClean()
}

func TestOverflow(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		want Stats
	}{
		{"delay", Config{DelayNs: ms, Slots: 4}, Stats{Passed: 96, Delayed: 4, Overflow: 96}},
		{"reorder", Config{ReorderPercent: 100, Slots: 4}, Stats{Passed: 96, Reordered: 4, Overflow: 96}},
		{"duplicate", Config{DuplicatePercent: 100, Slots: 4}, Stats{Passed: 100, Duplicated: 4, Overflow: 96}},
	} {
		r := newRig(t, tc.cfg, 100, 0, 0)
		got := r.recv(1000)
		if st := r.st.Stats(); len(got) != 96+int(tc.want.Duplicated) || st != tc.want {
			t.Errorf("%s: one Recv of 100 frames with 4 slots handed up %d, stats %+v, want %+v", tc.name, len(got), st, tc.want)
		}
		r.st.Release(got)
		r.clock += 10 * ms
		r.run(1000, ms)
		if len(r.out) != 100+int(tc.want.Duplicated) {
			t.Errorf("%s: %d frames handed up in all", tc.name, len(r.out))
		}
	}
}

// everything is a Config with every fault on.
func everything(seed uint64) Config {
	return Config{LossPercent: 5, DuplicatePercent: 10, ReorderPercent: 15,
		DelayNs: ms / 2, DelayJitterNs: ms / 4, ReorderHoldNs: ms, Seed: seed, Slots: 256}
}

func TestSameSeedSameDecisions(t *testing.T) {
	run := func(seed uint64) ([]handed, Stats) {
		r := newRig(t, everything(seed), 5000, 5, 0)
		r.run(64, 30_000)
		return r.out, r.st.Stats()
	}
	a, sa := run(9)
	b, sb := run(9)
	if !reflect.DeepEqual(a, b) || sa != sb {
		t.Errorf("seed 9 twice: stats %+v and %+v", sa, sb)
	}
	c, sc := run(10)
	if reflect.DeepEqual(a, c) || sa == sc {
		t.Errorf("seeds 9 and 10 made the same decisions: %+v", sc)
	}
}

// Frames are released long after Recv, in sub-slices of any length, out of
// order, some twice: every inner buffer comes back exactly once.
func TestReleaseRouting(t *testing.T) {
	for _, tc := range []struct {
		name   string
		base   int32
		copied bool // the inner's handles do not fit: every frame comes from a slot
	}{
		{"handle 0 first", 0, false},
		{"negative handles", -600, false},
		{"the lowest that fit", -1 << 30, false},
		{"past 2^30", 1<<30 + 7, true},
		{"the lowest handles", math.MinInt32, true},
	} {
		r := newRig(t, everything(11), 4000, 16, tc.base)
		rng := rand.New(rand.NewPCG(5, 6))
		var held [][]transport.Received // batches not yet wholly released
		for !r.done() || len(held) > 0 {
			if !r.done() {
				got := r.recv(32)
				for _, f := range got {
					if h := f.Handle(); tc.copied && h&1 == 0 {
						t.Fatalf("%s: handle %d", tc.name, h)
					}
				}
				held = append(held, append([]transport.Received(nil), got...))
			}
			for range rng.IntN(3) {
				if len(held) == 0 {
					break
				}
				j := rng.IntN(len(held))
				b := held[j]
				// Release a random run, then the rest around it; sometimes
				// the run again.
				lo := rng.IntN(len(b) + 1)
				hi := lo + rng.IntN(len(b)-lo+1)
				r.st.Release(b[lo:hi])
				if rng.IntN(4) == 0 {
					r.st.Release(b[lo:hi])
				}
				r.st.Release(b[hi:])
				r.st.Release(b[:lo])
				held = append(held[:j], held[j+1:]...)
			}
			r.clock += 40_000
			if r.recvs > 1_000_000 {
				t.Fatal("never drained")
			}
		}
		t.Run(tc.name, func(t *testing.T) { r.t = t; r.checkClean() })
	}
}

func TestAllocsPerFrame(t *testing.T) {
	r := newRig(t, everything(12), 1<<20, 8, 0)
	cycle := func() {
		n, err := r.st.Recv(r.frames[:64])
		if err != nil {
			t.Fatal(err)
		}
		r.st.Release(r.frames[:n])
		r.clock += 37_000
	}
	for range 2000 {
		cycle()
	}
	if a := testing.AllocsPerRun(5000, cycle); a != 0 {
		t.Errorf("%v allocations per Recv and Release", a)
	}
	if st := r.st.Stats(); st.Dropped == 0 || st.Duplicated == 0 || st.Delayed == 0 || st.Reordered == 0 {
		t.Errorf("not every fault happened: %+v", st)
	}
	if r.fake.next > r.fake.last {
		t.Error("the fake ran out of frames")
	}
}

func TestPassThrough(t *testing.T) {
	var clock int64
	fake := newFake(4, 0, &clock, 10)
	st, err := New(fake, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Fd() != 42 || st.MTU() != 1500 {
		t.Errorf("Fd %d, MTU %d", st.Fd(), st.MTU())
	}
	if err := st.Send(make([]transport.Outgoing, 3)); err != nil || fake.sent != 3 {
		t.Errorf("Send: %v, %d sent", err, fake.sent)
	}
	// A disabled stage hands up the inner's own buffers.
	frames := make([]transport.Received, 8)
	n, err := st.Recv(frames)
	if err != nil || n != 4 || &frames[1].Data[0] != &fake.bufs[1][0] || frames[1].Handle() != 2*1 || frames[0].Handle() != 0 {
		t.Errorf("Recv: %d, %v, handle %d", n, err, frames[0].Handle())
	}
	st.Release(frames[:n])
	if fake.leaked() != 0 || fake.bad != 0 {
		t.Errorf("%d leaked, %d bad", fake.leaked(), fake.bad)
	}
	if err := st.Close(); err != nil || !fake.closed {
		t.Errorf("Close: %v", err)
	}
	if _, err := st.Recv(frames); !errors.Is(err, transport.ErrClosed) {
		t.Errorf("Recv after Close: %v", err)
	}
	if err := st.Send(make([]transport.Outgoing, 1)); !errors.Is(err, transport.ErrClosed) {
		t.Errorf("Send after Close: %v", err)
	}
}

// An inner Recv error after held frames were handed up waits for the next
// Recv, so that the frames are not lost.
func TestInnerErrorAfterDrain(t *testing.T) {
	r := newRig(t, Config{DelayNs: ms}, 3, 0, 0)
	r.recv(8) // all three held
	boom := errors.New("boom")
	r.fake.err = boom
	r.clock = ms
	if got := r.recv(8); len(got) != 3 {
		t.Fatalf("handed up %d of the due frames", len(got))
	} else {
		r.st.Release(got)
	}
	if _, err := r.st.Recv(r.frames); err != boom {
		t.Errorf("the next Recv returned %v, want the inner's error", err)
	}
	r.fake.err = boom
	if n, err := r.st.Recv(r.frames); n != 0 || err != boom {
		t.Errorf("Recv with nothing held: %d, %v", n, err)
	}
	r.checkClean()
}
