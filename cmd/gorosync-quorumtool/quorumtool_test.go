package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gorosync/gorosync/services"
	"github.com/gorosync/gorosync/services/votequorum"
	"github.com/gorosync/gorosync/services/votequorum/vqclient"
	"github.com/gorosync/gorosync/shm/shmtest"
)

var nativeLE = binary.LittleEndian

// The side-by-side tests serve cmap, quorum, votequorum and cfg under
// their real socket names, so they run in a private network namespace
// (abstract unix sockets are per network namespace): TestSideBySide
// re-executes the test binary under `unshare --net` (shmtest.InNetns),
// and the child runs Debian's corosync-quorumtool and this tool against
// an in-process server.

const debianTool = "/usr/sbin/corosync-quorumtool"

func TestSideBySide(t *testing.T) {
	if shmtest.InNetns(t, 3*time.Minute, debianTool) {
		sideBySide(t)
	}
}

// result is one tool run.
type result struct {
	out, err string
	code     int
}

func debian(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, debianTool, args...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("corosync-quorumtool %q: %v", args, err)
	}
	return result{out.String(), errb.String(), code}
}

func ours(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out, errb strings.Builder
	code := run(ctx, "gorosync-quorumtool", args, &out, &errb)
	return result{out.String(), errb.String(), code}
}

// withoutDate drops the Date: lines (the clock differs between runs).
func withoutDate(s string) []string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(l, "Date:") {
			keep = append(keep, l)
		}
	}
	return keep
}

// same runs both tools with args and compares stdout line by line (dates
// excluded), stderr and the exit code; it returns Debian's result.
func same(t *testing.T, args ...string) result {
	t.Helper()
	d, g := debian(t, args...), ours(t, args...)
	dl, gl := withoutDate(d.out), withoutDate(g.out)
	for i := range max(len(dl), len(gl)) {
		var a, b string
		if i < len(dl) {
			a = dl[i]
		}
		if i < len(gl) {
			b = gl[i]
		}
		if a != b {
			t.Errorf("%q line %d:\ncorosync-quorumtool %q\ngorosync-quorumtool %q", args, i+1, a, b)
		}
	}
	if d.code != g.code || d.err != g.err {
		t.Errorf("%q: corosync-quorumtool exit %d stderr %q; gorosync-quorumtool exit %d stderr %q", args, d.code, d.err, g.code, g.err)
	}
	return d
}

func sideBySide(t *testing.T) {
	t.Run("qdevice", qdeviceBoth)
	t.Run("no provider", func(t *testing.T) {
		startServer(t, strings.Replace(testConf, " provider: corosync_votequorum\n", "", 1))
		same(t, "-l")
		same(t, "-e", "3")
		// corosync-quorumtool 3.1.7 takes "no provider" (-1) for "using
		// votequorum" in -s and -m and fails on the handle it never opened;
		// this tool shows the status (always quorate).
		for _, args := range [][]string{{"-s"}, {"-m"}} {
			d, g := debian(t, args...), ours(t, args...)
			if d.code != 1 || d.err != "Unable to start votequorum status tracking: CS_ERR_BAD_HANDLE\n" {
				t.Errorf("corosync-quorumtool %q without a provider: %+v", args, d)
			}
			if g.code != 0 || g.err != "" || !strings.Contains(g.out, "Quorum provider:  Not configured\nNodes:            0\nNode ID:          0\nRing ID:          0\nQuorate:          Yes\n") {
				t.Errorf("gorosync-quorumtool %q without a provider: %+v", args, g)
			}
		}
	})
	s := startServer(t, testConf)
	t.Run("status", func(t *testing.T) {
		d := same(t, "-s")
		// Node 3 has no name: both tools look its address up, which fails
		// without a resolver in the namespace (an empty name).
		if d.code != 0 || !strings.Contains(d.out, "Quorate:          Yes\n") || !strings.Contains(d.out, "\n         3          1 \n") {
			t.Errorf("corosync-quorumtool -s: exit %d\n%s", d.code, d.out)
		}
		t.Logf("-s:\n%s", d.out)
		same(t) // -s is the default
	})
	t.Run("list", func(t *testing.T) {
		for _, args := range [][]string{{"-l"}, {"-l", "-p"}, {"-s", "-H"}, {"-l", "-i"}, {"-l", "-o", "n"}, {"-l", "-o", "i"}, {"-s", "-p", "-a"}} {
			same(t, args...)
		}
	})
	t.Run("errors", func(t *testing.T) {
		for _, args := range [][]string{{"-e", "0"}, {"-e", "x"}, {"-v", "-1"}, {"-n", "0"}, {"-o", "z"}, {"-e", "1"}, {"-v", "1", "-n", "9"}} {
			same(t, args...)
		}
	})
	t.Run("set", func(t *testing.T) { setBoth(t, s) })
	t.Run("inquorate", func(t *testing.T) {
		s.Do(t, func() {
			s.bus.Crash(2)
			s.bus.Crash(3)
			s.bus.Form(1)
		})
		deadline := time.Now().Add(10 * time.Second)
		for q := true; q; {
			s.Do(t, func() { q = s.nodes[1].vq.Quorate() })
			if time.Now().After(deadline) {
				t.Fatal("node 1 still quorate")
			}
			time.Sleep(5 * time.Millisecond)
		}
		d := same(t, "-s")
		if d.code != 2 || !strings.Contains(d.out, "Activity blocked") {
			t.Errorf("corosync-quorumtool -s, inquorate: exit %d\n%s", d.code, d.out)
		}
		t.Logf("-s inquorate:\n%s", d.out)
		same(t, "-l")
	})
	t.Run("json", func(t *testing.T) {
		g := ours(t, "-s", "--json")
		var doc jsonDoc
		if err := json.Unmarshal([]byte(g.out), &doc); err != nil || doc.Quorate == nil || *doc.Quorate || len(doc.Members) != 1 || doc.Members[0].Name != "n1" {
			t.Errorf("--json: %v\n%s", err, g.out)
		}
		if g.code != 2 {
			t.Errorf("--json -s inquorate: exit %d", g.code)
		}
	})
}

// setBoth changes expected votes and votes with each tool in turn and
// checks the engines took it.
func setBoth(t *testing.T, s *server) {
	expected := func() (e uint32) {
		s.Do(t, func() { e = s.nodes[2].vq.ExpectedVotes() })
		return e
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("%s never happened", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	if d := debian(t, "-e", "4"); d.code != 0 {
		t.Fatalf("corosync-quorumtool -e 4: %+v", d)
	}
	waitFor("expected votes 4", func() bool { return expected() == 4 })
	if g := ours(t, "-e", "5"); g.code != 0 {
		t.Fatalf("gorosync-quorumtool -e 5: %+v", g)
	}
	waitFor("expected votes 5", func() bool { return expected() == 5 })
	votes := func(id uint32) (v uint32) {
		s.Do(t, func() { in, _ := s.nodes[1].vq.GetInfo(id); v = in.Votes })
		return v
	}
	if d := debian(t, "-v", "2", "-n", "3"); d.code != 0 {
		t.Fatalf("corosync-quorumtool -v 2 -n 3: %+v", d)
	}
	waitFor("node 3 votes 2", func() bool { return votes(3) == 2 })
	if g := ours(t, "-v", "3"); g.code != 0 {
		t.Fatalf("gorosync-quorumtool -v 3: %+v", g)
	}
	waitFor("node 1 votes 3", func() bool { return votes(1) == 3 })
	same(t, "-s")
	t.Run("monitor", func(t *testing.T) { monitorBoth(t, s) })
}

// monitorBoth runs -m with both tools and compares what each prints up
// to the status after a membership change.
func monitorBoth(t *testing.T, s *server) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/usr/bin/stdbuf", "-oL", debianTool, "-m")
	dout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Skipf("stdbuf: %v", err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	pr, pw := io.Pipe()
	gctx, gcancel := context.WithCancel(ctx)
	done := make(chan int)
	go func() { done <- run(gctx, "gorosync-quorumtool", []string{"-m"}, pw, io.Discard); pw.Close() }()
	defer func() { gcancel(); <-done }()
	dr, gr := bufio.NewReader(dout), bufio.NewReader(pr)
	first := [2][]string{readBlock(t, dr), readBlock(t, gr)}
	s.Do(t, func() { s.bus.Crash(3); s.bus.Form(1, 2) })
	second := [2][]string{readBlock(t, dr), readBlock(t, gr)}
	for i, b := range [][2][]string{first, second} {
		if strings.Join(withoutDate(strings.Join(b[0], "\n")), "\n") != strings.Join(withoutDate(strings.Join(b[1], "\n")), "\n") {
			t.Errorf("-m block %d:\ncorosync-quorumtool:\n%s\ngorosync-quorumtool:\n%s", i+1, strings.Join(b[0], "\n"), strings.Join(b[1], "\n"))
		}
	}
	if !strings.Contains(strings.Join(second[0], "\n"), "Nodes:            2") {
		t.Errorf("the second block is not the two-node membership:\n%s", strings.Join(second[0], "\n"))
	}
}

// readBlock reads one -m status: up to the blank line after the
// membership table (a line of only a newline following the table).
func readBlock(t *testing.T, r *bufio.Reader) []string {
	t.Helper()
	type line struct {
		s   string
		err error
	}
	var lines []string
	inTable := false
	for {
		ch := make(chan line, 1)
		go func() { s, err := r.ReadString('\n'); ch <- line{s, err} }()
		select {
		case l := <-ch:
			if l.err != nil {
				t.Fatalf("reading -m: %v after %q", l.err, lines)
			}
			s := strings.TrimSuffix(l.s, "\n")
			if s == "" && inTable {
				return lines
			}
			if strings.Contains(s, "Nodeid") {
				inTable = true
			}
			lines = append(lines, s)
		case <-time.After(10 * time.Second):
			t.Fatalf("-m printed nothing more after %q", lines)
		}
	}
}

// qdeviceBoth registers a quorum device (the Go client playing
// corosync-qdevice) and compares the tables that show it; then -f
// unregisters it with each tool.
func qdeviceBoth(t *testing.T) {
	s := startServer(t, strings.Replace(testConf, "provider: corosync_votequorum", "provider: corosync_votequorum\n device {\n  model: net\n }", 1))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dev, err := vqclient.Dial(ctx, vqclient.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	register := func() {
		t.Helper()
		if err := dev.QdeviceRegister(ctx, "Qdevice"); err != nil {
			t.Fatalf("register: %v", err)
		}
		var ring services.RingID
		s.Do(t, func() { _, ring = s.nodes[1].q.View() })
		if err := dev.QdevicePoll(ctx, "Qdevice", true, ring); err != nil {
			t.Fatalf("poll: %v", err)
		}
	}
	register()
	d := same(t, "-s")
	if !strings.Contains(d.out, "   Qdevice ") || !strings.Contains(d.out, "A,V,NMW") || !strings.Contains(d.out, "\n         0          2            Qdevice\n") {
		t.Errorf("corosync-quorumtool -s with a quorum device:\n%s", d.out)
	}
	t.Logf("-s with a quorum device:\n%s", d.out)
	same(t, "-l")
	same(t, "-l", "-p", "-H")
	registered := func() (r bool) {
		s.Do(t, func() { in, _ := s.nodes[1].vq.GetInfo(0); r = in.Flags&votequorum.InfoQdeviceRegistered != 0 })
		return r
	}
	if g := ours(t, "-f"); g.code != 0 || registered() {
		t.Errorf("gorosync-quorumtool -f: %+v, registered %v", g, registered())
	}
	register()
	if d := debian(t, "-f"); d.code != 0 || registered() {
		t.Errorf("corosync-quorumtool -f: %+v, registered %v", d, registered())
	}
	same(t, "-f") // nothing registered: both succeed
}
