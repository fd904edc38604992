package main

import (
	"bufio"
	"encoding/json"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorosync/gorosync/services/cmap"
	"github.com/gorosync/gorosync/services/cmap/cmapclient/cmapclienttest"
)

// The tool in this process against an in-process server under a private
// name: what the side-by-side test cannot compare (our improvements and
// extensions).

// running is the tool run on a goroutine, its output read by lines.
type running struct {
	in    *io.PipeWriter
	lines chan string
	errb  strings.Builder
	done  chan int
}

func startRun(t *testing.T, s *cmapclienttest.Server, args ...string) *running {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	r := &running{in: inW, lines: make(chan string, 100), done: make(chan int, 1)}
	go func() {
		code := runOn(s.Name, append([]string{"gorosync-cmapctl"}, args...), inR, outW, &r.errb)
		outW.Close()
		r.done <- code
	}()
	go func() {
		sc := bufio.NewScanner(outR)
		for sc.Scan() {
			r.lines <- sc.Text()
		}
		close(r.lines)
	}()
	t.Cleanup(func() { inW.Close() })
	return r
}

func (r *running) line(t *testing.T) string {
	t.Helper()
	select {
	case l := <-r.lines:
		return l
	case <-time.After(5 * time.Second):
		t.Fatal("no output line")
	}
	return ""
}

func (r *running) exit(t *testing.T) int {
	t.Helper()
	select {
	case code := <-r.done:
		return code
	case <-time.After(5 * time.Second):
		t.Fatal("the tool did not end")
	}
	return 0
}

// waitTracks waits for the store to have n tracks.
func waitTracks(t *testing.T, s *cmapclienttest.Server, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for got := -1; got != n; time.Sleep(2 * time.Millisecond) {
		s.Do(t, func() { got = s.Store().Tracks() })
		if time.Now().After(deadline) {
			t.Fatalf("%d tracks, want %d", got, n)
		}
	}
}

// TestTrackEnds: tracking ends at the end of its input (corosync-cmapctl
// spins at the end of a pipe) and at a "q" line even when it comes in
// one write with other lines.
func TestTrackEnds(t *testing.T) {
	s := cmapclienttest.Start(t, cmapclienttest.Config{})
	for name, input := range map[string]string{"end of input": "", "q after a line": "xq\nabc\nq\n"} {
		t.Run(name, func(t *testing.T) {
			s.Do(t, func() { s.Store().Delete("end.a") })
			r := startRun(t, s, "-T", "end.")
			if l := r.line(t); l != `Type "q" to finish` {
				t.Fatalf("%q", l)
			}
			waitTracks(t, s, 1)
			s.Do(t, func() { s.Store().Set("end.a", cmap.Int(cmap.U8, 1)) })
			if l := r.line(t); l != "create> end.a (u8) = 1" {
				t.Errorf("%q", l)
			}
			io.WriteString(r.in, input)
			r.in.Close()
			if code := r.exit(t); code != 0 || r.errb.String() != "" {
				t.Errorf("exit %d, stderr %q", code, r.errb.String())
			}
			waitTracks(t, s, 0)
		})
	}
}

// TestTrackServerGone: when the daemon goes, tracking ends with
// corosync-cmapctl's "Dispatch error" (and status 0, as its).
func TestTrackServerGone(t *testing.T) {
	var r *running
	parent := t
	t.Run("serve", func(t *testing.T) {
		s := cmapclienttest.Start(t, cmapclienttest.Config{})
		// The tool's input belongs to the parent test: were it closed with
		// the server, the tool could end on end of input first.
		r = startRun(parent, s, "-t", "gone.key")
		r.line(t)
		waitTracks(t, s, 1)
	}) // the server stops here
	if code := r.exit(t); code != 0 || r.errb.String() != "Dispatch error CS_ERR_LIBRARY\n" {
		t.Errorf("exit %d, stderr %q", code, r.errb.String())
	}
}

// TestTrackJSON: -T --json prints one JSON object per change; the prompt
// goes to stderr.
func TestTrackJSON(t *testing.T) {
	s := cmapclienttest.Start(t, cmapclienttest.Config{})
	r := startRun(t, s, "--json", "-T", "js.")
	waitTracks(t, s, 1)
	s.Do(t, func() {
		st := s.Store()
		st.Set("js.a", cmap.Str("x"))
		st.Set("js.a", cmap.Value{Type: cmap.Binary, Data: []byte{1}})
		st.Delete("js.a")
	})
	type ev struct {
		Event, Key, Type string
		Value            any
	}
	want := []ev{{"create", "js.a", "str", "x"}, {"modify", "js.a", "bin", "AQ=="}, {"delete", "js.a", "bin", "AQ=="}}
	for _, w := range want {
		var got ev
		l := r.line(t)
		if err := json.Unmarshal([]byte(l), &got); err != nil || got != w {
			t.Errorf("%s: %+v %v, want %+v", l, got, err, w)
		}
	}
	r.in.Close()
	if code := r.exit(t); code != 0 || r.errb.String() != "Type \"q\" to finish\n" {
		t.Errorf("exit %d, stderr %q", code, r.errb.String())
	}
}

// TestJSONEmpty: an empty listing is an empty array, and still fails as
// corosync-cmapctl's does.
func TestJSONEmpty(t *testing.T) {
	s := cmapclienttest.Start(t, cmapclienttest.Config{})
	var out, errb strings.Builder
	code := runOn(s.Name, []string{"x", "--json", "none."}, strings.NewReader(""), &out, &errb)
	if code != 1 || out.String() != "[]\n" || errb.String() != "" {
		t.Errorf("exit %d, %q, stderr %q", code, out.String(), errb.String())
	}
}

// TestTryAgain: a daemon that is not ready yet (CS_ERR_TRY_AGAIN) is
// asked again a second apart, 10 times at most, as corosync-cmapctl does.
func TestTryAgain(t *testing.T) {
	var ready atomic.Bool
	s := cmapclienttest.Start(t, cmapclienttest.Config{Ready: ready.Load})
	s.Do(t, func() { s.Store().Set("ta.key", cmap.Int(cmap.U8, 7)) })
	for _, c := range []struct {
		readyAfter int // sleeps
		code       int
		out, errs  string
		sleeps     int
	}{
		{3, 0, "ta.key (u8) = 7\n", "", 3},
		{-1, 1, "", "Failed to initialize the cmap API. Error CS_ERR_TRY_AGAIN\n", maxTryAgain},
	} {
		ready.Store(false)
		var out, errb strings.Builder
		tl := newTool(&out, &errb)
		tl.service, tl.cfg = s.Name, config{action: actGet, args: []string{"ta.key"}}
		sleeps := 0
		tl.sleep = func(d time.Duration) {
			if d != time.Second {
				t.Errorf("sleep %v", d)
			}
			if sleeps++; sleeps == c.readyAfter {
				ready.Store(true)
			}
		}
		code := tl.do(strings.NewReader(""))
		tl.out.Flush()
		if code != c.code || out.String() != c.out || errb.String() != c.errs || sleeps != c.sleeps {
			t.Errorf("exit %d %q %q after %d sleeps, want %d %q %q after %d", code, out.String(), errb.String(), sleeps,
				c.code, c.out, c.errs, c.sleeps)
		}
	}
}
