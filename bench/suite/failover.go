package suite

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// victim is the node killed in every trial.
const victim = 3

// failover kills node 3 of a fresh 3-node cluster with SIGKILL
// TrialsFor(t) times, restarting it after each, with cpg watchers on every node
// timing what the survivors' applications see.
func (e *Env) failover(ctx context.Context, r *Results, d Daemon, t Totem) {
	trials := r.Options.TrialsFor(t)
	what := fmt.Sprintf("failover, token %s", t)
	l, err := e.start(ctx, topology{daemon: d, nodes: 3, totem: t, label: "failover-" + strings.ReplaceAll(t.String(), " ", "")})
	if err != nil {
		e.fail(r, d, what, err)
		e.skip(trials, d, what)
		return
	}
	defer l.close()
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	g := &eventLog{}
	for _, n := range l.Nodes() {
		if _, err := l.watch(wctx, n, g); err != nil {
			e.fail(r, d, what, err)
			e.skip(trials, d, what)
			return
		}
	}
	bound := failoverBound(t)
	if _, err := g.wait(ctx, 0, bound, "confchg with 3 watchers on node 1", func(ev nodeEvent) bool {
		return ev.node == 1 && ev.Kind == "confchg" && len(ev.GroupMembers) == 3
	}); err != nil {
		e.fail(r, d, what, err)
		e.skip(trials, d, what)
		return
	}
	for trial := 1; trial <= trials; trial++ {
		_ = sleep(ctx, time.Second) // a settled ring
		ft, err := l.failoverTrial(wctx, g, bound)
		ft.Daemon, ft.Totem, ft.Trial = d, t, trial
		name := fmt.Sprintf("%s, trial %d", what, trial)
		if err != nil {
			e.fail(r, d, name, err)
			e.skip(trials-trial+1, d, what)
			return
		}
		r.Failover = append(r.Failover, ft)
		e.Progress.step("%s %s: kill → ring %.0f ms, → cpg confchg %.0f ms; restart → rejoin %.0f ms",
			d.Label(), name, ft.KillToRingMs, ft.KillToConfchgMs, ft.RestartToRejoinMs)
	}
}

// failoverBound bounds each wait of a trial: ten effective tokens and a
// margin for start-up.
func failoverBound(t Totem) time.Duration {
	tok := t.TokenMs
	if tok == 0 {
		tok = 3650
	}
	return 10*time.Duration(tok)*time.Millisecond + 20*time.Second
}

// failoverTrial kills node 3, waits for both survivors' totem and cpg
// confchgs, restarts it, waits for node 1's ring with it and for its new
// watcher's join.
func (l *live) failoverTrial(ctx context.Context, g *eventLog, bound time.Duration) (FailoverTrial, error) {
	var ft FailoverTrial
	ms := func(ns int64) float64 { return float64(ns) / 1e6 }
	mark := g.len()
	t0 := monoNs()
	if err := l.Node(victim).Kill(); err != nil {
		return ft, err
	}
	ft.Timeline = append(ft.Timeline, TimelineEvent{AtMs: 0, What: "kill -9 node 3"})
	for _, i := range []int{1, 2} {
		ring, err := g.wait(ctx, mark, bound, fmt.Sprintf("ring without node 3 on node %d", i), func(ev nodeEvent) bool {
			return ev.node == i && ev.Kind == "totem" && !ev.HasNode(victim)
		})
		if err != nil {
			return ft, err
		}
		cc, err := g.wait(ctx, mark, bound, fmt.Sprintf("cpg confchg leaving node 3 on node %d", i), func(ev nodeEvent) bool {
			return ev.node == i && ev.Kind == "confchg" && ev.LeftNode(victim)
		})
		if err != nil {
			return ft, err
		}
		ft.KillToRingMs = max(ft.KillToRingMs, ms(ring.TNs-t0))
		ft.KillToConfchgMs = max(ft.KillToConfchgMs, ms(cc.TNs-t0))
		ft.Timeline = append(ft.Timeline,
			TimelineEvent{AtMs: ms(ring.TNs - t0), Node: i, What: "ring " + members(ring.RingMembers)},
			TimelineEvent{AtMs: ms(cc.TNs - t0), Node: i, What: "cpg confchg: node 3 left"})
	}
	_ = sleep(ctx, 500*time.Millisecond)
	mark = g.len()
	tr := monoNs()
	if err := l.Node(victim).Start(); err != nil {
		return ft, err
	}
	ft.Timeline = append(ft.Timeline, TimelineEvent{AtMs: ms(tr - t0), What: "restart node 3"})
	ring, err := g.wait(ctx, mark, bound, "ring with node 3 on node 1", func(ev nodeEvent) bool {
		return ev.node == 1 && ev.Kind == "totem" && ev.HasNode(victim)
	})
	if err != nil {
		return ft, err
	}
	ft.RestartToRejoinMs = ms(ring.TNs - tr)
	ft.Timeline = append(ft.Timeline, TimelineEvent{AtMs: ms(ring.TNs - t0), Node: 1, What: "ring " + members(ring.RingMembers)})
	// A new watcher on node 3 for the next trial; its join closes this one.
	if _, err := l.watch(ctx, l.Node(victim), g); err != nil {
		return ft, err
	}
	cc, err := g.wait(ctx, mark, bound, "cpg confchg joining node 3 on node 1", func(ev nodeEvent) bool {
		return ev.node == 1 && ev.Kind == "confchg" && len(ev.Joined) > 0 && ev.Joined[0][0] == victim
	})
	if err != nil {
		return ft, err
	}
	ft.Timeline = append(ft.Timeline, TimelineEvent{AtMs: ms(cc.TNs - t0), Node: 1, What: "cpg confchg: node 3 joined"})
	return ft, nil
}

func members(ids []uint32) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = fmt.Sprint(id)
	}
	return strings.Join(s, " ")
}
