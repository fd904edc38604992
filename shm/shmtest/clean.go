package shmtest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var names atomic.Uint64

// Name is a service name unique to this process and call,
// prefix-<pid>-<n>: a private name for a test's server (abstract unix
// sockets are per network namespace, so outside a private one never serve
// the real "cmap", "cpg", … names).
func Name(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, os.Getpid(), names.Add(1))
}

// ShmEntries lists the per-connection directories in /dev/shm of a server
// process (libqb's qb-<serverpid>-...).
func ShmEntries(serverPID int) []string {
	m, _ := filepath.Glob(fmt.Sprintf("/dev/shm/qb-%d-*", serverPID))
	return m
}

// WaitNoShm waits up to d for this process's server directories to go
// from /dev/shm, removes what is left and fails the test if anything was.
func WaitNoShm(t testing.TB, d time.Duration) {
	t.Helper()
	WaitNoShmPID(t, os.Getpid(), d)
}

// WaitNoShmPID is WaitNoShm for the directories of server process pid.
func WaitNoShmPID(t testing.TB, pid int, d time.Duration) {
	t.Helper()
	end := time.Now().Add(d)
	for {
		left := ShmEntries(pid)
		if len(left) == 0 {
			return
		}
		if time.Now().After(end) {
			var files []string
			for _, dir := range left {
				files = append(files, removeAll(dir)...)
			}
			t.Errorf("left in /dev/shm after %v: %s", d, strings.Join(files, " "))
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitGone waits up to d for the directories to disappear, removes what
// is left and fails the test if anything was.
func waitGone(t testing.TB, dirs []string, d time.Duration) {
	t.Helper()
	end := time.Now().Add(d)
	for _, dir := range dirs {
		for {
			if _, err := os.Stat(dir); os.IsNotExist(err) {
				break
			}
			if time.Now().After(end) {
				t.Errorf("left in /dev/shm after %v: %s", d, strings.Join(removeAll(dir), " "))
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// removeAll removes dir and returns what it held.
func removeAll(dir string) []string {
	var files []string
	filepath.Walk(dir, func(p string, _ os.FileInfo, _ error) error {
		files = append(files, p)
		return nil
	})
	os.RemoveAll(dir)
	return files
}
