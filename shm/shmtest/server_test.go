package shmtest_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorosync/gorosync/shm"
	"github.com/gorosync/gorosync/shm/client"
	"github.com/gorosync/gorosync/shm/shmtest"
)

func TestName(t *testing.T) {
	a, b := shmtest.Name("gsx"), shmtest.Name("gsx")
	prefix := fmt.Sprintf("gsx-%d-", os.Getpid())
	if a == b || !strings.HasPrefix(a, prefix) || !strings.HasPrefix(b, prefix) {
		t.Fatalf("names %q %q, want distinct %s<n>", a, b, prefix)
	}
}

// TestStartWith: two servers on one loop both answer, Step runs on the
// loop with the real time that passed, Do runs there between Steps, and
// the cleanup leaves /dev/shm clean after the clients are gone.
func TestStartWith(t *testing.T) {
	var steps atomic.Int64
	var elapsedNs int64 // the loop's own: read only inside Do
	step := func(ns int64) int { steps.Add(1); elapsedNs += ns; return 0 }
	names := []string{shmtest.Name("gsx"), shmtest.Name("gsx")}
	var cfgs []shm.Config
	for _, n := range names {
		cfgs = append(cfgs, shm.Config{Services: []shm.Service{{Name: n, Handler: &shmtest.Echo{}}}})
	}
	s := shmtest.StartWith(t, shmtest.Options{Step: step}, cfgs...)
	if len(s.Servers) != 2 {
		t.Fatalf("%d servers, want 2", len(s.Servers))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, n := range names {
		c, err := client.Dial(ctx, n, client.Options{})
		if err != nil {
			t.Fatalf("dial %s: %v", n, err)
		}
		req := make([]byte, shmtest.ReqHdr+3)
		shmtest.PutReqHdr(req, shmtest.IDEcho, len(req))
		resp := make([]byte, 64)
		got, err := c.Request(ctx, req, resp)
		if id, size, e := shmtest.RespHeader(resp); err != nil || got != shmtest.RespHdr+3 || id != shmtest.IDEcho || size != got || e != 1 {
			t.Fatalf("%s: echo %d bytes, header %d %d %d, %v", n, got, id, size, e, err)
		}
		c.Close()
	}
	time.Sleep(20 * time.Millisecond)
	var elapsed int64
	s.Do(t, func() { elapsed = elapsedNs })
	if steps.Load() == 0 || elapsed < int64(20*time.Millisecond) {
		t.Fatalf("%d steps over %v, want some over at least 20ms", steps.Load(), time.Duration(elapsed))
	}
	s.Stop()
	s.Stop() // idempotent; the cleanup stops it once more
}
