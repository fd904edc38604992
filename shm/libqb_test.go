package shm

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

var (
	qbclientOnce sync.Once
	qbclientPath string
	qbclientErr  error
)

// qbclient builds testdata/qbclient.c against the installed libqb (the
// Debian 2.0.6 library corosync's clients and Pacemaker use) into a
// directory any user may enter, or skips the test.
func qbclient(t *testing.T) string {
	t.Helper()
	qbclientOnce.Do(func() {
		if _, err := exec.LookPath("gcc"); err != nil {
			qbclientErr = fmt.Errorf("no gcc: %v", err)
			return
		}
		if _, err := os.Stat("/usr/include/qb/qbipcc.h"); err != nil {
			qbclientErr = fmt.Errorf("no libqb-dev: %v", err)
			return
		}
		dir, err := os.MkdirTemp("", "gorosync-shm-qbclient-")
		if err != nil {
			qbclientErr = err
			return
		}
		os.Chmod(dir, 0o755)
		qbclientPath = filepath.Join(dir, "qbclient")
		out, err := exec.Command("gcc", "-Wall", "-O2", "-o", qbclientPath, "testdata/qbclient.c", "-lqb").CombinedOutput()
		if err != nil {
			qbclientErr = fmt.Errorf("gcc: %v\n%s", err, out)
		}
	})
	if qbclientErr != nil {
		t.Skip(qbclientErr)
	}
	return qbclientPath
}

// runQB runs the C client; uid ≥ 0 runs it as that user.
func runQB(t *testing.T, uid int, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, qbclient(t), args...)
	if uid >= 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("qbclient %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// socketModeMaxRequest: a libqb client's datagrams are bounded by its
// SO_SNDBUF, which the sysctl caps for non-FORCE setsockopt (spec §2.5).
func socketModeMaxRequest() int {
	b, err := os.ReadFile("/proc/sys/net/core/wmem_max")
	if err != nil {
		return 100000
	}
	v, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return min(1<<20, 2*v-4096)
}

// The real libqb client library against the server, both modes.
func TestLibqbClient(t *testing.T) {
	for _, mode := range []Mode{ModeSHM, ModeSocket} {
		t.Run(mode.String(), func(t *testing.T) {
			qbclient(t)
			h := newHarness(t, Config{Mode: mode})
			max := 1 << 20
			if mode == ModeSocket {
				max = socketModeMaxRequest()
			}
			out := runQB(t, -1, h.name, strconv.Itoa(max))
			t.Log(out)
			eventually(t, 5*time.Second, "disconnect", func() bool { return h.s.Stats().Active == 0 })
			if st := h.s.Stats(); st.BadRequests != 0 || st.Stalled != 0 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

// A non-root libqb client: refused (-EACCES) by the default policy; with
// an Authorize that admits it, it opens the files the server chowned to it.
func TestLibqbClientNonRoot(t *testing.T) {
	qbclient(t)
	h := newHarness(t, Config{})
	t.Log(runQB(t, 65534, h.name, "expect-errno", strconv.Itoa(int(unix.EACCES))))
	h2 := newHarness(t, Config{Authorize: func(pid, uid, gid uint32) bool { return uid == 65534 }})
	t.Log(runQB(t, 65534, h2.name, strconv.Itoa(1<<20)))
	nr := newHarness(t, Config{Ready: func() bool { return false }})
	t.Log(runQB(t, -1, nr.name, "expect-errno", strconv.Itoa(int(unix.EAGAIN))))
}
