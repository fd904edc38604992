package main

import (
	"time"

	"github.com/gorosync/gorosync/services"
)

// mainService carries the daemon's own exec messages: the shutdown marker.
const mainService uint16 = 0x7e7f

// shutdownBound caps the wait for the engines' last messages: a node that
// cannot get its messages ordered (it lost the ring) must still stop.
const shutdownBound = 2 * time.Second

// tasks runs functions on the token loop's goroutine, the engines' owner:
// signal handlers and other goroutines hand work to it. It is one of the
// loop's pollers (polled at least every millisecond).
type tasks struct{ ch chan func() }

func newTasks() *tasks { return &tasks{ch: make(chan func(), 16)} }

func (t *tasks) Poll() int {
	n := 0
	for {
		select {
		case f := <-t.ch:
			f()
			n++
		default:
			return n
		}
	}
}

func (t *tasks) Fd() int { return -1 }

// post queues f; false when the queue is full (the loop is not running).
func (t *tasks) post(f func()) bool {
	select {
	case t.ch <- f:
		return true
	default:
		return false
	}
}

// mainEngine sees the shutdown marker come back.
type mainEngine struct{ d *daemon }

func (e *mainEngine) ID() uint16   { return mainService }
func (e *mainEngine) Name() string { return "main" }
func (e *mainEngine) Deliver(from uint32, fn uint16, msg []byte) {
	if from == e.d.self.NodeID && e.d.stopping {
		e.d.stopLoop()
	}
}

// shutdown is the orderly stop (SIGTERM, SIGINT, cfg's shutdown): on the
// loop's goroutine, unload the engines (votequorum first, as corosync
// does), then leave the ring once this node's marker, sent after their
// last messages, came back in the agreed order, or after shutdownBound.
func (d *daemon) shutdown() {
	if d.stopping {
		return
	}
	d.stopping = true
	d.log.Info("Unloading all Corosync service engines.")
	for _, e := range d.unloadOrder() {
		if u, ok := e.(services.Unloader); ok {
			u.Unload()
		}
	}
	time.AfterFunc(shutdownBound, d.stopLoop)
	if len(d.host.Members()) == 0 || d.host.Send(mainService, 0) != nil {
		d.stopLoop()
	}
}

// unloadOrder is corosync's: priority 2 (votequorum) first, then the rest
// by ascending id.
func (d *daemon) unloadOrder() []services.Engine {
	all := d.host.Engines()
	out := make([]services.Engine, 0, len(all))
	for _, e := range all {
		if e.ID() == services.VOTEQUORUM {
			out = append(out, e)
		}
	}
	for _, e := range all {
		if e.ID() != services.VOTEQUORUM {
			out = append(out, e)
		}
	}
	return out
}
