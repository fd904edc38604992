package cmapclient_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/gorosync/gorosync/services/cmap"
	"github.com/gorosync/gorosync/shm"
	"github.com/gorosync/gorosync/shm/shmtest"
	"golang.org/x/sys/unix"
)

// serveEnv makes the test binary a cmap server in its own process (see
// startChild): allocations are counted per process, and the service
// allocates (its keys, its stored values) where the client must not.
const serveEnv = "GSCMAPC_SERVE"

func TestMain(m *testing.M) {
	if name := os.Getenv(serveEnv); name != "" {
		os.Exit(serveChild(name, os.Getenv(serveEnv+"_MODE") == "socket"))
	}
	os.Exit(m.Run())
}

// serveChild serves name until its stdin closes; it says "ready" first.
func serveChild(name string, socket bool) int {
	mode := shm.ModeSHM
	if socket {
		mode = shm.ModeSocket
	}
	srv, err := shm.New(shm.Config{Services: []shm.Service{{Name: name, Handler: cmap.NewService(cmap.NewStore())}}, Mode: mode})
	if err == nil {
		err = srv.Start()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	eof := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(eof) }()
	fmt.Println("ready")
	fds := []unix.PollFd{{Fd: int32(srv.Fd()), Events: unix.POLLIN}}
	ts := unix.NsecToTimespec(int64(time.Millisecond))
	for {
		select {
		case <-eof:
			srv.Close()
			return 0
		default:
		}
		if srv.Poll() == 0 {
			_, _ = unix.Ppoll(fds, &ts, nil)
		}
	}
}

// startChild runs a server process for the test and returns its name.
func startChild(t *testing.T, mode shm.Mode) string {
	if os.Geteuid() != 0 {
		t.Skip("needs root (the shm server chowns per-connection files)")
	}
	name := shmtest.Name("gscmapc")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), serveEnv+"="+name, serveEnv+"_MODE="+mode.String())
	cmd.Stderr = os.Stderr
	cmd.WaitDelay = 5 * time.Second
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		in.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("server process: %v", err)
		}
		cancel()
		shmtest.WaitNoShmPID(t, cmd.Process.Pid, 0) // the server has exited
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if line != "ready\n" {
		t.Fatalf("server process: %q %v", line, err)
	}
	return name
}
