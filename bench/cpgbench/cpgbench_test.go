package cpgbench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const cpgHeader = "/usr/include/corosync/cpg.h"

// requireToolchain skips the test when gcc or libcpg's header is missing.
func requireToolchain(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("skipping: gcc not found in PATH (install gcc)")
	}
	if _, err := os.Stat(cpgHeader); err != nil {
		t.Skipf("skipping: %s missing (install libcpg-dev libcorosync-common-dev libqb-dev)", cpgHeader)
	}
}

func buildOrSkip(t *testing.T, dir string, extra []string) string {
	t.Helper()
	requireToolchain(t)
	bin, err := build(dir, extra)
	if errors.Is(err, ErrNoCompiler) || errors.Is(err, ErrNoCPG) {
		t.Skipf("skipping: %v", err)
	}
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return bin
}

func TestBuild(t *testing.T) {
	requireToolchain(t)
	// Build from an unrelated working directory with a relative outDir: the
	// source is embedded and the returned path is absolute.
	t.Chdir(t.TempDir())
	bin, err := Build("out")
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	if !filepath.IsAbs(bin) {
		t.Errorf("Build returned relative path %q", bin)
	}
	st, err := os.Stat(bin)
	if err != nil {
		t.Fatalf("stat %s: %v", bin, err)
	}
	if st.Mode()&0o111 == 0 {
		t.Errorf("%s is not executable (mode %v)", bin, st.Mode())
	}
	// Usage errors exit 1 with a message on stderr and nothing on stdout.
	cmd := exec.Command(bin, "-m", "bogus")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Errorf("cpgbench -m bogus: want exit 1, got %v", err)
	}
	if stdout.Len() != 0 || !strings.Contains(stderr.String(), "unknown mode") {
		t.Errorf("cpgbench -m bogus: stdout %q stderr %q", stdout.String(), stderr.String())
	}
}

// TestBuildWarningClean compiles with -Werror: the source must stay clean
// under -O2 -Wall -Wextra.
func TestBuildWarningClean(t *testing.T) {
	buildOrSkip(t, t.TempDir(), []string{"-Werror"})
}

func TestSourceEmbedded(t *testing.T) {
	if !bytes.Contains(Source(), []byte("cpg_mcast_joined")) {
		t.Fatal("embedded source does not look like cpgbench.c")
	}
}

func TestParse(t *testing.T) {
	good := `{"mode":"throughput","group":"gsbench","nodeid":1,"pid":7,"size":1024,"sent":10,"delivered":10,"window_delivered":9,"seconds":5.000,"msgs_per_s":1.8,"mb_per_s":0.002,"delivered_all":10,"window_delivered_all":9,"all_msgs_per_s":1.8,"senders":1,"lost":0,"gaps":0,"misordered":0,"corrupt":0}`
	lat := `{"mode":"latency","group":"g","nodeid":1,"pid":8,"size":64,"count":500,"rate":2000.0,"sent":500,"delivered":500,"seconds":0.250,"min_us":62.0,"mean_us":202.7,"p50_us":248.4,"p99_us":361.0,"p999_us":1373.5,"max_us":1373.5,"lost":0,"gaps":0,"misordered":0,"corrupt":0}`

	r, err := Parse([]byte("cpgbench: starting\n" + good + "\n"))
	if err != nil {
		t.Fatalf("Parse(good): %v", err)
	}
	want := Result{Mode: "throughput", Group: "gsbench", NodeID: 1, PID: 7, Size: 1024, Sent: 10,
		Delivered: 10, WindowDelivered: 9, Seconds: 5, MsgsPerS: 1.8, MBPerS: 0.002,
		DeliveredAll: 10, WindowDeliveredAll: 9, AllMsgsPerS: 1.8, Senders: 1}
	if r != want {
		t.Errorf("Parse(good) = %+v\nwant %+v", r, want)
	}

	// The last JSON line wins; surrounding noise and CRLF are ignored.
	r, err = Parse([]byte(good + "\r\nnoise\r\n  " + lat + "  \r\ntrailing words\n"))
	if err != nil {
		t.Fatalf("Parse(two lines): %v", err)
	}
	if r.Mode != "latency" || r.P50Us != 248.4 || r.P99Us != 361 || r.P999Us != 1373.5 ||
		r.MaxUs != 1373.5 || r.Count != 500 || r.Rate != 2000 {
		t.Errorf("Parse(two lines) = %+v", r)
	}

	// No trailing newline, unknown extra fields tolerated.
	r, err = Parse([]byte(`{"mode":"watch","delivered":3,"future_field":[1,2]}`))
	if err != nil || r.Mode != "watch" || r.Delivered != 3 {
		t.Errorf("Parse(watch) = %+v, %v", r, err)
	}

	for name, in := range map[string]string{
		"empty":        "",
		"no json":      "cpgbench: cpg_initialize failed: CS_ERR_LIBRARY (2)\n",
		"truncated":    `{"mode":"throughput","sent":` + "\n",
		"bad json":     `{"mode":"throughput",}` + "\n",
		"wrong type":   `{"mode":"throughput","sent":"ten"}` + "\n",
		"no mode":      `{"sent":1}` + "\n",
		"unknown mode": `{"mode":"bogus"}` + "\n",
		"bad last":     good + "\n" + `{"mode":}` + "\n",
		"array":        "[1,2,3]\n",
	} {
		if r, err := Parse([]byte(in)); err == nil {
			t.Errorf("Parse(%s) = %+v, want error", name, r)
		}
	}
}

// ---------------------------------------------------------------------------
// End-to-end against a real corosync on 127.0.0.1 in a private network namespace.

func findCorosync() string {
	if p, err := exec.LookPath("corosync"); err == nil {
		return p
	}
	for _, p := range []string{"/usr/sbin/corosync", "/sbin/corosync", "/usr/local/sbin/corosync"} {
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	return ""
}

// runCmd runs a short administrative command with a time bound.
func runCmd(timeout time.Duration, name string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func listShm(t *testing.T) map[string]bool {
	t.Helper()
	ents, err := os.ReadDir("/dev/shm")
	if err != nil {
		t.Logf("reading /dev/shm: %v", err)
		return nil
	}
	m := make(map[string]bool, len(ents))
	for _, e := range ents {
		m[e.Name()] = true
	}
	return m
}

// mentionsPID reports whether a dash-separated token of name equals one of pids
// (libqb names: qb-<server pid>-<client pid>-..., qb-corosync-<pid>-blackbox-...).
func mentionsPID(name string, pids map[int]bool) bool {
	for tok := range strings.SplitSeq(name, "-") {
		if n, err := strconv.Atoi(tok); err == nil && pids[n] {
			return true
		}
	}
	return false
}

type corosyncNode struct {
	ns      string
	dir     string
	logPath string
	pid     int
	pids    map[int]bool // corosync and client PIDs, for /dev/shm cleanup
}

func (n *corosyncNode) logTail() string {
	b, err := os.ReadFile(n.logPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// startCorosync starts a one-node udpu corosync on 127.0.0.1 in a fresh
// network namespace and registers cleanup of everything it creates.
func startCorosync(t *testing.T) *corosyncNode {
	t.Helper()
	corosync := findCorosync()
	switch {
	case os.Geteuid() != 0:
		t.Skip("skipping: the corosync end-to-end test needs root (network namespaces, bind mounts)")
	case corosync == "":
		t.Skip("skipping: corosync not installed (apt-get install corosync)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("skipping: ip (iproute2) not found in PATH")
	}

	n := &corosyncNode{
		ns:   fmt.Sprintf("gscpg%d", os.Getpid()),
		dir:  t.TempDir(),
		pids: map[int]bool{},
	}
	n.logPath = filepath.Join(n.dir, "corosync.log")

	// Cleanups run last-registered first: corosync is killed, then the
	// namespace deleted, then /dev/shm cleaned, then the TempDir removed.
	before := listShm(t)
	t.Cleanup(func() {
		if before == nil {
			return
		}
		for name := range listShm(t) {
			if before[name] || !strings.HasPrefix(name, "qb-") {
				continue
			}
			if !mentionsPID(name, n.pids) {
				t.Logf("/dev/shm/%s appeared during the test but names none of our PIDs; left alone", name)
				continue
			}
			if err := os.Remove(filepath.Join("/dev/shm", name)); err != nil && !os.IsNotExist(err) {
				t.Errorf("removing /dev/shm/%s: %v", name, err)
			}
		}
	})

	for _, d := range []string{"lib", "run"} {
		if err := os.Mkdir(filepath.Join(n.dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	conf := filepath.Join(n.dir, "corosync.conf")
	confText := fmt.Sprintf(`totem {
	version: 2
	cluster_name: gscpg
	transport: udpu
	crypto_cipher: none
	crypto_hash: none
}
nodelist {
	node {
		nodeid: 1
		name: n1
		ring0_addr: 127.0.0.1
	}
}
system {
	state_dir: %s
	move_to_root_cgroup: no
}
logging {
	to_logfile: yes
	logfile: %s
	to_stderr: no
	to_syslog: no
	timestamp: hires
}
`, filepath.Join(n.dir, "lib"), n.logPath)
	if err := os.WriteFile(conf, []byte(confText), 0o644); err != nil {
		t.Fatal(err)
	}

	if err := runCmd(10*time.Second, "ip", "netns", "add", n.ns); err != nil {
		t.Fatalf("creating namespace: %v", err)
	}
	t.Cleanup(func() {
		if err := runCmd(10*time.Second, "ip", "netns", "del", n.ns); err != nil {
			t.Errorf("deleting namespace: %v", err)
		}
	})
	if err := runCmd(10*time.Second, "ip", "-n", n.ns, "link", "set", "lo", "up"); err != nil {
		t.Fatal(err)
	}

	// ip netns exec and sh both exec, so the started PID becomes corosync's.
	script := fmt.Sprintf("mount --bind %s /run && exec %s -f -c %s",
		shellQuote(filepath.Join(n.dir, "run")), shellQuote(corosync), shellQuote(conf))
	cmd := exec.Command("ip", "netns", "exec", n.ns, "sh", "-c", script)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting corosync: %v", err)
	}
	n.pid = cmd.Process.Pid
	n.pids[n.pid] = true
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		select {
		case <-done:
			return
		default:
		}
		_ = syscall.Kill(n.pid, syscall.SIGTERM)
		select {
		case <-done:
			return
		case <-time.After(10 * time.Second):
		}
		t.Logf("corosync pid %d ignored SIGTERM for 10 s; sending SIGKILL", n.pid)
		_ = syscall.Kill(n.pid, syscall.SIGKILL)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Errorf("corosync pid %d still running after SIGKILL", n.pid)
		}
	})

	// Wait, bounded, for the ring to form.
	deadline := time.Now().Add(20 * time.Second)
	for {
		if b, _ := os.ReadFile(n.logPath); bytes.Contains(b, []byte("ready to provide service")) {
			break
		}
		select {
		case <-done:
			t.Fatalf("corosync exited during start-up: %s\noutput: %s\nlog:\n%s",
				cmd.ProcessState, out.String(), n.logTail())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("corosync not ready after 20 s; log:\n%s", n.logTail())
		}
	}
	if comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", n.pid)); err != nil ||
		strings.TrimSpace(string(comm)) != "corosync" {
		t.Fatalf("pid %d is %q (%v), not corosync", n.pid, strings.TrimSpace(string(comm)), err)
	}
	return n
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// bench runs cpgbench inside the node's namespace and parses its result.
func (n *corosyncNode) bench(t *testing.T, bin string, timeout time.Duration, args ...string) Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", n.ns, bin}, args...)...)
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting cpgbench: %v", err)
	}
	n.pids[cmd.Process.Pid] = true // ip execs cpgbench: same PID
	err := cmd.Wait()
	if err != nil {
		t.Fatalf("cpgbench %s: %v\nstderr: %s\nstdout: %s\ncorosync log:\n%s",
			strings.Join(args, " "), err, stderr.String(), stdout.String(), n.logTail())
	}
	r, err := Parse(stdout.Bytes())
	if err != nil {
		t.Fatalf("cpgbench %s: %v\nstderr: %s", strings.Join(args, " "), err, stderr.String())
	}
	t.Logf("cpgbench %s: %s", strings.Join(args, " "), strings.TrimSpace(stdout.String()))
	return r
}

func TestCorosyncEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping: the corosync end-to-end test is not run with -short")
	}
	requireToolchain(t)
	if os.Geteuid() != 0 {
		t.Skip("skipping: the corosync end-to-end test needs root (network namespaces, bind mounts)")
	}
	if findCorosync() == "" {
		t.Skip("skipping: corosync not installed (apt-get install corosync)")
	}
	bin := buildOrSkip(t, t.TempDir(), nil)
	n := startCorosync(t)

	th := n.bench(t, bin, 60*time.Second, "-g", "gsbench-e2e", "-m", "throughput", "-s", "1024", "-t", "2")
	if th.Mode != "throughput" || th.Size != 1024 {
		t.Errorf("throughput: unexpected result %+v", th)
	}
	if th.Delivered == 0 || th.MsgsPerS <= 0 {
		t.Errorf("throughput: delivered %d, msgs/s %.1f; want > 0", th.Delivered, th.MsgsPerS)
	}
	if th.Lost != 0 || th.Misordered != 0 || th.Gaps != 0 || th.Corrupt != 0 || th.Sent != th.Delivered {
		t.Errorf("throughput: sent %d delivered %d lost %d misordered %d gaps %d corrupt %d",
			th.Sent, th.Delivered, th.Lost, th.Misordered, th.Gaps, th.Corrupt)
	}

	lat := n.bench(t, bin, 60*time.Second, "-g", "gsbench-e2e", "-m", "latency", "-s", "64", "-n", "500", "-r", "2000")
	if lat.Mode != "latency" || lat.Count != 500 || lat.Sent != 500 {
		t.Errorf("latency: unexpected result %+v", lat)
	}
	if lat.Delivered != 500 || lat.Lost != 0 || lat.Misordered != 0 || lat.Gaps != 0 || lat.Corrupt != 0 {
		t.Errorf("latency: delivered %d lost %d misordered %d gaps %d corrupt %d",
			lat.Delivered, lat.Lost, lat.Misordered, lat.Gaps, lat.Corrupt)
	}
	if !(lat.P50Us > 0 && lat.P50Us <= lat.P99Us && lat.P99Us <= lat.P999Us && lat.P999Us <= lat.MaxUs) {
		t.Errorf("latency: percentiles not positive and ordered: p50 %.1f p99 %.1f p99.9 %.1f max %.1f",
			lat.P50Us, lat.P99Us, lat.P999Us, lat.MaxUs)
	}
	// The window bound (-f) keeps at most 4 own messages in flight and
	// still delivers everything.
	win := n.bench(t, bin, 60*time.Second, "-g", "gsbench-e2e", "-m", "throughput", "-s", "64", "-t", "1", "-f", "4")
	if win.Delivered == 0 || win.Sent != win.Delivered || win.Lost != 0 {
		t.Errorf("throughput -f 4: sent %d delivered %d lost %d", win.Sent, win.Delivered, win.Lost)
	}

	// Ping-pong writes one sample per message with -o, in ns.
	samplesPath := filepath.Join(t.TempDir(), "samples.txt")
	pp := n.bench(t, bin, 60*time.Second, "-g", "gsbench-e2e", "-m", "pingpong", "-s", "64", "-n", "200", "-o", samplesPath)
	if pp.Mode != "pingpong" || pp.Delivered != 200 || pp.Lost != 0 || pp.Rate != 0 {
		t.Errorf("pingpong: unexpected result %+v", pp)
	}
	f, err := os.Open(samplesPath)
	if err != nil {
		t.Fatal(err)
	}
	samples, err := ReadSamples(f)
	f.Close()
	if err != nil || len(samples) != 200 {
		t.Fatalf("pingpong samples: %d, %v", len(samples), err)
	}
	for _, ns := range samples {
		if ns <= 0 || float64(ns) > pp.MaxUs*1e3+1e3 {
			t.Fatalf("pingpong sample %d ns outside (0, max %.1f µs]", ns, pp.MaxUs)
		}
	}

	t.Logf("corosync 3.1.7 single node udpu: 1 KiB throughput %.0f msgs/s (%.1f MB/s); 64 B latency p50 %.0f µs p99 %.0f µs p99.9 %.0f µs max %.0f µs",
		th.MsgsPerS, th.MBPerS, lat.P50Us, lat.P99Us, lat.P999Us, lat.MaxUs)
}

func TestMentionsPID(t *testing.T) {
	pids := map[int]bool{29670: true, 31887: true}
	for name, want := range map[string]bool{
		"qb-corosync-29670-blackbox-data": true,
		"qb-29670-29754-17-9Uossf":        true,
		"qb-1-31887-3-abc":                true,
		"qb-296700-2967-1-x":              false,
		"qb-corosync-12345-blackbox-data": false,
		"qb-cpg-request-x":                false,
	} {
		if got := mentionsPID(name, pids); got != want {
			t.Errorf("mentionsPID(%q) = %v, want %v", name, got, want)
		}
	}
}
