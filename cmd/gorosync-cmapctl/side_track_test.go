package main

import (
	"bufio"
	"context"
	"io"
	"math"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gorosync/gorosync/services/cmap"
)

// trackRun is one tool tracking, its output read line by line.
type trackRun struct {
	cmd   *exec.Cmd
	in    io.WriteCloser
	lines chan string
	got   []string
	errb  strings.Builder
}

func startTrack(t *testing.T, ctx context.Context, c bool, args ...string) *trackRun {
	t.Helper()
	cmd := toolCmd(ctx, c, args...)
	if c { // line-buffered, or its output would come at exit only
		cmd = exec.CommandContext(ctx, "/usr/bin/stdbuf", append([]string{"-oL", debianTool}, args...)...)
		cmd.WaitDelay = 2 * time.Second
	}
	tr := &trackRun{cmd: cmd, lines: make(chan string, 100)}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	tr.in = in
	cmd.Stderr = &tr.errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			tr.lines <- sc.Text()
		}
		close(tr.lines)
	}()
	return tr
}

// read collects n lines (bounded by ctx).
func (tr *trackRun) read(t *testing.T, ctx context.Context, n int) {
	t.Helper()
	for len(tr.got) < n {
		select {
		case l, ok := <-tr.lines:
			if !ok {
				t.Fatalf("tool exited after %q (stderr %q)", tr.got, tr.errb.String())
			}
			tr.got = append(tr.got, l)
		case <-ctx.Done():
			t.Fatalf("timeout; got %q (stderr %q)", tr.got, tr.errb.String())
		}
	}
}

// stop ends the tool with input and returns its exit error.
func (tr *trackRun) stop(input string) error {
	if input != "" {
		tr.in.Write([]byte(input))
	}
	tr.in.Close()
	for range tr.lines { // drain what is left
	}
	return tr.cmd.Wait()
}

func (sd *side) trackScenarios(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		changes func(st *cmap.Store)
		lines   int // output lines to wait for, the "Type q" line included
	}{
		{[]string{"-T", "test.trk."}, func(st *cmap.Store) {
			st.Set("test.trk.b", cmap.Int(cmap.U32, 1))
			st.Set("test.trk.b", cmap.Int(cmap.U32, 2))
			st.Set("test.trk.b", cmap.Int(cmap.U32, 2)) // identical: no event
			st.Set("test.other", cmap.Int(cmap.U32, 1))
			st.Set("test.trk.a", cmap.Str("now a string"))
			st.Delete("test.trk.b")
			st.Set("test.trk.f", cmap.FloatValue(cmap.Double, math.Inf(-1)))
		}, 6},
		{[]string{"-b", "-t", "test.trk.bin", "test.trk.x"}, func(st *cmap.Store) {
			st.Set("test.trk.bin", cmap.Value{Type: cmap.Binary, Data: []byte{0, 'a', '\\', 0x80}})
			st.Set("test.trk.binx", cmap.Int(cmap.U8, 1)) // not a tracked key
			st.Set("test.trk.x", cmap.Int(cmap.I8, 0xff))
			st.Delete("test.trk.bin")
		}, 4},
		{[]string{"-q", "-T", "test.trk.", "test.u8"}, func(st *cmap.Store) {
			st.Set("test.trk.q", cmap.Str("quiet"))
			st.Set("test.u8", cmap.Int(cmap.U8, 1))
			st.Set("test.u8x", cmap.Int(cmap.U8, 1))
			st.Set("test.trk.bin", cmap.Value{Type: cmap.Binary, Data: []byte{1}})
		}, 5},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			sd.reset(t)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var tracks int
			sd.s.Do(t, func() { tracks = sd.s.Store().Tracks() })
			runs := []*trackRun{startTrack(t, ctx, true, tc.args...), startTrack(t, ctx, false, tc.args...)}
			for _, tr := range runs {
				tr.read(t, ctx, 1) // "Type "q" to finish": the tracks are there
			}
			sd.s.Do(t, func() { tc.changes(sd.s.Store()) })
			for _, tr := range runs {
				tr.read(t, ctx, tc.lines)
			}
			// "q" in one write: corosync-cmapctl reads stdin through stdio
			// after a poll, so it sees only the first piece of a write,
			// and at the end of a pipe it spins without ever quitting.
			var errs [2]error
			for i, tr := range runs {
				errs[i] = tr.stop("q\n")
			}
			c, g := runs[0], runs[1]
			if strings.Join(c.got, "\n") != strings.Join(g.got, "\n") || c.errb.String() != g.errb.String() || errs[0] != nil || errs[1] != nil {
				t.Errorf("corosync-cmapctl (%v):\n%s\nstderr %q\ngorosync-cmapctl (%v):\n%s\nstderr %q",
					errs[0], strings.Join(c.got, "\n"), c.errb.String(), errs[1], strings.Join(g.got, "\n"), g.errb.String())
			}
			t.Logf("%s", strings.Join(c.got, "\n"))
			deadline := time.Now().Add(5 * time.Second)
			for left := -1; left != tracks; time.Sleep(5 * time.Millisecond) {
				sd.s.Do(t, func() { left = sd.s.Store().Tracks() })
				if time.Now().After(deadline) {
					t.Fatalf("%d tracks left, want %d", left, tracks)
				}
			}
		})
	}
}
