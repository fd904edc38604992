package cmap

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorosync/gorosync/services/cmap/coroparse"
	"github.com/gorosync/gorosync/shm/shmtest"
)

// The corosync-cmapctl tests serve the cmap service under its real socket
// name "cmap", so they run in a private network namespace (abstract unix
// sockets are per network namespace): TestCmapctl re-executes the test
// binary under `unshare --net` (shmtest.InNetns), and the child runs the
// tool against an in-process server.

const cmapctlBin = "/usr/sbin/corosync-cmapctl"

const testConf = `totem {
 version: 2
 cluster_name: gs
 transport: udpu
 crypto_cipher: none
 crypto_hash: none
 token: 1000
}
logging {
 to_stderr: no
 timestamp: hires
}
quorum {
 provider: corosync_votequorum
}
nodelist {
 node {
  nodeid: 1
  name: n1
  ring0_addr: 198.18.1.1
 }
 node {
  nodeid: 2
  name: n2
  ring0_addr: 198.18.1.2
 }
}
`

func TestCmapctl(t *testing.T) {
	if shmtest.InNetns(t, 2*time.Minute, cmapctlBin, "/usr/bin/stdbuf") {
		cmapctlChild(t)
	}
}

// cmapctl runs the tool (bounded) and returns its stdout, stderr and error.
func cmapctl(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, cmapctlBin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

func mustCmapctl(t *testing.T, args ...string) string {
	t.Helper()
	out, errs, err := cmapctl(t, "", args...)
	if err != nil {
		t.Fatalf("corosync-cmapctl %q: %v\n%s%s", args, err, out, errs)
	}
	return out
}

// dump is the store as corosync-cmapctl prints keys with prefix.
func dump(t *testing.T, s *server, prefix string) string {
	var b strings.Builder
	s.Do(t, func() {
		for _, k := range s.svc.Store.Keys(prefix) {
			v, _ := s.svc.Store.Get(k)
			if v.Type == Binary { // without -b the tool prints no value
				b.WriteString(k + " (bin)\n")
				continue
			}
			b.WriteString(k + " " + v.String() + "\n")
		}
	})
	return b.String()
}

func get(t *testing.T, s *server, key string) string {
	var r string
	s.Do(t, func() {
		if v, ok := s.svc.Store.Get(key); ok {
			r = v.String()
		}
	})
	return r
}

func cmapctlChild(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "corosync.conf")
	if err := os.WriteFile(conf, []byte(testConf), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := coroparse.Load(conf)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.SetLocal(0); err != nil {
		t.Fatal(err)
	}
	store := NewStore()
	if err := store.Load(cfg.Keys); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, "cmap", store)

	t.Run("dump", func(t *testing.T) {
		got, want := mustCmapctl(t), dump(t, s, "")
		if got != want {
			t.Errorf("corosync-cmapctl:\n%s\nstore:\n%s", got, want)
		}
		if !strings.Contains(got, "totem.cluster_name (str) = gs\n") || !strings.Contains(got, "nodelist.node.1.nodeid (u32) = 2\n") {
			t.Errorf("missing keys:\n%s", got)
		}
		t.Logf("dump sample:\n%s", strings.Join(strings.SplitAfterN(got, "\n", 6)[:5], ""))
	})
	t.Run("prefix", func(t *testing.T) {
		if got, want := mustCmapctl(t, "totem."), dump(t, s, "totem."); got != want || got == "" {
			t.Errorf("got\n%s\nwant\n%s", got, want)
		}
	})
	t.Run("get", func(t *testing.T) {
		if got := mustCmapctl(t, "-g", "totem.cluster_name", "nodelist.node.0.nodeid"); got != "totem.cluster_name (str) = gs\nnodelist.node.0.nodeid (u32) = 1\n" {
			t.Errorf("got %q", got)
		}
		if got := mustCmapctl(t, "-q", "-g", "totem.cluster_name"); got != "gs\n" {
			t.Errorf("-q: got %q", got)
		}
		out, errs, err := cmapctl(t, "", "-g", "no.such.key")
		if err == nil || !strings.Contains(out+errs, "CS_ERR_NOT_EXIST") {
			t.Errorf("missing key: %v %q %q", err, out, errs)
		}
	})
	t.Run("set", func(t *testing.T) {
		for _, c := range []struct{ typ, in, want string }{
			{"u32", "5", "(u32) = 5"},
			{"i8", "-5", "(i8) = -5"},
			{"u8", "200", "(u8) = 200"},
			{"i16", "-300", "(i16) = -300"},
			{"u16", "65535", "(u16) = 65535"},
			{"i32", "-70000", "(i32) = -70000"},
			{"i64", "-5000000000", "(i64) = -5000000000"},
			{"u64", "18446744073709551615", "(u64) = 18446744073709551615"},
			{"flt", "1.5", "(flt) = 1.500000"},
			{"dbl", "-2.25", "(dbl) = -2.250000"},
			{"str", "hello world", "(str) = hello world"},
		} {
			key := "test." + c.typ
			mustCmapctl(t, "-s", "--", key, c.typ, c.in)
			if got := get(t, s, key); got != c.want {
				t.Errorf("%s in store: %q, want %q", key, got, c.want)
			}
			if got := mustCmapctl(t, "-g", key); got != key+" "+c.want+"\n" {
				t.Errorf("-g %s: %q", key, got)
			}
		}
		// Binary from stdin, shown with -b.
		if _, errs, err := cmapctl(t, "\x01\x02\xff", "-s", "test.bin", "bin", "-"); err != nil {
			t.Errorf("bin: %v %s", err, errs)
		}
		if got := get(t, s, "test.bin"); got != "(bin) = 0102ff" {
			t.Errorf("test.bin = %q", got)
		}
		t.Logf("-b -g test.bin: %q", mustCmapctl(t, "-b", "-g", "test.bin"))
		// A read-only key is refused.
		out, errs, err := cmapctl(t, "", "-s", "totem.cluster_name", "str", "x")
		if err == nil || !strings.Contains(out+errs, "CS_ERR_ACCESS") {
			t.Errorf("read-only: %v %q %q", err, out, errs)
		}
		if got := get(t, s, "totem.cluster_name"); got != "(str) = gs" {
			t.Errorf("read-only key changed: %s", got)
		}
		if got, want := mustCmapctl(t, "test."), dump(t, s, "test."); got != want {
			t.Errorf("test.:\n%q\nwant\n%q", got, want)
		}
	})
	t.Run("delete", func(t *testing.T) {
		mustCmapctl(t, "-d", "test.u32", "test.i8")
		if get(t, s, "test.u32") != "" || get(t, s, "test.i8") != "" || get(t, s, "test.u8") == "" {
			t.Errorf("after -d:\n%s", dump(t, s, "test."))
		}
		mustCmapctl(t, "-D", "test.")
		if d := dump(t, s, "test."); d != "" {
			t.Errorf("after -D:\n%s", d)
		}
	})
	t.Run("load file", func(t *testing.T) {
		s.Do(t, func() { store.Set("old.key", Int(U8, 1)) })
		f := filepath.Join(dir, "keys")
		os.WriteFile(f, []byte("load.a u32 7\nload.b str text\n^old.key\n"), 0o644)
		mustCmapctl(t, "-p", f)
		if got := dump(t, s, "load."); got != "load.a (u32) = 7\nload.b (str) = text\n" {
			t.Errorf("load.: %q", got)
		}
		if get(t, s, "old.key") != "" {
			t.Error("^old.key not deleted")
		}
	})
	t.Run("stats map", func(t *testing.T) {
		s.Do(t, func() { s.svc.Stats = NewStore(); s.svc.Stats.Set("stats.pg.msg_reserved", Int(U32, 3)) })
		if got := mustCmapctl(t, "-m", "stats"); got != "stats.pg.msg_reserved (u32) = 3\n" {
			t.Errorf("-m stats: %q", got)
		}
		out, errs, err := cmapctl(t, "", "-m", "stats", "-s", "stats.x", "u8", "1")
		t.Logf("-m stats -s: %v %q %q", err, out, errs)
		if err == nil {
			t.Error("set in the stats map succeeded")
		}
	})
	t.Run("track", func(t *testing.T) { trackChild(t, s) })
}

// trackChild runs `corosync-cmapctl -T trk.` (line-buffered by stdbuf)
// and changes keys under it.
func trackChild(t *testing.T, s *server) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/usr/bin/stdbuf", "-oL", cmapctlBin, "-T", "trk.")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	in, err := cmd.StdinPipe() // the tool quits on "q" or end of input
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	var errb strings.Builder
	cmd.Stderr = &errb
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }() // cmd.Wait: below, or CommandContext's kill at the deadline
	deadline := time.Now().Add(10 * time.Second)
	for n := 0; n == 0; {
		s.Do(t, func() { n = s.svc.Store.Tracks() })
		if time.Now().After(deadline) {
			t.Fatalf("corosync-cmapctl -T never added its track (stderr %q)", errb.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.Do(t, func() {
		st := s.svc.Store
		st.Set("trk.a", Int(U32, 1))
		st.Set("trk.a", Int(U32, 2))
		st.Set("other.a", Int(U32, 1))
		st.Delete("trk.a")
	})
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var got []string
	for len(got) < 4 {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("tool exited; got %q (stderr %q)", got, errb.String())
			}
			got = append(got, l)
		case <-ctx.Done():
			t.Fatalf("timeout; got %q", got)
		}
	}
	t.Logf("-T output:\n%s", strings.Join(got, "\n"))
	want := []string{
		`Type "q" to finish`,
		"create> trk.a (u32) = 1",
		"modify> trk.a (u32) = 2",
		"delete> trk.a (u32) = 2",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	in.Write([]byte("q\n"))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("after q: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("corosync-cmapctl -T did not quit on q")
	}
}
