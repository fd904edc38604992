package cpg_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorosync/gorosync/services/cpg"
	"github.com/gorosync/gorosync/services/cpg/cpgclient"
	"github.com/gorosync/gorosync/services/cpg/cpgtest"
	"github.com/gorosync/gorosync/shm"
	"github.com/gorosync/gorosync/shm/shmtest"
)

// Debian's libcpg and corosync-cpgtool connect only to the real socket
// names "cpg" and "cfg", so these tests serve them inside a private
// network namespace (shmtest.InNetns), where abstract unix sockets are
// private too.

// startReal serves "cpg" and a fake "cfg" on a one-node cluster (inside
// the private network namespace).
func startReal(t *testing.T) *cpgtest.Cluster {
	return cpgtest.Start(t, cpgtest.Options{
		Name: func(uint32) string { return "cpg" },
		Extra: func(uint32) []shm.Service {
			return []shm.Service{{Name: "cfg", Handler: &cpgtest.FakeCfg{Local: 1,
				Addrs: map[uint32][]netip.Addr{1: {netip.MustParseAddr("198.18.1.1")}}}}}
		},
	})
}

func goClient(t *testing.T, pid uint32) *cpgclient.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cl, err := cpgclient.Initialize(ctx, cpgclient.Options{PID: pid})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

func buildCClient(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "cpgclient")
	out, err := exec.Command("gcc", "-O2", "-Wall", "-o", bin, "testdata/cpgclient.c", "-lcpg").CombinedOutput()
	if err != nil {
		if bytes.Contains(out, []byte("cpg.h")) || bytes.Contains(out, []byte("lcpg")) {
			t.Skipf("libcpg development files missing (libcpg-dev, libcorosync-common-dev): %s", out)
		}
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	return bin
}

// Debian's libcpg against the in-process service: a C client joins (with
// the initial totem confchg), multicasts messages of 64 B to 1 MiB (libcpg
// fragments the last) and one through libcpg's zero-copy buffers, and
// receives them and a Go client's message; the Go client sees the same.
func TestLibcpg(t *testing.T) {
	if !shmtest.InNetns(t, 3*time.Minute, "gcc") {
		return
	}
	bin := buildCClient(t)
	startReal(t)
	// The Go client claims pid 1 so that it sorts first in every member list
	// (members are ordered by node and pid; real pids wrap below any other
	// fixed choice).
	g := goClient(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := g.Join(ctx, []byte("cgrp")); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Recv(ctx); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, bin, "-g", "cgrp", "-i", "-w", "2",
		"-s", "64", "-s", "1024", "-s", "65536", "-s", "1048576", "-z", "100", "-e", "6")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	// The Go client sees the C client join, sends one message, then
	// receives the C client's five and its leave.
	var cpid uint32
	var seen []string
	for done := false; !done; {
		m, err := g.Recv(ctx)
		if err != nil {
			t.Fatalf("go client: %v (seen %q)", err, seen)
		}
		switch m.Kind {
		case cpgclient.Confchg:
			seen = append(seen, fmt.Sprintf("confchg %v %v %v", m.Members, m.Left, m.Joined))
			if len(m.Joined) == 1 && cpid == 0 {
				cpid = m.Joined[0].PID
				if err := g.Mcast(ctx, cpg.Agreed, []byte("hey")); err != nil {
					t.Fatal(err)
				}
			}
			if len(m.Left) == 1 {
				done = true
			}
		case cpgclient.Deliver:
			seen = append(seen, fmt.Sprintf("deliver %d/%d %d %v", m.NodeID, m.PID, len(m.Data), patternOK(m.Data)))
		}
	}
	err = cmd.Wait()
	var out []string
	for l := range lines {
		out = append(out, l)
	}
	if err != nil {
		t.Fatalf("C client: %v\n%s\nstderr: %s", err, strings.Join(out, "\n"), stderr.String())
	}
	t.Logf("C client:\n%s", strings.Join(out, "\n"))
	p := fmt.Sprint(cpid)
	// The Go client's message may come anywhere among the C client's:
	// both see the same order (checked below), the rest is fixed.
	var cOrder, cRest []string
	for _, l := range out {
		if strings.HasPrefix(l, "deliver ") {
			f := strings.Fields(l) // deliver GROUP from N/P LEN ok
			cOrder = append(cOrder, f[3]+" "+f[4])
			if f[3] == "1/1" {
				if l != "deliver cgrp from 1/1 3 ok" {
					t.Errorf("C client: %q", l)
				}
				continue
			}
		}
		cRest = append(cRest, l)
	}
	want := strings.Join([]string{
		"local 1",
		"max_atomic 1047552",
		"confchg cgrp members [1/1 1/" + p + "] left [] joined [1/" + p + ":1]",
		"totem 1.4 [1]",
		"deliver cgrp from 1/" + p + " 64 ok",
		"deliver cgrp from 1/" + p + " 1024 ok",
		"deliver cgrp from 1/" + p + " 65536 ok",
		"deliver cgrp from 1/" + p + " 1048576 ok",
		"deliver cgrp from 1/" + p + " 100 ok",
		"membership [1/1 1/" + p + "]",
		"confchg cgrp members [1/1] left [1/" + p + ":2] joined []",
	}, "\n")
	if got := strings.Join(cRest, "\n"); got != want {
		t.Errorf("C client printed\n%s\nwant\n%s", got, want)
	}
	var goOrder, goRest []string
	for _, l := range seen {
		if strings.HasPrefix(l, "deliver ") {
			f := strings.Fields(l) // deliver N/P LEN ok
			goOrder = append(goOrder, f[1]+" "+f[2])
			if f[1] == "1/1" {
				continue
			}
		}
		goRest = append(goRest, l)
	}
	wantGo := strings.Join([]string{
		"confchg [{1 1 -} {1 " + p + " -}] [] [{1 " + p + " join}]",
		"deliver 1/" + p + " 64 true",
		"deliver 1/" + p + " 1024 true",
		"deliver 1/" + p + " 65536 true",
		"deliver 1/" + p + " 1048576 true",
		"deliver 1/" + p + " 100 true",
		"confchg [{1 1 -}] [{1 " + p + " leave}] []",
	}, "\n")
	if s := strings.Join(goRest, "\n"); s != wantGo {
		t.Errorf("Go client saw\n%s\nwant\n%s", s, wantGo)
	}
	if fmt.Sprint(cOrder) != fmt.Sprint(goOrder) || len(cOrder) != 6 {
		t.Errorf("delivery orders differ:\nC  %v\nGo %v", cOrder, goOrder)
	}
}

// patternOK checks the C client's message pattern (see cpgclient.c).
func patternOK(b []byte) bool {
	if len(b) < 4 {
		return true
	}
	m := uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
	for k := 4; k < len(b); k++ {
		if b[k] != byte((m*31+uint32(k))&0xff) {
			return false
		}
	}
	return true
}

const cpgtoolBin = "/usr/sbin/corosync-cpgtool"

// Debian's corosync-cpgtool against the in-process service (and the fake
// cfg for node addresses): every mode prints the groups and processes in
// corosync's iteration order, escaping names as corosync does.
func TestCorosyncCpgtool(t *testing.T) {
	if !shmtest.InNetns(t, 3*time.Minute, cpgtoolBin) {
		return
	}
	startReal(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, p := range []struct {
		pid   uint32
		group string
	}{{11, "alpha"}, {12, "alpha"}, {13, "b\\e\x01t\x80a"}, {14, "cib\x00"}} {
		cl := goClient(t, p.pid)
		if err := cl.Join(ctx, []byte(p.group)); err != nil {
			t.Fatal(err)
		}
		if _, err := cl.Recv(ctx); err != nil {
			t.Fatal(err)
		}
	}
	run := func(args ...string) string {
		out, err := exec.CommandContext(ctx, cpgtoolBin, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("corosync-cpgtool %q: %v\n%s", args, err, out)
		}
		return string(out)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "Group Name\t       PID\t   Node ID\n" +
			"cib\\x00\n\t\t        14\t         1 (198.18.1.1)\n" +
			"b\\\\e\\x01t\\xFFFFFF80a\n\t\t        13\t         1 (198.18.1.1)\n" +
			"alpha\n\t\t        11\t         1 (198.18.1.1)\n\t\t        12\t         1 (198.18.1.1)\n"},
		{[]string{"-n"}, "cib\\x00\nb\\\\e\\x01t\\xFFFFFF80a\nalpha\n"},
		{[]string{"-e", "-n"}, "cib\x00\nb\\e\x01t\x80a\nalpha\n"},
		{[]string{"-d", ";"}, "GRP_NAME;PID;NODEID\ncib\\x00;14;1\nb\\\\e\\x01t\\xFFFFFF80a;13;1\nalpha;11;1\nalpha;12;1\n"},
		{[]string{"-n", "-d", ","}, "cib\\x00,b\\\\e\\x01t\\xFFFFFF80a,alpha,\n"},
	} {
		if got := run(c.args...); got != c.want {
			t.Errorf("corosync-cpgtool %q:\n%q\nwant\n%q", c.args, got, c.want)
		}
	}
}
