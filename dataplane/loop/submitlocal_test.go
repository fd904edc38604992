package loop

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/gorosync/gorosync/dataplane/totempg"
)

// localSender is a Poller that submits from the loop's goroutine, as the
// services do, once the ring has formed.
type localSender struct {
	l     *Loop
	c     *cluster
	msgs  [][]byte
	parts bool // submit each message in three pieces (SubmitLocalParts)
	sent  int
	err   error // the first error other than try-again
}

func (s *localSender) bind(l *Loop, c *cluster) { s.l, s.c = l, c }
func (s *localSender) Fd() int                  { return -1 }
func (s *localSender) Poll() int {
	s.c.mu.Lock()
	formed := s.c.formed[0]
	s.c.mu.Unlock()
	if !formed || s.sent == len(s.msgs) {
		return 0
	}
	m := s.msgs[s.sent]
	var err error
	if s.parts {
		err = s.l.SubmitLocalParts([][]byte{m[:1], m[1 : len(m)/2], m[len(m)/2:]}, false)
	} else {
		err = s.l.SubmitLocal(m, false)
	}
	if errors.Is(err, totempg.ErrTryAgain) {
		return 0
	}
	if err != nil {
		if s.err == nil {
			s.err = err
		}
		s.sent++ // give up on this one
		return 1
	}
	s.sent++
	return 1
}

// SubmitLocal takes messages larger than an inbox slot (up to totempg's
// 1 MiB with the group header, as cpg allows) and they arrive whole, in
// order, on every node.
func TestSubmitLocalLargeMessages(t *testing.T) { testSubmitLocal(t, 5478, false) }

// SubmitLocalParts: the same messages in pieces arrive as the pieces joined.
func TestSubmitLocalPartsLargeMessages(t *testing.T) { testSubmitLocal(t, 5480, true) }

func testSubmitLocal(t *testing.T, port uint16, parts bool) {
	c := startClusterWith(t, 2, port, func(i int, cfg *Config) {
		if i == 0 {
			s := &localSender{parts: parts}
			for k, size := range []int{1<<20 - 64, 100, 300 << 10} {
				s.msgs = append(s.msgs, bytes.Repeat([]byte{byte('a' + k)}, size))
			}
			cfg.Pollers = append(cfg.Pollers, s)
		}
	})
	s := c.loops[0].cfg.Pollers[0].(*localSender)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		done := len(c.got[0]) == 3 && len(c.got[1]) == 3
		c.mu.Unlock()
		if done {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s.err != nil {
		t.Fatalf("SubmitLocal: %v", s.err)
	}
	for node := range 2 {
		if len(c.got[node]) != 3 {
			t.Fatalf("node %d delivered %d messages, want 3", node+1, len(c.got[node]))
		}
		for k, m := range s.msgs {
			if c.got[node][k] != string(m) {
				t.Fatalf("node %d message %d: %d bytes, want %d", node+1, k, len(c.got[node][k]), len(m))
			}
		}
	}
}
