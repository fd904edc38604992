package main

import (
	"context"
	"encoding/json"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/gorosync/gorosync/services/cpg/cpgclient"
	"github.com/gorosync/gorosync/services/cpg/cpgtest"
	"github.com/gorosync/gorosync/shm"
	"github.com/gorosync/gorosync/shm/shmtest"
)

// The side-by-side test serves "cpg" and "cfg" under their real names,
// so it runs in a private network namespace (abstract unix sockets are
// per namespace): TestSideBySide re-executes the test binary under
// `unshare --net` (shmtest.InNetns), and the child compares both tools'
// output.

const corosyncBin = "/usr/sbin/corosync-cpgtool"

func TestSideBySide(t *testing.T) {
	if shmtest.InNetns(t, 2*time.Minute, corosyncBin) {
		sideBySide(t)
	}
}

func sideBySide(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	both := func(args ...string) {
		t.Helper()
		c := exec.CommandContext(ctx, corosyncBin, args...)
		var cout, cerr strings.Builder
		c.Stdout, c.Stderr = &cout, &cerr
		cerrRun := c.Run()
		var gout, gerr strings.Builder
		code := run(ctx, corosyncBin, args, &gout, &gerr)
		ccode := 0
		if cerrRun != nil {
			ccode = c.ProcessState.ExitCode()
		}
		if gout.String() != cout.String() || gerr.String() != cerr.String() || code != ccode {
			t.Errorf("%q:\ncorosync-cpgtool (exit %d):\n%q\n%q\ngorosync-cpgtool (exit %d):\n%q\n%q",
				args, ccode, cout.String(), cerr.String(), code, gout.String(), gerr.String())
		}
	}
	// No service yet: both fail to connect.
	both()
	cluster := cpgtest.Start(t, cpgtest.Options{
		Nodes: []uint32{1, 2},
		Name:  func(n uint32) string { return map[uint32]string{1: "cpg", 2: "cpg-node2"}[n] },
		Extra: func(n uint32) []shm.Service {
			if n != 1 {
				return nil
			}
			return []shm.Service{{Name: "cfg", Handler: &cpgtest.FakeCfg{Local: 1, Addrs: map[uint32][]netip.Addr{
				1: {netip.MustParseAddr("198.18.1.1"), netip.MustParseAddr("198.18.2.1")},
				2: {netip.MustParseAddr("198.18.1.2")},
			}}}}
		},
	})
	both()
	both("-n")
	both("-d", ",")
	for _, p := range []struct {
		service string
		pid     uint32
		group   string
	}{
		{"cpg", 11, "crmd\x00"}, {"cpg-node2", 21, "crmd\x00"}, {"cpg", 12, "cib\x00"},
		{"cpg-node2", 22, "w\\e\x01i\x80rd"}, {"cpg", 13, "crmd\x00"}, {"cpg-node2", 23, ""},
	} {
		cl, err := cpgclient.Initialize(ctx, cpgclient.Options{Service: p.service, PID: p.pid})
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		if err := cl.Join(ctx, []byte(p.group)); err != nil {
			t.Fatal(err)
		}
		if _, err := cl.Recv(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if !cluster.Until(t, 5*time.Second, func() bool {
		return len(cluster.Engines[1].Snapshot()) == 6 && len(cluster.Engines[2].Snapshot()) == 6
	}) {
		t.Fatal("the joins never reached both nodes")
	}
	for _, args := range [][]string{
		nil, {"-n"}, {"-e"}, {"-e", "-n"}, {"-d", ","}, {"-d", ";", "-n"}, {"-ed|"}, {"-h"}, {"-x"}, {"-d"}, {"-d", ""},
	} {
		both(args...)
	}
	var out, errs strings.Builder
	if code := run(ctx, "gorosync-cpgtool", []string{"--json"}, &out, &errs); code != 0 {
		t.Fatalf("--json: exit %d %s", code, errs.String())
	}
	var doc struct {
		Groups []jsonGroup `json:"groups"`
	}
	if err := json.Unmarshal([]byte(out.String()), &doc); err != nil || len(doc.Groups) != 4 {
		t.Fatalf("--json: %v\n%s", err, out.String())
	}
	t.Logf("--json:\n%s", out.String())
}
