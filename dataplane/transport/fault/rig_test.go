package fault

import (
	"testing"

	"github.com/gorosync/gorosync/dataplane/transport"
)

// handed is one frame as the rig saw it handed up.
type handed struct {
	id   uint64
	at   int64 // the fake clock at that Recv
	recv int   // which Recv
}

// rig runs a Stage over a fakeInner on a fake clock.
type rig struct {
	t      *testing.T
	clock  int64
	fake   *fakeInner
	st     *Stage
	frames []transport.Received
	out    []handed
	recvs  int
}

// newRig makes a stage over a fake that will make up n frames, at most
// perRecv a Recv, in buffers handled from base.
func newRig(t *testing.T, cfg Config, n, perRecv int, base int32) *rig {
	t.Helper()
	r := &rig{t: t, frames: make([]transport.Received, 1024)}
	r.fake = newFake(1024, base, &r.clock, n)
	r.fake.perRecv = perRecv
	cfg.Now = func() int64 { return r.clock }
	st, err := New(r.fake, cfg)
	if err != nil {
		t.Fatal(err)
	}
	r.st = st
	return r
}

// done: every frame was pulled and the stage holds nothing.
func (r *rig) done() bool {
	return r.fake.next > r.fake.last && len(r.st.sl.heap) == 0 && len(r.st.sl.wait) == 0
}

// recv does one Recv of up to batch frames, checks and records them, and
// returns them unreleased.
func (r *rig) recv(batch int) []transport.Received {
	r.t.Helper()
	n, err := r.st.Recv(r.frames[:batch])
	if err != nil {
		r.t.Fatalf("Recv: %v", err)
	}
	for i := range n {
		f := &r.frames[i]
		id := frameID(f.Data)
		if id == 0 {
			r.t.Fatalf("Recv %d handed up a frame that is not one the fake made: %x", r.recvs, f.Data)
		}
		if f.From != uint32(id%7+1) {
			r.t.Fatalf("frame %d from %d, want %d", id, f.From, id%7+1)
		}
		r.out = append(r.out, handed{id: id, at: r.clock, recv: r.recvs})
	}
	r.recvs++
	return r.frames[:n]
}

// run receives batch frames every step ns, releasing each batch at once,
// until done; then it checks that nothing leaked.
func (r *rig) run(batch int, step int64) {
	r.t.Helper()
	for !r.done() {
		if r.recvs > 10_000_000 {
			r.t.Fatal("the stage never drained")
		}
		r.st.Release(r.recv(batch))
		r.clock += step
	}
	r.checkClean()
}

// checkClean: every inner buffer came back exactly once and every slot
// is free.
func (r *rig) checkClean() {
	r.t.Helper()
	if r.fake.bad != 0 {
		r.t.Errorf("%d double or foreign releases reached the inner", r.fake.bad)
	}
	if l := r.fake.leaked(); l != 0 {
		r.t.Errorf("%d inner buffers leaked", l)
	}
	if pulled := int(r.fake.next - 1); r.fake.released != pulled {
		r.t.Errorf("inner released %d buffers, pulled %d frames", r.fake.released, pulled)
	}
	if free := len(r.st.sl.free); free != len(r.st.sl.meta) {
		r.t.Errorf("%d of %d slots free", free, len(r.st.sl.meta))
	}
}

// counts is how many times each id was handed up.
func (r *rig) counts() map[uint64]int {
	c := map[uint64]int{}
	for _, h := range r.out {
		c[h.id]++
	}
	return c
}

// descents counts the frames handed up after a frame with a higher id.
func (r *rig) descents() int {
	d := 0
	var top uint64
	for _, h := range r.out {
		if h.id < top {
			d++
		}
		top = max(top, h.id)
	}
	return d
}
