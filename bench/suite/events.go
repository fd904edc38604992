package suite

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gorosync/gorosync/bench/cluster"
	"github.com/gorosync/gorosync/bench/cpgbench"
)

// monoNs is CLOCK_MONOTONIC, the clock cpgbench stamps events with.
func monoNs() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		panic(err) // CLOCK_MONOTONIC cannot fail on Linux
	}
	return ts.Nano()
}

// nodeEvent is an event and the node whose client saw it.
type nodeEvent struct {
	node int
	cpgbench.Event
}

// eventLog collects the events of every members-mode watcher.
type eventLog struct {
	mu     sync.Mutex
	events []nodeEvent
	errs   bytes.Buffer // the watchers' stderr
}

func (g *eventLog) add(e nodeEvent) {
	g.mu.Lock()
	g.events = append(g.events, e)
	g.mu.Unlock()
}

func (g *eventLog) len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.events)
}

// wait polls for the first event at index from or later that matches,
// within timeout. The events carry their own time stamps, so the polling
// period does not enter the measurement.
func (g *eventLog) wait(ctx context.Context, from int, timeout time.Duration, what string, match func(nodeEvent) bool) (nodeEvent, error) {
	deadline := time.Now().Add(timeout)
	for {
		g.mu.Lock()
		for _, e := range g.events[min(from, len(g.events)):] {
			if match(e) {
				g.mu.Unlock()
				return e, nil
			}
		}
		g.mu.Unlock()
		if time.Now().After(deadline) {
			return nodeEvent{}, fmt.Errorf("no %s within %v (watchers' stderr: %q)", what, timeout, g.stderr())
		}
		if err := sleep(ctx, 5*time.Millisecond); err != nil {
			return nodeEvent{}, err
		}
	}
}

func (g *eventLog) stderr() string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.errs.String()
}

// lockedWriter appends a watcher's stderr to the log's buffer.
type lockedWriter struct{ g *eventLog }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.g.mu.Lock()
	defer w.g.mu.Unlock()
	if w.g.errs.Len() < 64<<10 {
		w.g.errs.Write(p)
	}
	return len(p), nil
}

// watcher is one cpgbench members-mode client.
type watcher struct {
	done chan struct{}
}

// watch starts a members-mode client on n whose events go to g. It runs
// until ctx ends or its daemon dies.
func (l *live) watch(ctx context.Context, n *cluster.Node, g *eventLog) (*watcher, error) {
	cmd := n.Command(ctx, l.env.CPGBench, "-g", group, "-m", "members", "-t", "86400")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = lockedWriter{g}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	w := &watcher{done: make(chan struct{})}
	go func() {
		defer close(w.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			ev, err := cpgbench.ParseEvent(sc.Bytes())
			if errors.Is(err, cpgbench.ErrNotEvent) {
				continue
			}
			if err != nil {
				fmt.Fprintf(lockedWriter{g}, "%s: %v\n", n.Name, err)
				continue
			}
			g.add(nodeEvent{node: n.Index, Event: ev})
		}
		_ = cmd.Wait()
	}()
	return w, nil
}
