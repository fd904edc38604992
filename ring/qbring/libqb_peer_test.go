//go:build linux

package qbring

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// rbPeerC drives a ring through libqb's public API (qbrb.h) only.
// Messages follow the same pattern as the Go tests (sizeOf, fill).
//
//	rbpeer BASE MAXMSG MAXLEN read N TIMEOUT_MS   open, print "ready", read and check N
//	rbpeer BASE MAXMSG MAXLEN write N DELAY_MS    open, sleep, write N (retry on EAGAIN)
//	rbpeer BASE MAXMSG MAXLEN serve N             create; "created"; wait for a line; write N;
//	                                              "ready"; wait for a line; read N; "ok"; wait for EOF; close
//
// qb_rb_open builds the file names from BASE as BASE-header and
// BASE-data when BASE contains a '/' (else /dev/shm/qb-BASE-...).
const rbPeerC = `
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <qb/qbrb.h>

static long maxlen;

static double now_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static long size_of(uint64_t seq) {
	uint64_t x = seq * 0x9E3779B97F4A7C15ULL ^ seq >> 7;
	switch (x % 4) {
	case 0: return (long)((x >> 8) % (uint64_t)(maxlen + 1));
	case 1: return (long)((x >> 8) % 64);
	case 2: return maxlen - (long)((x >> 8) % 8);
	default: return (long)((x >> 8) % (uint64_t)(maxlen / 2 + 1));
	}
}

static void fill(unsigned char *b, long n, uint64_t seq) {
	long i = 0;
	if (n >= 8) {
		for (; i < 8; i++) b[i] = (unsigned char)(seq >> (8 * i));
	}
	for (; i < n; i++) b[i] = (unsigned char)(seq * 31 + (uint64_t)i * 7);
}

static unsigned char *want, *buf;

/* read n messages, each within timeout ms; prints nothing on success */
static int read_n(qb_ringbuffer_t *rb, long n, long timeout, double *worst, long *blocked) {
	for (long s = 0; s < n; s++) {
		double t0 = now_ms();
		ssize_t got = qb_rb_chunk_read(rb, buf, maxlen + 64, timeout);
		double dt = now_ms() - t0;
		if (dt > *worst) *worst = dt;
		if (dt > 20) (*blocked)++;
		if (got < 0) { printf("read %ld: %s\n", s, strerror(-got)); return 2; }
		long sz = size_of(s);
		fill(want, sz, s);
		if (got != sz || memcmp(buf, want, sz) != 0) {
			printf("message %ld: got %zd bytes, want %ld\n", s, got, sz);
			return 3;
		}
	}
	return 0;
}

static int write_n(qb_ringbuffer_t *rb, long n, long *eagain) {
	double deadline = now_ms() + 30000;
	for (long s = 0; s < n;) {
		long sz = size_of(s);
		fill(want, sz, s);
		ssize_t r = qb_rb_chunk_write(rb, want, sz);
		if (r == sz) { s++; continue; }
		if (r != -EAGAIN) { printf("write %ld: %s\n", s, strerror(-r)); return 2; }
		(*eagain)++;
		if (now_ms() > deadline) { printf("write %ld: ring stayed full\n", s); return 4; }
		usleep(100);
	}
	return 0;
}

int main(int argc, char **argv) {
	if (argc < 6) return 64;
	const char *base = argv[1];
	size_t maxmsg = (size_t)atol(argv[2]);
	maxlen = atol(argv[3]);
	const char *mode = argv[4];
	long n = atol(argv[5]);
	want = malloc(maxlen + 64);
	buf = malloc(maxlen + 64);
	setvbuf(stdout, NULL, _IOLBF, 0);
	double worst = 0;
	long blocked = 0, eagain = 0;
	int rc;
	if (!strcmp(mode, "read")) {
		/* a client reading a response or event ring: no user data, so
		   libqb truncates the header file to 8248 bytes */
		qb_ringbuffer_t *rb = qb_rb_open(base, maxmsg, QB_RB_FLAG_SHARED_PROCESS, 0);
		if (!rb) { printf("qb_rb_open: %s\n", strerror(errno)); return 1; }
		printf("ready\n");
		rc = read_n(rb, n, atol(argv[6]), &worst, &blocked);
		qb_rb_close(rb);
		if (rc) return rc;
		printf("ok %.1f %ld\n", worst, blocked);
	} else if (!strcmp(mode, "write")) {
		qb_ringbuffer_t *rb = qb_rb_open(base, maxmsg, QB_RB_FLAG_SHARED_PROCESS, 4);
		if (!rb) { printf("qb_rb_open: %s\n", strerror(errno)); return 1; }
		usleep(atol(argv[6]) * 1000);
		rc = write_n(rb, n, &eagain);
		qb_rb_close(rb);
		if (rc) return rc;
		printf("ok %ld\n", eagain);
	} else if (!strcmp(mode, "serve")) {
		qb_ringbuffer_t *rb = qb_rb_open(base, maxmsg,
			QB_RB_FLAG_CREATE | QB_RB_FLAG_SHARED_PROCESS, 4);
		if (!rb) { printf("qb_rb_open: %s\n", strerror(errno)); return 1; }
		printf("created\n");
		char line[64];
		if (!fgets(line, sizeof line, stdin)) { qb_rb_close(rb); return 5; }
		rc = write_n(rb, n, &eagain);
		if (rc) { qb_rb_close(rb); return rc; }
		printf("ready\n");
		/* the ring is now Go's to read: wait until Go has, then read back */
		if (!fgets(line, sizeof line, stdin)) { qb_rb_close(rb); return 5; }
		rc = read_n(rb, n, 10000, &worst, &blocked);
		if (rc) { qb_rb_close(rb); return rc; }
		printf("ok %.1f %ld %ld\n", worst, blocked, eagain);
		while (fgets(line, sizeof line, stdin)) {}
		qb_rb_close(rb); /* the creator's close removes the files */
	} else {
		return 64;
	}
	return 0;
}
`

func buildPeer(t *testing.T) string {
	t.Helper()
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		t.Skip("gcc not installed: the libqb interop test needs it (apt-get install gcc libqb-dev)")
	}
	if _, err := os.Stat("/usr/include/qb/qbrb.h"); err != nil {
		t.Skip("libqb headers not installed: the libqb interop test needs libqb-dev")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "rbpeer.c")
	if err := os.WriteFile(src, []byte(rbPeerC), 0o600); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "rbpeer")
	if out, err := exec.Command(gcc, "-O2", "-Wall", "-o", bin, src, "-lqb").CombinedOutput(); err != nil {
		t.Fatalf("gcc: %v\n%s", err, out)
	}
	return bin
}

// proc is a running C peer whose stdout lines arrive on a channel.
type proc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	cancel context.CancelFunc
}

func startPeer(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, stdin: stdin, lines: make(chan string, 16), cancel: cancel}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		close(p.lines)
	}()
	t.Cleanup(func() {
		stdin.Close()
		cancel()
		cmd.Wait()
	})
	return p
}

// expect waits (bounded) for the next line and checks its first word.
func (p *proc) expect(t *testing.T, word string) string {
	t.Helper()
	select {
	case l, ok := <-p.lines:
		if !ok {
			t.Fatalf("C peer exited while Go waited for %q", word)
		}
		if strings.Fields(l + " x")[0] != word {
			t.Fatalf("C peer said %q, want %q", l, word)
		}
		return l
	case <-time.After(30 * time.Second):
		t.Fatalf("C peer did not say %q in 30 s", word)
	}
	return ""
}

func (p *proc) wait(t *testing.T) {
	t.Helper()
	p.stdin.Close()
	if err := p.cmd.Wait(); err != nil {
		var rest []string
		for l := range p.lines {
			rest = append(rest, l)
		}
		t.Fatalf("C peer: %v %v", err, rest)
	}
}
