package main

import (
	"context"
	"fmt"
)

// tokenWatch logs the moment this node declares the token lost, as
// corosync does ("A processor failed, forming new configuration"): the
// start of every failover timeline. It is one of the loop's pollers and
// reads the node's counters on the loop's goroutine.
type tokenWatch struct {
	d    *daemon
	seen uint64
}

func (w *tokenWatch) Fd() int { return -1 }

func (w *tokenWatch) Poll() int {
	if w.d.loop == nil {
		return 0
	}
	lost := w.d.loop.Node().Stats().TokenLosses
	if lost == w.seen {
		return 0
	}
	w.seen = lost
	t := w.d.cfg.Totem
	w.d.totem.Log(context.Background(), levelNotice, fmt.Sprintf(
		"A processor failed, forming new configuration: token timed out (%d ms), waiting %d ms for consensus.",
		t.TokenMs, t.ConsensusMs))
	return 0
}
