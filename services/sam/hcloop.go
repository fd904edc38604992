package sam

import "time"

// hcLoop is event-driven health checking (sam_hc_callback_register): a
// goroutine of the child that, while started, sends a heartbeat every
// interval/4 and asks the callback every fourth tick (the first tick
// included). Once the callback returns an error it sends nothing more
// until the next Start, so the supervisor times the child out.
type hcLoop struct {
	l    *lib
	wake chan struct{}

	// Guarded by l.mu.
	running bool
	gen     uint64 // counts Starts: a new one resets the tick count and the failure
	quit    bool
}

func newHCLoop(l *lib) *hcLoop {
	h := &hcLoop{l: l, wake: make(chan struct{}, 1)}
	go h.run()
	return h
}

// kick records Start (running) or Stop; l.mu held.
func (h *hcLoop) kick(running bool) {
	h.running = running
	if running {
		h.gen++
	}
	h.poke()
}

// end stops the goroutine (Finalize); l.mu held.
func (h *hcLoop) end() {
	h.quit = true
	h.poke()
}

func (h *hcLoop) poke() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// view is the loop's inputs, read under l.mu.
type hcView struct {
	running, quit bool
	gen           uint64
	cb            func() error
	period        time.Duration
}

func (h *hcLoop) view() hcView {
	h.l.mu.Lock()
	defer h.l.mu.Unlock()
	return hcView{running: h.running, quit: h.quit, gen: h.gen, cb: h.l.hcCB,
		period: max(time.Duration(h.l.intervalMs/4)*time.Millisecond, time.Millisecond)}
}

func (h *hcLoop) run() {
	var gen uint64
	ticks, failed := 0, false
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		v := h.view()
		if v.quit {
			return
		}
		if v.gen != gen {
			gen, ticks, failed = v.gen, 0, false
		}
		if !v.running {
			<-h.wake
			continue
		}
		t.Reset(v.period)
		select {
		case <-h.wake:
			continue
		case <-t.C:
		}
		// The callback runs without l.mu: it may call the library.
		if v.cb == nil || failed {
			continue
		}
		if ticks%4 == 0 && v.cb() != nil {
			failed = true
			continue
		}
		ticks++
		_ = h.l.hcSend()
	}
}
