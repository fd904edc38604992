package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorosync/gorosync/services/cfg"
	"github.com/gorosync/gorosync/services/cfg/cfgclient"
	"github.com/gorosync/gorosync/services/cfg/cfgtest"
	"github.com/gorosync/gorosync/services/cserror"
	"github.com/gorosync/gorosync/shm/shmtest"
)

// The tool tests serve cmap and cfg under their real names, so they run in
// a private network namespace (abstract unix sockets are per namespace):
// TestCfgtool re-executes the test binary under `unshare --net`
// (shmtest.InNetns), and the child runs Debian's corosync-cfgtool and this
// tool against the same in-process test cluster (services/cfg/cfgtest:
// three udpu nodes, 198.18.1.1-3, as in the recorded corosync cluster).

const debianTool = "/usr/sbin/corosync-cfgtool"

// recordedS is corosync-cfgtool -s on node 1 of the recorded corosync
// 3.1.7 cluster (shared/data/corosync-3.1.7-udpu/cfgtool-s.txt): the
// test cluster has the same shape, so the output is the same.
const recordedS = "Local node ID 1, transport udpu\n" +
	"LINK ID 0 \n" +
	"\taddr\t= 198.18.1.3\n" +
	"\tstatus:\n" +
	"\t\tnodeid:          1:\tlocalhost\n" +
	"\t\tnodeid:          2:\tconnected\n" +
	"\t\tnodeid:          3:\tconnected\n"

func TestCfgtool(t *testing.T) {
	if shmtest.InNetns(t, 2*time.Minute, debianTool) {
		cfgtoolChild(t)
	}
}

// result is one tool run.
type result struct {
	out, err string
	rc       int
}

func debian(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, debianTool, args...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	rc := 0
	if ee, ok := err.(*exec.ExitError); ok {
		rc = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("corosync-cfgtool %q: %v", args, err)
	}
	return result{out.String(), errb.String(), rc}
}

func ours(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out, errb bytes.Buffer
	rc := run(ctx, progName, args, &out, &errb)
	return result{out.String(), errb.String(), rc}
}

// both runs the two tools and checks they agree on everything.
func both(t *testing.T, args ...string) result {
	t.Helper()
	d := debian(t, args...)
	o := ours(t, args...)
	if d != o {
		t.Errorf("%q:\ncorosync-cfgtool rc %d\n%s%s\ngorosync-cfgtool rc %d\n%s%s", args, d.rc, d.out, d.err, o.rc, o.out, o.err)
	}
	return d
}

func cfgtoolChild(t *testing.T) {
	t.Run("no daemon", noDaemon)
	cl := cfgtest.Start(t, cfgtest.Options{})

	t.Run("status", func(t *testing.T) {
		if r := both(t, "-s"); r.out != recordedS || r.rc != 0 {
			t.Errorf("-s: rc %d\n%s\nwant the recorded\n%s", r.rc, r.out, recordedS)
		}
		// -i: corosync-cfgtool 3.1.7 ignores it; this tool filters as the
		// manual says.
		for _, sel := range []string{"0", "198.18.1.3"} {
			if r := ours(t, "-s", "-i", sel); r.out != recordedS {
				t.Errorf("-s -i %s:\n%s", sel, r.out)
			}
		}
		if r := ours(t, "-s", "-i", "1"); r.out != "Local node ID 1, transport udpu\n" {
			t.Errorf("-s -i 1:\n%s", r.out)
		}
		brief := strings.Replace(recordedS, "\tstatus:\n\t\tnodeid:          1:\tlocalhost\n\t\tnodeid:          2:\tconnected\n\t\tnodeid:          3:\tconnected\n", "\tstatus\t= n33\n", 1)
		if r := both(t, "-s", "-b"); r.out != brief {
			t.Errorf("-sb:\n%s", r.out)
		}
		both(t, "-bs")
		both(t, "--status", "--brief")
	})
	t.Run("nodes", func(t *testing.T) {
		want := "Local node ID 1, transport udpu\n" +
			"nodeid: 2 reachable\n   LINK: 0  (198.18.1.2) enabled connected mtu: 1500\n\n" +
			"nodeid: 3 reachable\n   LINK: 0  (198.18.1.3) enabled connected mtu: 1500\n\n"
		if r := both(t, "-n"); r.out != want || r.rc != 0 {
			t.Errorf("-n: rc %d\n%s", r.rc, r.out)
		}
	})
	t.Run("address", func(t *testing.T) {
		if r := both(t, "-a", "2"); r.out != "198.18.1.2\n" {
			t.Errorf("-a 2: %q", r.out)
		}
		if r := both(t, "-a9"); r.rc != 1 || r.err != "Could not get node address for nodeid 9\n" {
			t.Errorf("-a 9: %+v", r)
		}
		both(t, "-a", "0")
		both(t, "--address=3")
	})
	t.Run("usage and options", func(t *testing.T) {
		for _, args := range [][]string{{"-k"}, {"-k", "x"}, {"--bogus"}, {"-z"}} {
			d, o := debian(t, args...), ours(t, args...)
			if d.rc != o.rc || d.out != o.out || strings.Replace(d.err, debianTool, progName, 1) != o.err {
				t.Errorf("%q: corosync-cfgtool %+v, ours %+v", args, d, o)
			}
		}
		d, o := debian(t, "-h"), ours(t, "-h")
		if d.rc != 0 || o.rc != 0 || !strings.HasPrefix(o.out, strings.Replace(strings.TrimSuffix(d.out, "\n"), "corosync-cfgtool", progName, 1)) {
			t.Errorf("-h:\n%s\nours:\n%s", d.out, o.out)
		}
	})
	t.Run("reopen", func(t *testing.T) {
		if r := both(t, "-L"); r.rc != 0 || r.out != "" {
			t.Errorf("-L: %+v", r)
		}
	})
	t.Run("reload", func(t *testing.T) {
		if r := both(t, "-R"); r.rc != 0 || r.out != "Reloading corosync.conf...\nDone\n" {
			t.Errorf("-R: %+v", r)
		}
		for id := range cl.Nodes {
			h := cl.WaitHooks(t, id, func(h cfgtest.Hooks) bool { return len(h.Reloads) >= 2 })
			if !slices.Equal(h.Reloads, []cfg.Error{cserror.OK, cserror.OK}) {
				t.Errorf("node %d reloads %v", id, h.Reloads)
			}
		}
		os.WriteFile(cl.Local.Conf, []byte("totem {\n"), 0o644)
		defer os.WriteFile(cl.Local.Conf, []byte(cfgtest.Conf), 0o644)
		if r := both(t, "-R"); r.rc != int(cserror.ErrInvalidParam) || r.err != "Could not reload configuration. Error CS_ERR_INVALID_PARAM\n" {
			t.Errorf("-R with a broken file: %+v", r)
		}
	})
	t.Run("kill", func(t *testing.T) {
		if r := both(t, "-k", "9"); r.rc != 1 || r.out != "Killing node 9\n" || r.err != "Could not kill node (error = CS_ERR_NOT_EXIST)\n" {
			t.Errorf("-k 9: %+v", r)
		}
		if r := both(t, "-k", "2"); r.rc != 0 || r.out != "Killing node 2\n" {
			t.Errorf("-k 2: %+v", r)
		}
		h := cl.WaitHooks(t, 2, func(h cfgtest.Hooks) bool { return len(h.Kills) >= 2 })
		if !slices.Equal(h.Kills, []string{"Killed by corosync-cfgtool", "Killed by corosync-cfgtool"}) {
			t.Errorf("node 2 kills %q", h.Kills)
		}
		if h := cl.Hooks(t, 3); len(h.Kills) != 0 {
			t.Errorf("node 3 killed: %q", h.Kills)
		}
	})
	t.Run("json", func(t *testing.T) { jsonChild(t) })
	t.Run("shutdown vetoed", func(t *testing.T) { vetoChild(t, cl) })
	t.Run("shutdown", func(t *testing.T) {
		before := cl.Hooks(t, 1)
		if r := both(t, "-H"); r.rc != 0 || r.out != "Shutting down corosync\n" || r.err != "" {
			t.Errorf("-H: %+v", r)
		}
		h := cl.WaitHooks(t, 1, func(h cfgtest.Hooks) bool { return h.Shutdowns >= before.Shutdowns+2 })
		if h.Shutdowns != before.Shutdowns+2 || strings.Count(h.Log, "Node 1 was shut down by sysadmin") != before.Shutdowns+2 {
			t.Errorf("shutdowns %d after %d\n%s", h.Shutdowns, before.Shutdowns, h.Log)
		}
		if h := cl.Hooks(t, 2); h.Shutdowns != 0 || !strings.Contains(h.Log, "Node 1 was shut down by sysadmin") {
			t.Errorf("node 2: shutdowns %d\n%s", h.Shutdowns, h.Log)
		}
	})
	t.Run("node down", func(t *testing.T) {
		cl.Do(t, func() { cl.Bus.Crash(3); cl.Bus.Form(1, 2) })
		want := strings.Replace(recordedS, "3:\tconnected", "3:\tdisconnected", 1)
		if r := both(t, "-s"); r.out != want {
			t.Errorf("-s with node 3 down:\n%s", r.out)
		}
		d, o := debian(t, "-sb"), ours(t, "-sb")
		if d.out != o.out || !strings.Contains(o.out, "status\t= n31\n") {
			t.Errorf("-sb: corosync-cfgtool %+v, ours %+v", d, o)
		}
		// corosync-cfgtool 3.1.7 exits 0; the manual (and this tool) say 1.
		if d.rc != 0 || o.rc != 1 {
			t.Errorf("-sb exit: corosync-cfgtool %d, ours %d", d.rc, o.rc)
		}
		if r := both(t, "-n"); strings.Contains(r.out, "nodeid: 3") {
			t.Errorf("-n lists the unreachable node:\n%s", r.out)
		}
	})
}

// vetoChild: a tracker (as pacemakerd) answers NO, so -H and -H --force
// differ: the first is refused (exit 0 anyway), the second goes through.
func vetoChild(t *testing.T, cl *cfgtest.Cluster) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tr, err := cfgclient.Dial(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	if err := tr.TrackStart(ctx, 0); err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			if _, err := tr.NextEvent(ctx); err != nil {
				return
			}
			if err := tr.ReplyToShutdown(ctx, false); err != nil {
				return
			}
		}
	}()
	if r := both(t, "-H"); r.rc != 0 || r.out != "Shutting down corosync\n" || r.err != "Could not shutdown (error = 10)\n" {
		t.Errorf("-H vetoed: %+v", r)
	}
	if h := cl.Hooks(t, 1); h.Shutdowns != 0 {
		t.Fatalf("shut down despite the veto")
	}
	both(t, "-H", "--force")
	h := cl.WaitHooks(t, 1, func(h cfgtest.Hooks) bool { return h.Shutdowns >= 2 })
	if h.Shutdowns != 2 {
		t.Errorf("-H --force twice: %d shutdowns", h.Shutdowns)
	}
}

func jsonChild(t *testing.T) {
	var links jsonLinks
	r := ours(t, "-s", "--json")
	if err := json.Unmarshal([]byte(r.out), &links); err != nil || r.rc != 0 {
		t.Fatalf("-s --json: %v rc %d\n%s", err, r.rc, r.out)
	}
	if links.LocalNodeID != 1 || links.Transport != "udpu" || len(links.Links) != 1 ||
		links.Links[0].Addr != "198.18.1.3" || len(links.Links[0].Nodes) != 3 || links.Links[0].Nodes[1].State != "connected" {
		t.Errorf("-s --json: %+v", links)
	}
	var nodes jsonNodes
	r = ours(t, "-n", "--json")
	if err := json.Unmarshal([]byte(r.out), &nodes); err != nil || len(nodes.Nodes) != 2 || nodes.Nodes[0].Links[0].MTU != 1500 {
		t.Errorf("-n --json: %v %+v\n%s", err, nodes, r.out)
	}
	var res jsonResult
	r = ours(t, "-L", "--json")
	if err := json.Unmarshal([]byte(r.out), &res); err != nil || res.Status != "success" || res.Code != 1 {
		t.Errorf("-L --json: %v %+v", err, res)
	}
}
