//go:build linux

package qbsem

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// semPeerC uses glibc's own sem_* on a sem_t at a given offset of a shared
// file: the other side of the interop tests.
//
//	semPeer FILE OFFSET init|value|post N|trywait N|wait N TIMEOUT_MS|pingpong N OFFSET2
const semPeerC = `
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* sem_timedwait with a relative timeout, retrying on EINTR; 0 or errno. */
static int timed(sem_t *s, long ms) {
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) { ts.tv_sec++; ts.tv_nsec -= 1000000000L; }
	while (sem_timedwait(s, &ts) != 0) {
		if (errno != EINTR) return errno;
	}
	return 0;
}

int main(int argc, char **argv) {
	if (argc < 4) return 64;
	int fd = open(argv[1], O_RDWR);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) { perror("open"); return 65; }
	char *m = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) { perror("mmap"); return 66; }
	sem_t *s = (sem_t *)(m + atol(argv[2]));
	const char *cmd = argv[3];
	long n = argc > 4 ? atol(argv[4]) : 0;
	int v;
	if (!strcmp(cmd, "init")) {
		if (sem_init(s, 1, 0) != 0) { perror("sem_init"); return 1; }
	} else if (!strcmp(cmd, "value")) {
		sem_getvalue(s, &v);
		printf("%d\n", v);
	} else if (!strcmp(cmd, "post")) {
		for (long i = 0; i < n; i++)
			if (sem_post(s) != 0) { perror("sem_post"); return 1; }
		sem_getvalue(s, &v);
		printf("%d\n", v);
	} else if (!strcmp(cmd, "trywait")) {
		long got = 0;
		for (long i = 0; i < n; i++)
			if (sem_trywait(s) == 0) got++;
		printf("%ld\n", got);
	} else if (!strcmp(cmd, "wait")) {
		long ms = atol(argv[5]);
		double worst = 0;
		printf("ready\n");
		fflush(stdout);
		for (long i = 0; i < n; i++) {
			double t0 = now_ms();
			int e = timed(s, ms);
			if (e) { printf("wait %ld: %s\n", i, strerror(e)); return 2; }
			if (now_ms() - t0 > worst) worst = now_ms() - t0;
		}
		printf("ok %.1f\n", worst);
	} else if (!strcmp(cmd, "pingpong")) {
		/* wait on this sem, post the one at OFFSET2, N times */
		sem_t *back = (sem_t *)(m + atol(argv[5]));
		for (long i = 0; i < n; i++) {
			int e = timed(s, 5000);
			if (e) { printf("round %ld: %s\n", i, strerror(e)); return 2; }
			if (sem_post(back) != 0) { perror("sem_post"); return 1; }
		}
		printf("ok\n");
	} else {
		return 64;
	}
	return 0;
}
`

// buildC compiles src with gcc into a temporary directory, or skips the
// test when gcc is not installed.
func buildC(t *testing.T, name, src string, libs ...string) string {
	t.Helper()
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("gcc not installed: the glibc interop test needs it (apt-get install gcc)")
	}
	dir := t.TempDir()
	c := filepath.Join(dir, name+".c")
	if err := os.WriteFile(c, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, name)
	args := append([]string{"-O2", "-Wall", "-o", bin, c, "-pthread"}, libs...)
	if out, err := exec.Command(gcc, args...).CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	return bin
}

// peer runs the C helper to completion (bounded) and returns its output.
func peer(t *testing.T, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", filepath.Base(bin), args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestGlibcInterop(t *testing.T) {
	bin := buildC(t, "sempeer", semPeerC)
	path, m, s := newSem(t)
	off := fmt.Sprint(semOffset)

	t.Run("sem_init layout equals Init", func(t *testing.T) {
		const cOff = 4096 // a second sem_t, initialised by glibc
		for i := range Size {
			m[cOff+i] = 0xff
		}
		peer(t, bin, path, fmt.Sprint(cOff), "init")
		// glibc writes the data word and the privacy word (12 bytes) and
		// leaves the pad and the unused 20 bytes as they were; Init zeroes
		// them, which is what a fresh (zeroed) header holds anyway.
		if got, want := m[cOff:cOff+12], m[semOffset:semOffset+12]; string(got) != string(want) {
			t.Fatalf("glibc sem_init(pshared=1, 0): % x\nGo Init:                   % x", got, want)
		}
		for i := cOff + 12; i < cOff+Size; i++ {
			if m[i] != 0xff {
				t.Fatalf("glibc sem_init wrote byte %d of the sem_t", i-cOff)
			}
		}
	})

	t.Run("counts agree", func(t *testing.T) {
		for range 5 {
			_ = s.Post()
		}
		if v := peer(t, bin, path, off, "value"); v != "5" {
			t.Fatalf("sem_getvalue after 5 Go posts: %s", v)
		}
		if v := peer(t, bin, path, off, "trywait", "2"); v != "2" {
			t.Fatalf("sem_trywait took %s of 2", v)
		}
		if v := s.Value(); v != 3 {
			t.Fatalf("Go value %d after C took 2 of 5", v)
		}
		if v := peer(t, bin, path, off, "post", "4"); v != "7" {
			t.Fatalf("sem_getvalue after 4 C posts: %s", v)
		}
		for i := range 7 {
			if !s.TryWait() {
				t.Fatalf("Go trywait %d of 7 failed", i)
			}
		}
		if s.TryWait() {
			t.Fatal("Go took a token that is not there")
		}
		if v := peer(t, bin, path, off, "value"); v != "0" {
			t.Fatalf("sem_getvalue at the end: %s", v)
		}
	})

	t.Run("C sem_post wakes Go Wait", func(t *testing.T) {
		done := make(chan error, 1)
		go func() { done <- s.Wait(20 * time.Second) }()
		waitForWaiters(t, s, 1)
		start := time.Now()
		peer(t, bin, path, off, "post", "1")
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Go waiter not woken by sem_post")
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("woken %v after sem_post", d)
		}
		if s.Waiters() != 0 || s.Value() != 0 {
			t.Fatalf("waiters %d value %d", s.Waiters(), s.Value())
		}
	})

	t.Run("Go Post wakes C sem_timedwait", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, path, off, "wait", "1", "10000")
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		r := bufio.NewScanner(stdout)
		if !r.Scan() || r.Text() != "ready" {
			t.Fatalf("C helper did not start: %q", r.Text())
		}
		waitForWaiters(t, s, 1) // C is registered: it is in (or about to be in) its futex wait
		time.Sleep(50 * time.Millisecond)
		if err := s.Post(); err != nil {
			t.Fatal(err)
		}
		var last string
		for r.Scan() {
			last = r.Text()
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("C sem_timedwait: %v (%s)", err, last)
		}
		var worst float64
		if _, err := fmt.Sscanf(last, "ok %g", &worst); err != nil {
			t.Fatalf("C output %q", last)
		}
		if worst > 2000 {
			t.Fatalf("C woke after %.0f ms: by timeout, not by the Go wake", worst)
		}
		if s.Waiters() != 0 || s.Value() != 0 {
			t.Fatalf("waiters %d value %d", s.Waiters(), s.Value())
		}
	})

	t.Run("ping-pong", func(t *testing.T) {
		const rounds = 2000
		back, _ := At(m[4096:])
		back.Init()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, path, off, "pingpong", fmt.Sprint(rounds), "4096")
		out := &strings.Builder{}
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for i := range rounds {
			if err := s.Post(); err != nil {
				t.Fatal(err)
			}
			if err := back.Wait(5 * time.Second); err != nil {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("round %d: %v (C: %s)", i, err, out)
			}
		}
		if err := cmd.Wait(); err != nil {
			t.Fatalf("C: %v %s", err, out)
		}
		if s.Value() != 0 || back.Value() != 0 || s.Waiters() != 0 || back.Waiters() != 0 {
			t.Fatalf("after ping-pong: %d/%d %d/%d", s.Value(), s.Waiters(), back.Value(), back.Waiters())
		}
	})
}
