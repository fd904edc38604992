package cpgclient_test

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/gorosync/gorosync/services/cpg/cpgclient"
	"github.com/gorosync/gorosync/services/cpg/cpgtest"
)

// childEnv names the service a re-executed test binary joins as a
// separate process (then it waits to be killed).
const childEnv = "GOROSYNC_CPG_CHILD"

func TestMain(m *testing.M) {
	if name := os.Getenv(childEnv); name != "" {
		os.Exit(child(name))
	}
	os.Exit(m.Run())
}

func child(service string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, err := cpgclient.Initialize(ctx, cpgclient.Options{Service: service})
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		return 1
	}
	if err := cl.Join(ctx, []byte("g")); err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		return 1
	}
	os.Stdout.WriteString("joined\n")
	time.Sleep(time.Minute)
	return 0
}

// A client killed mid-join (its join accepted, not yet delivered) is seen
// by the others to join and then leave with PROCDOWN.
func TestKilledMidJoin(t *testing.T) {
	c := cpgtest.Start(t, cpgtest.Options{Nodes: []uint32{1, 2}})
	watcher := dial(t, c, 2, 77, 0)
	must(t, watcher.Join(ctx(t), []byte("g")))
	expect(t, watcher, "confchg g members [{2 77 -}] left [] joined [{2 77 join}]")
	c.Hold(true)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+c.Name(1))
	out, err := cmd.StdoutPipe()
	must(t, err)
	cmd.Stderr = os.Stderr
	must(t, cmd.Start())
	defer cmd.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "joined\n" {
		t.Fatalf("child: %q %v", line, err)
	}
	must(t, cmd.Process.Kill())
	_ = cmd.Wait()
	if !c.Until(t, 5*time.Second, func() bool { return c.Engines[1].Stats().Connections == 0 }) {
		t.Fatal("the killed client's connection was never noticed")
	}
	c.Hold(false)
	pid := cmd.Process.Pid
	expect(t, watcher, "confchg g members [{1 "+itoa(pid)+" -} {2 77 -}] left [] joined [{1 "+itoa(pid)+" join}]")
	expect(t, watcher, "confchg g members [{2 77 -}] left [{1 "+itoa(pid)+" procdown}] joined []")
}

func itoa(v int) string {
	if v == 0 {
		return "0"
	}
	s := ""
	for ; v > 0; v /= 10 {
		s = string(rune('0'+v%10)) + s
	}
	return s
}
