package sam

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gorosync/gorosync/services"
	"github.com/gorosync/gorosync/services/cmap"
	"github.com/gorosync/gorosync/services/quorum"
	"github.com/gorosync/gorosync/shm"
	"github.com/gorosync/gorosync/shm/shmtest"
)

// appBin is testdata/samapp, built once by TestMain.
var appBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "samtest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	appBin = filepath.Join(dir, "samapp")
	out, err := exec.Command("go", "build", "-o", appBin, "./testdata/samapp").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building testdata/samapp: %v\n%s", err, out)
		appBin = ""
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// app is a running supervisor (samapp) and its log.
type app struct {
	cmd   *exec.Cmd
	log   string
	dir   string
	done  chan struct{}
	state *os.ProcessState
}

// startApp runs samapp with args in its own process group; the test's
// cleanup kills the group (supervisor and instances) and reaps it. An
// argument "@name" is the path of name in the app's directory (see
// touch).
func startApp(t *testing.T, args ...string) *app {
	t.Helper()
	if appBin == "" {
		t.Fatal("testdata/samapp did not build")
	}
	dir := t.TempDir()
	a := &app{log: filepath.Join(dir, "log"), dir: dir, done: make(chan struct{})}
	for i, s := range args {
		if strings.HasPrefix(s, "@") {
			args[i] = a.file(s[1:])
		}
	}
	a.cmd = exec.Command(appBin, append([]string{"-log", a.log}, args...)...)
	a.cmd.Stdout, a.cmd.Stderr = os.Stderr, os.Stderr
	a.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = a.cmd.Wait()
		a.state = a.cmd.ProcessState
		close(a.done)
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(-a.cmd.Process.Pid, syscall.SIGKILL)
		select {
		case <-a.done:
		case <-time.After(10 * time.Second):
			t.Error("supervisor not reaped")
		}
		// Instances outlive a killed supervisor; the group kill got them.
		_ = syscall.Kill(-a.cmd.Process.Pid, syscall.SIGKILL)
	})
	return a
}

// file is a path in the app's directory.
func (a *app) file(name string) string { return filepath.Join(a.dir, name) }

// touch creates the file name in the app's directory.
func (a *app) touch(t *testing.T, name string) {
	if err := os.WriteFile(a.file(name), nil, 0o644); err != nil {
		t.Fatal(err)
	}
}

// exit waits (bounded) for the supervisor to exit and returns its status.
func (a *app) exit(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-a.done:
	case <-time.After(d):
		t.Fatalf("supervisor still running after %v; log:\n%s", d, a.text())
	}
	ws := a.state.Sys().(syscall.WaitStatus)
	if !ws.Exited() {
		t.Fatalf("supervisor ended by %v; log:\n%s", ws.Signal(), a.text())
	}
	return ws.ExitStatus()
}

// running reports whether the supervisor is still running.
func (a *app) running() bool {
	select {
	case <-a.done:
		return false
	default:
		return true
	}
}

// event is one log line: time, instance, words.
type event struct {
	ms   int64
	inst int
	what string
}

func (a *app) text() string {
	b, _ := os.ReadFile(a.log)
	return string(b)
}

func (a *app) events() []event {
	f, err := os.Open(a.log)
	if err != nil {
		return nil
	}
	defer f.Close()
	var evs []event
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), " ", 3)
		if len(parts) < 3 {
			continue
		}
		ms, _ := strconv.ParseInt(parts[0], 10, 64)
		in, _ := strconv.Atoi(parts[1])
		evs = append(evs, event{ms, in, parts[2]})
	}
	return evs
}

// find is the first event of instance inst starting with prefix.
func (a *app) find(inst int, prefix string) (event, bool) {
	for _, e := range a.events() {
		if e.inst == inst && strings.HasPrefix(e.what, prefix) {
			return e, true
		}
	}
	return event{}, false
}

// await waits (bounded) for the event of instance inst starting with
// prefix.
func (a *app) await(t *testing.T, inst int, prefix string, d time.Duration) event {
	t.Helper()
	end := time.Now().Add(d)
	for {
		if e, ok := a.find(inst, prefix); ok {
			return e
		}
		if time.Now().After(end) {
			t.Fatalf("no %q from instance %d within %v; log:\n%s", prefix, inst, d, a.text())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// instances is the highest instance id in the log.
func (a *app) instances() int {
	n := 0
	for _, e := range a.events() {
		n = max(n, e.inst)
	}
	return n
}

// svc serves cmap and quorum under private names in this process, on
// one poll goroutine that owns them (as the token loop does).
type svc struct {
	*shmtest.Server
	store      *cmap.Store
	q          *quorum.Engine
	cmapName   string
	quorumName string
}

// startSvc starts the services; quorate: whether quorum starts quorate
// (false: a votequorum provider that has not reported yet).
func startSvc(t *testing.T, quorate bool) *svc {
	t.Helper()
	s := &svc{store: cmap.NewStore(), cmapName: shmtest.Name("gssamc"), quorumName: shmtest.Name("gssamq")}
	provider := ""
	if !quorate {
		provider = quorum.ProviderVotequorum
	}
	q, err := quorum.New(quorum.Config{Provider: provider})
	if err != nil {
		t.Fatal(err)
	}
	s.q = q
	s.Server = shmtest.Start(t, shm.Config{Services: []shm.Service{
		{Name: s.cmapName, Handler: cmap.NewService(s.store)},
		{Name: s.quorumName, Handler: q},
	}})
	return s
}

// setQuorate is the provider's report.
func (s *svc) setQuorate(t *testing.T, quorate bool) {
	s.Do(t, func() { s.q.SetQuorum([]uint32{1}, quorate, services.RingID{Rep: 1, Seq: 4}) })
}

// keys is the resources.process.* keys as key → value text.
func (s *svc) keys(t *testing.T) map[string]cmap.Value {
	m := map[string]cmap.Value{}
	s.Do(t, func() {
		for _, k := range s.store.Keys("resources.process.") {
			v, _ := s.store.Get(k)
			m[k] = v
		}
	})
	return m
}

// awaitKey waits (bounded) until key satisfies ok, and returns its value.
func (s *svc) awaitKey(t *testing.T, key string, ok func(v cmap.Value, present bool) bool, d time.Duration) cmap.Value {
	t.Helper()
	end := time.Now().Add(d)
	for {
		v, present := s.keys(t)[key]
		if ok(v, present) {
			return v
		}
		if time.Now().After(end) {
			t.Fatalf("%s: still %v (present %v) after %v", key, v, present, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
