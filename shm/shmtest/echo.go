// Package shmtest holds what the IPC client tests and benchmarks share:
// an in-process shm server running a test echo service, unique service
// names and the /dev/shm cleanliness check. Only tests import it.
//
// The echo service's requests (all integers little-endian):
//
//	id 0 ECHO    header(16) payload            → response header(24, id 0) payload
//	id 1 EVENTS  header(16) u32 N, u32 0, payload
//	                                           → N events header(24, id 1) payload,
//	                                             then response header(24, id 1)
//	id 2 SINK    header(16) payload            → nothing (one-way; counted)
//	id 3 COUNT   header(16)                    → response header(24, id 3) u64 sinks so far
//	other ids                                  → response header(24, id) error 7 (CS_ERR_INVALID_PARAM)
//
// Every response and event carries error 1 (CS_OK) otherwise.
package shmtest

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorosync/gorosync/shm"
	"golang.org/x/sys/unix"
)

// Message ids and header sizes of the echo service.
const (
	IDEcho   = 0
	IDEvents = 1
	IDSink   = 2
	IDCount  = 3

	ReqHdr  = 16
	RespHdr = 24
	// EventsHdr is the EVENTS request's header plus its count words.
	EventsHdr = ReqHdr + 8

	csOK           = 1
	csInvalidParam = 7
)

var le = binary.LittleEndian

// Echo is the test service. Its handler methods run on the server's Poll
// goroutine; the counters may be read from anywhere.
type Echo struct {
	Sinks        atomic.Uint64
	Requests     atomic.Uint64
	Disconnects  atomic.Int64
	LastConn     atomic.Pointer[shm.Conn]
	hdr          [RespHdr + 8]byte // response scratch (Poll goroutine only)
	evHdr        [RespHdr]byte
	beforeHandle func(c *shm.Conn, req []byte) bool
	mu           sync.Mutex
	dirs         []string
}

// Request implements shm.Handler.
func (e *Echo) Request(c *shm.Conn, req []byte) {
	e.Requests.Add(1)
	if e.beforeHandle != nil && e.beforeHandle(c, req) {
		return
	}
	if len(req) < ReqHdr {
		return
	}
	id := int32(le.Uint32(req[0:]))
	switch id {
	case IDEcho:
		payload := req[ReqHdr:]
		putHdr(e.hdr[:RespHdr], IDEcho, RespHdr+len(payload), csOK)
		_ = c.RespondParts(e.hdr[:RespHdr], payload)
	case IDEvents:
		if len(req) < EventsHdr {
			putHdr(e.hdr[:RespHdr], id, RespHdr, csInvalidParam)
			_ = c.Respond(e.hdr[:RespHdr])
			return
		}
		n := int(le.Uint32(req[ReqHdr:]))
		payload := req[EventsHdr:]
		putHdr(e.evHdr[:], IDEvents, RespHdr+len(payload), csOK)
		for range n {
			if c.EventParts(e.evHdr[:], payload) != nil {
				break
			}
		}
		putHdr(e.hdr[:RespHdr], IDEvents, RespHdr, csOK)
		_ = c.Respond(e.hdr[:RespHdr])
	case IDSink:
		e.Sinks.Add(1)
	case IDCount:
		putHdr(e.hdr[:RespHdr], IDCount, RespHdr+8, csOK)
		le.PutUint64(e.hdr[RespHdr:], e.Sinks.Load())
		_ = c.Respond(e.hdr[:RespHdr+8])
	default:
		putHdr(e.hdr[:RespHdr], id, RespHdr, csInvalidParam)
		_ = c.Respond(e.hdr[:RespHdr])
	}
}

// Connected records the connection and its directory (shm.ConnectHandler).
func (e *Echo) Connected(c *shm.Conn) {
	e.LastConn.Store(c)
	e.mu.Lock()
	e.dirs = append(e.dirs, c.Dir())
	e.mu.Unlock()
}

// Dirs are the /dev/shm directories of every connection so far.
func (e *Echo) Dirs() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.dirs...)
}

// Disconnected implements shm.Handler.
func (e *Echo) Disconnected(c *shm.Conn) { e.Disconnects.Add(1) }

func putHdr(b []byte, id int32, size int, errCode int32) {
	clear(b[:RespHdr])
	le.PutUint32(b[0:], uint32(id))
	le.PutUint32(b[8:], uint32(size))
	le.PutUint32(b[16:], uint32(errCode))
}

// PutReqHdr writes a request header (id, size) into b[:16].
func PutReqHdr(b []byte, id int32, size int) {
	clear(b[:ReqHdr])
	le.PutUint32(b[0:], uint32(id))
	le.PutUint32(b[8:], uint32(size))
}

// RespHeader reads a response header: id, size, error.
func RespHeader(b []byte) (id int32, size int, errCode int32) {
	return int32(le.Uint32(b[0:])), int(int32(le.Uint32(b[8:]))), int32(le.Uint32(b[16:]))
}

// Fill writes the test pattern of message seed into p.
func Fill(p []byte, seed uint32) {
	for i := range p {
		p[i] = pattern(seed, i)
	}
}

// Check returns the index of the first byte of p that is not the pattern
// of seed, or -1.
func Check(p []byte, seed uint32) int {
	for i := range p {
		if p[i] != pattern(seed, i) {
			return i
		}
	}
	return -1
}

// pattern is the byte the C client uses too (qbclient.c fill).
func pattern(seed uint32, i int) byte {
	return byte(seed*29 + uint32(i)*7 + uint32(i)>>9)
}

var names atomic.Uint64

// Name is a service name unique to this process and call: gstest-<pid>-<n>.
func Name() string { return fmt.Sprintf("gstest-%d-%d", os.Getpid(), names.Add(1)) }

// Server is an in-process shm server with one Echo service.
type Server struct {
	*shm.Server
	Echo *Echo
	Name string
	Cfg  shm.Config

	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// Opts adjust Start.
type Opts struct {
	// Before sees every request first; returning true means it handled it.
	Before func(c *shm.Conn, req []byte) bool
	// Config adjusts the server's configuration (Services is filled in).
	Config func(*shm.Config)
}

// Start runs a server in mode with an Echo service under a unique name,
// with its Poll loop on a goroutine, and stops it at the end of the test,
// checking that every connection's /dev/shm directory is gone. It skips
// the test unless it runs as root, as the shm package's own tests do: the
// server chowns per-connection files and raises socket buffers beyond
// net.core.wmem_max (SO_SNDBUFFORCE) for 1 MiB datagrams.
func Start(t testing.TB, mode shm.Mode, o Opts) *Server {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root (the shm server chowns per-connection files and uses SO_SNDBUFFORCE)")
	}
	cfg := shm.Config{Mode: mode}
	if o.Config != nil {
		o.Config(&cfg)
	}
	e := &Echo{beforeHandle: o.Before}
	name := Name()
	cfg.Services = append(cfg.Services, shm.Service{Name: name, Handler: e})
	srv, err := shm.New(cfg)
	if err != nil {
		t.Fatalf("shm.New: %v", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("shm server Start: %v", err)
	}
	s := &Server{Server: srv, Echo: e, Name: name, Cfg: cfg, done: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go s.loop(ctx)
	live.Add(1)
	t.Cleanup(func() {
		s.Stop()
		waitGone(t, e.Dirs(), 5*time.Second)
		if live.Add(-1) == 0 { // no other server of this process runs now
			WaitClean(t, 5*time.Second)
		}
	})
	return s
}

// live counts the servers Start has running.
var live atomic.Int64

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

// loop is the owner's Poll loop: poll, and when there was nothing to do,
// sleep on the server's descriptor for up to 1 ms.
func (s *Server) loop(ctx context.Context) {
	defer close(s.done)
	fds := []unix.PollFd{{Fd: int32(s.Fd()), Events: unix.POLLIN}}
	ts := unix.NsecToTimespec(int64(time.Millisecond))
	for ctx.Err() == nil {
		if s.Poll() > 0 {
			continue
		}
		_, _ = unix.Ppoll(fds, &ts, nil)
	}
}

// Stop ends the Poll loop and closes the server (idempotent).
func (s *Server) Stop() {
	s.once.Do(func() {
		s.cancel()
		<-s.done
		_ = s.Close()
	})
}

// ShmEntries lists the per-connection directories in /dev/shm of a server
// process (libqb's qb-<serverpid>-...).
func ShmEntries(serverPID int) []string {
	m, _ := filepath.Glob(fmt.Sprintf("/dev/shm/qb-%d-*", serverPID))
	return m
}

// WaitClean waits up to d for this process's server directories to go
// from /dev/shm, removes what is left and fails the test if anything was.
func WaitClean(t testing.TB, d time.Duration) {
	t.Helper()
	WaitCleanPID(t, os.Getpid(), d)
}

// WaitCleanPID is WaitClean for the directories of server process pid.
func WaitCleanPID(t testing.TB, pid int, d time.Duration) {
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
