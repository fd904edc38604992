package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorosync/gorosync/bench/cluster"
)

// Pacemaker 2.1.5 (Debian's) on a 3-node gorosync cluster in namespaces:
// every node online with quorum, an ocf:pacemaker:Dummy resource started,
// and moved when the node running it is killed (stonith disabled).

const pacemakerd = "/usr/sbin/pacemakerd"

// pacemakerDirs are Pacemaker's state directories, private per node.
var pacemakerDirs = []string{"/var/lib/pacemaker", "/var/log/pacemaker"}

// pacemakerMounts gives each node its own Pacemaker state, owned as the
// package makes it (hacluster:haclient).
func pacemakerMounts(t *testing.T) func(n *cluster.Node) []cluster.Mount {
	uid, gid := haclusterIDs(t)
	return func(n *cluster.Node) []cluster.Mount {
		var ms []cluster.Mount
		for _, target := range pacemakerDirs {
			src := filepath.Join(n.Dir, "pcmk", filepath.Base(target))
			for _, sub := range []string{"", "cib", "pengine", "blackbox", "cores"} {
				d := filepath.Join(src, sub)
				if err := os.MkdirAll(d, 0o750); err != nil {
					t.Fatal(err)
				}
				_ = os.Chown(d, uid, gid)
			}
			ms = append(ms, cluster.Mount{Source: src, Target: target})
		}
		return ms
	}
}

func haclusterIDs(t *testing.T) (int, int) {
	t.Helper()
	u, err := user.Lookup("hacluster")
	if err != nil {
		t.Skipf("needs the hacluster user (Debian package pacemaker; make deps installs it as root): %v", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return uid, gid
}

// pacemaker is one node's pacemakerd and its children (one process group).
type pacemaker struct {
	cmd     *exec.Cmd
	out     *lockedBuffer
	stopped bool
	// known are the processes seen below pacemakerd while it ran: a
	// pacemakerd that lost its cluster exits and leaves its daemons to
	// init, where stop would no longer find them.
	known map[string]bool
}

// remember records pacemakerd's current processes for stop.
func (p *pacemaker) remember() {
	if p.known == nil {
		p.known = map[string]bool{}
	}
	for pid := range descendants(p.cmd.Process.Pid) {
		p.known[pid] = true
	}
}

func startPacemaker(t *testing.T, ctx context.Context, n *cluster.Node) *pacemaker {
	t.Helper()
	p := &pacemaker{out: &lockedBuffer{}}
	p.cmd = n.Command(ctx, pacemakerd)
	p.cmd.Env = append(p.cmd.Env, "PCMK_logfile=/var/log/pacemaker/pacemaker.log", "PCMK_logfacility=none")
	p.cmd.SysProcAttr.Setpgid = true
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.stop)
	return p
}

// stop kills pacemakerd and every process it started (its group and its
// descendants: a child may have moved to a group of its own) and removes
// the libqb files their own IPC left in /dev/shm, which a SIGKILLed libqb
// server cannot: qb-<server pid>-<client pid>-… of any of them.
func (p *pacemaker) stop() {
	if p.cmd.Process == nil || p.stopped {
		return
	}
	p.stopped = true
	pids := descendants(p.cmd.Process.Pid)
	for pid := range p.known {
		pids[pid] = true
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	for pid := range pids {
		if n, err := strconv.Atoi(pid); err == nil {
			_ = syscall.Kill(n, syscall.SIGKILL)
		}
	}
	_ = p.cmd.Wait()
	entries, _ := os.ReadDir("/dev/shm")
	for _, e := range entries {
		f := strings.SplitN(e.Name(), "-", 4)
		if len(f) == 4 && f[0] == "qb" && (pids[f[1]] || pids[f[2]]) {
			_ = os.RemoveAll(filepath.Join("/dev/shm", e.Name()))
		}
	}
}

// descendants lists root and every process below it (from /proc).
func descendants(root int) map[string]bool {
	parent := map[string]string{}
	procs, _ := os.ReadDir("/proc")
	for _, e := range procs {
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces: cut at the last ')'.
		i := strings.LastIndexByte(string(stat), ')')
		if i < 0 {
			continue
		}
		if f := strings.Fields(string(stat[i+1:])); len(f) > 1 {
			parent[e.Name()] = f[1]
		}
	}
	out := map[string]bool{strconv.Itoa(root): true}
	for grew := true; grew; {
		grew = false
		for pid, pp := range parent {
			if out[pp] && !out[pid] {
				out[pid] = true
				grew = true
			}
		}
	}
	return out
}

// crmMon runs crm_mon -1 on n.
func crmMon(n *cluster.Node) string {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, _ := n.Exec(ctx, "crm_mon", "-1", "-r")
	return string(out)
}

func waitMon(t *testing.T, n *cluster.Node, timeout time.Duration, what string, ok func(string) bool) string {
	t.Helper()
	var last string
	if !waitFor(timeout, func() bool { last = crmMon(n); return ok(last) }) {
		t.Fatalf("%s: %s not seen within %v; crm_mon -1:\n%s", n.Name, what, timeout, last)
	}
	return last
}

var dummyOn = regexp.MustCompile(`dummy\s+\(ocf:pacemaker:Dummy\):\s+Started (n\d)`)

func TestClusterPacemaker(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: Pacemaker takes about a minute")
	}
	if _, err := os.Stat(pacemakerd); err != nil {
		t.Skipf("needs %s (Debian package pacemaker; make deps installs it as root): %v", pacemakerd, err)
	}
	spec := clusterSpec{nodes: 3, links: 1, tokenMs: 1000, transport: "udpu",
		quorum: " provider: corosync_votequorum\n", mounts: pacemakerMounts(t)}
	c := startCluster(t, spec)
	for _, n := range c.Nodes() {
		waitMembers(t, n, "1 2 3", 0, formTimeout)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	pm := map[int]*pacemaker{}
	for _, n := range c.Nodes() {
		pm[n.Index] = startPacemaker(t, ctx, n)
	}
	n1 := c.Node(1)
	waitMon(t, n1, 90*time.Second, "3 nodes online with quorum", func(s string) bool {
		return strings.Contains(s, "partition with quorum") && strings.Contains(s, "Online: [ n1 n2 n3 ]")
	})
	for _, p := range pm {
		p.remember()
	}
	for _, cmd := range [][]string{
		{"crm_attribute", "-t", "crm_config", "-n", "stonith-enabled", "-v", "false"},
		{"cibadmin", "--create", "-o", "resources", "-X",
			`<primitive id="dummy" class="ocf" provider="pacemaker" type="Dummy"><operations><op id="dummy-mon" name="monitor" interval="5s"/></operations></primitive>`},
	} {
		if out, err := n1.Exec(ctx, cmd...); err != nil {
			t.Fatalf("%v: %v\n%s", cmd, err, out)
		}
	}
	mon := waitMon(t, n1, 60*time.Second, "dummy started", func(s string) bool { return dummyOn.MatchString(s) })
	owner := dummyOn.FindStringSubmatch(mon)[1]
	idx, _ := strconv.Atoi(owner[1:])
	t.Logf("dummy started on %s", owner)
	// Kill the node running it: its gorosync and its Pacemaker.
	pm[idx].remember()
	if err := c.Node(idx).Kill(); err != nil {
		t.Fatal(err)
	}
	pm[idx].stop()
	other := c.Node(1 + idx%3)
	mon = waitMon(t, other, 90*time.Second, "dummy moved", func(s string) bool {
		m := dummyOn.FindStringSubmatch(s)
		return m != nil && m[1] != owner && strings.Contains(s, "partition with quorum")
	})
	t.Logf("after killing %s:\n%s", owner, mon)
	if !strings.Contains(mon, fmt.Sprintf("OFFLINE: [ %s ]", owner)) {
		t.Errorf("%s not reported offline:\n%s", owner, mon)
	}
}
