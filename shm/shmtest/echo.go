package shmtest

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorosync/gorosync/shm"
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

// Echo is the test service of the IPC client tests. Its handler methods
// run on the server's Poll goroutine; the counters may be read from
// anywhere.
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

// EchoServer is a running server with one Echo service.
type EchoServer struct {
	*Server
	Echo *Echo
	Name string
	Cfg  shm.Config
}

// EchoOptions adjust StartEcho.
type EchoOptions struct {
	// Before sees every request first; returning true means it handled it.
	Before func(c *shm.Conn, req []byte) bool
	// Config adjusts the server's configuration (Services is filled in).
	Config func(*shm.Config)
}

// StartEcho runs a server in mode with an Echo service under a unique
// name (Start's loop, cleanup and root check), and at the end of the test
// also checks that every connection's /dev/shm directory is gone.
func StartEcho(t testing.TB, mode shm.Mode, o EchoOptions) *EchoServer {
	t.Helper()
	cfg := shm.Config{Mode: mode}
	if o.Config != nil {
		o.Config(&cfg)
	}
	e := &Echo{beforeHandle: o.Before}
	name := Name("gstest")
	cfg.Services = append(cfg.Services, shm.Service{Name: name, Handler: e})
	s := &EchoServer{Server: Start(t, cfg), Echo: e, Name: name, Cfg: cfg}
	t.Cleanup(func() { // before Start's cleanup, which checks all of /dev/shm
		s.Stop()
		waitGone(t, e.Dirs(), 5*time.Second)
	})
	return s
}
