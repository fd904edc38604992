package sam

import (
	"bufio"
	"errors"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/gorosync/gorosync/services/cserror"
)

// fakeParent is the supervisor's side of a child's pipes, in-process.
type fakeParent struct {
	t      *testing.T
	frames chan frameResult
	msgW   *os.File
	cmdR   *os.File
}

// newChild returns a child library linked to a fake parent.
func newChild(t *testing.T) (*lib, *fakeParent) {
	t.Helper()
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	msgR, msgW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &fakeParent{t: t, frames: make(chan frameResult, 64), msgW: msgW, cmdR: cmdR}
	go func() {
		br := bufio.NewReader(cmdR)
		for {
			f, err := readFrame(br, true)
			p.frames <- frameResult{f, err}
			if err != nil {
				return
			}
		}
	}()
	l := newLib(newChildLink(cmdW, msgR))
	t.Cleanup(func() {
		cmdW.Close()
		msgR.Close()
		msgW.Close()
		cmdR.Close()
	})
	return l, p
}

func (p *fakeParent) write(b []byte) {
	if _, err := p.msgW.Write(b); err != nil {
		p.t.Fatal(err)
	}
}

// next is the child's next frame (bounded wait).
func (p *fakeParent) next() frame {
	p.t.Helper()
	select {
	case r := <-p.frames:
		if r.err != nil {
			p.t.Fatalf("reading the child: %v", r.err)
		}
		return r.f
	case <-time.After(5 * time.Second):
		p.t.Fatal("no frame from the child")
	}
	return frame{}
}

// none checks that the child sends nothing for d.
func (p *fakeParent) none(d time.Duration) {
	p.t.Helper()
	select {
	case r := <-p.frames:
		p.t.Fatalf("unexpected frame %+v", r)
	case <-time.After(d):
	}
}

// registered initializes and registers the child with hello h.
func registered(t *testing.T, p Policy, intervalMs int, h hello) (*lib, *fakeParent) {
	t.Helper()
	l, fp := newChild(t)
	wantErr(t, "init", l.initialize(intervalMs, p, Options{}), cserror.OK)
	fp.write(h.frame())
	id, err := l.register()
	if err != nil || id != h.instance {
		t.Fatalf("register: %d %v, want %d", id, err, h.instance)
	}
	return l, fp
}

func TestChildRegisterAdoptsParentState(t *testing.T) {
	l, p := newChild(t)
	// The instance's own arguments and data lose to the supervisor's.
	wantErr(t, "init", l.initialize(5, PolicyQuit, Options{}), cserror.OK)
	wantErr(t, "local store", l.dataStore([]byte("mine")), cserror.OK)
	p.write(hello{instance: 7, warnSig: int32(syscall.SIGUSR1), policy: PolicyRestart | PolicyCMAP,
		intervalMs: 300, data: []byte("kept")}.frame())
	id, err := l.register()
	if id != 7 || err != nil {
		t.Fatalf("register: %d %v", id, err)
	}
	if l.warnSig != syscall.SIGUSR1 || l.policy != PolicyRestart|PolicyCMAP || l.intervalMs != 300 || string(l.data) != "kept" {
		t.Errorf("adopted warn %v policy %#x interval %d data %q", l.warnSig, l.policy, l.intervalMs, l.data)
	}
	_, err = l.register()
	wantErr(t, "register twice", err, cserror.ErrBadHandle)
	p.none(20 * time.Millisecond) // Register sends nothing
}

func TestChildRegisterWithoutHello(t *testing.T) {
	l, fp := newChild(t)
	wantErr(t, "init", l.initialize(100, PolicyQuit, Options{}), cserror.OK)
	fp.msgW.Close() // the supervisor is gone
	_, err := l.register()
	wantErr(t, "register", err, cserror.ErrLibrary)
}

func TestChildStartStopHeartbeat(t *testing.T) {
	l, p := registered(t, PolicyRestart, 100, hello{instance: 1, policy: PolicyRestart, intervalMs: 100, warnSig: 15})
	wantErr(t, "hc before start", l.hcSend(), cserror.ErrBadHandle)
	wantErr(t, "stop before start", l.stop(), cserror.ErrBadHandle)
	done := make(chan error, 1)
	go func() { done <- l.start() }()
	if f := p.next(); f.kind != cmdStart {
		t.Fatalf("frame %+v, want START", f)
	}
	select {
	case err := <-done:
		t.Fatalf("Start returned %v before the supervisor's reply", err)
	case <-time.After(50 * time.Millisecond):
	}
	p.write(replyFrame(cserror.OK))
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	wantErr(t, "start twice", l.start(), cserror.ErrBadHandle)
	wantErr(t, "hc", l.hcSend(), cserror.OK)
	if f := p.next(); f.kind != cmdHB {
		t.Fatalf("frame %+v, want HB", f)
	}
	wantErr(t, "stop", l.stop(), cserror.OK)
	if f := p.next(); f.kind != cmdStop {
		t.Fatalf("frame %+v, want STOP", f)
	}
	wantErr(t, "hc after stop", l.hcSend(), cserror.ErrBadHandle)
}

func TestChildStartRefused(t *testing.T) {
	l, p := registered(t, PolicyQuorumQuit, 100, hello{instance: 1, policy: PolicyQuorumQuit, intervalMs: 100})
	go func() {
		p.next()
		p.write(replyFrame(cserror.ErrLibrary))
	}()
	wantErr(t, "start", l.start(), cserror.ErrLibrary)
	if l.st != stRegistered {
		t.Errorf("state %v after a refused start", l.st)
	}
}

func TestChildDataAndSignalReachParent(t *testing.T) {
	l, p := registered(t, PolicyRestart|PolicyCMAP, 100, hello{instance: 2, policy: PolicyRestart | PolicyCMAP, intervalMs: 100})
	go func() {
		for range 2 {
			p.next()
			p.write(replyFrame(cserror.OK))
		}
	}()
	wantErr(t, "store", l.dataStore([]byte("abc")), cserror.OK)
	wantErr(t, "warn", l.warnSignalSet(syscall.SIGUSR2), cserror.OK)
	if n, _ := l.dataGetSize(); n != 3 || l.warnSig != syscall.SIGUSR2 {
		t.Errorf("size %d warn %v", n, l.warnSig)
	}
	wantErr(t, "mark_failed", l.markFailed(), cserror.OK)
	if f := p.next(); f.kind != cmdMarkFailed {
		t.Fatalf("frame %+v", f)
	}
}

func TestChildDataFrames(t *testing.T) {
	l, p := registered(t, PolicyRestart, 100, hello{instance: 1, policy: PolicyRestart, intervalMs: 100})
	got := make(chan frame, 2)
	go func() {
		for range 2 {
			got <- p.next()
			p.write(replyFrame(cserror.OK))
		}
	}()
	wantErr(t, "store", l.dataStore([]byte("xyz")), cserror.OK)
	wantErr(t, "warn", l.warnSignalSet(syscall.SIGHUP), cserror.OK)
	if f := <-got; f.kind != cmdDataStore || string(f.body) != "xyz" {
		t.Errorf("data frame %+v", f)
	}
	if f := <-got; f.kind != cmdWarnSignal || le.Uint32(f.body) != uint32(syscall.SIGHUP) {
		t.Errorf("signal frame %+v", f)
	}
	wantErr(t, "mark_failed without CMAP", l.markFailed(), cserror.ErrInvalidParam)
}

func TestChildParentGone(t *testing.T) {
	l, p := registered(t, PolicyRestart, 100, hello{instance: 1, policy: PolicyRestart, intervalMs: 100})
	go func() {
		p.next()
		p.write(replyFrame(cserror.OK))
	}()
	wantErr(t, "start", l.start(), cserror.OK)
	p.cmdR.Close()
	wantErr(t, "hc to a dead supervisor", l.hcSend(), cserror.ErrLibrary)
}

func TestChildFinalizeStops(t *testing.T) {
	l, p := registered(t, PolicyRestart, 100, hello{instance: 1, policy: PolicyRestart, intervalMs: 100})
	go func() {
		p.next()
		p.write(replyFrame(cserror.OK))
	}()
	wantErr(t, "start", l.start(), cserror.OK)
	wantErr(t, "finalize", l.finalize(), cserror.OK)
	if f := p.next(); f.kind != cmdStop {
		t.Fatalf("frame %+v, want STOP", f)
	}
	wantErr(t, "hc after finalize", l.hcSend(), cserror.ErrBadHandle)
	wantErr(t, "start after finalize", l.start(), cserror.ErrBadHandle)
}

// startOK runs l.start with the fake parent's OK reply.
func startOK(t *testing.T, l *lib, p *fakeParent) {
	t.Helper()
	go func() {
		p.next()
		p.write(replyFrame(cserror.OK))
	}()
	wantErr(t, "start", l.start(), cserror.OK)
}

// stopCount stops l and counts the heartbeats that came before STOP.
func stopCount(t *testing.T, l *lib, p *fakeParent) int {
	t.Helper()
	wantErr(t, "stop", l.stop(), cserror.OK)
	n := 0
	for f := p.next(); f.kind != cmdStop; f = p.next() {
		if f.kind != cmdHB {
			t.Fatalf("frame %+v", f)
		}
		n++
	}
	return n
}

// The callback loop beats every interval/4 and asks the callback every
// fourth beat (the first included); once the callback fails it goes
// quiet until the next Start.
func TestChildCallbackLoop(t *testing.T) {
	const ivl = 80
	l, p := registered(t, PolicyRestart, ivl, hello{instance: 1, policy: PolicyRestart, intervalMs: ivl})
	var calls atomic.Int32
	var fail atomic.Bool
	wantErr(t, "register cb", l.hcCallbackRegister(func() error {
		calls.Add(1)
		if fail.Load() {
			return errors.New("sick")
		}
		return nil
	}), cserror.OK)
	p.none(ivl * time.Millisecond) // nothing before Start

	startOK(t, l, p)
	wantErr(t, "register cb while started", l.hcCallbackRegister(nil), cserror.ErrBadHandle)
	time.Sleep(5 * ivl * time.Millisecond / 2)
	hb := stopCount(t, l, p)
	n := int(calls.Load())
	if hb < 4 || hb > 11 {
		t.Errorf("%d heartbeats in 2.5 intervals, want about 10 (one per interval/4)", hb)
	}
	if want := (hb + 3) / 4; n < want || n > want+1 {
		t.Errorf("%d callback calls for %d heartbeats, want %d (one per 4)", n, hb, want)
	}

	fail.Store(true)
	calls.Store(0)
	startOK(t, l, p)
	time.Sleep(2 * ivl * time.Millisecond)
	if hb := stopCount(t, l, p); hb != 0 || calls.Load() != 1 {
		t.Errorf("failing callback: %d heartbeats, %d calls; want none after the first call", hb, calls.Load())
	}

	fail.Store(false)
	startOK(t, l, p)
	if f := p.next(); f.kind != cmdHB {
		t.Fatalf("frame %+v, want HB after a new Start", f)
	}
	wantErr(t, "callback nil: back to HCSend", l.hcCallbackRegister(nil), cserror.ErrBadHandle) // still started
	stopCount(t, l, p)
	wantErr(t, "callback nil", l.hcCallbackRegister(nil), cserror.OK)
	startOK(t, l, p)
	p.none(ivl * time.Millisecond)
	wantErr(t, "finalize", l.finalize(), cserror.OK)
}
