package shm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"time"

	"github.com/gorosync/gorosync/ring"
	"golang.org/x/sys/unix"
)

// service is a configured service.
type service struct {
	name    string
	handler Handler
}

// Server is the IPC server of every configured service.
type Server struct {
	cfg      Config
	log      *slog.Logger
	services []service
	pid      uint32
	root     bool

	// shared with the acceptor
	slots   []atomic.Pointer[Conn] // connection table; the index travels through handoff
	handoff *ring.MPSC             // acceptor → poller: slot indexes of finished handshakes
	wakeFd  int                    // eventfd in ep: the acceptor (or a Close) wants a Poll
	active  atomic.Int64
	nextID  atomic.Uint64
	nextGen atomic.Uint32
	cursor  int // acceptor only: where the next free-slot search starts
	stats   counters
	acc     *acceptor

	// Poll goroutine only
	ep         int
	timerFd    int
	events     []unix.EpollEvent
	adoptFn    func([]byte)
	closing    []*Conn
	retry      []*Conn
	notes      []*Conn // connections owed notification bytes this pass
	deferred   []*Conn // connections whose request bytes wait for BeforeSleep
	retryIvl   time.Duration
	timerArmed bool
	timerFired bool
	scratch    []byte // a request that wraps the ring's end; socket-mode datagrams
	byteBuf    []byte // notification bytes in
	zeros      []byte // notification bytes out
	gather     []byte
	iov        [maxIov]unix.Iovec
	smsg       unix.Msghdr
	rmsg       unix.Msghdr
	riov       unix.Iovec
	oob        []byte
	started    bool
	closed     bool
}

type counters struct {
	accepted, refused, handshakeFailures                atomic.Uint64
	requests, responses, responseErrors, events, queued atomic.Uint64
	disconnects, stalled, badRequests                   atomic.Uint64
}

// New checks cfg and prepares a server; Start publishes its sockets.
func New(cfg Config) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: cfg.Log, pid: uint32(os.Getpid()), root: os.Geteuid() == 0,
		ep: -1, wakeFd: -1, timerFd: -1}
	for _, svc := range cfg.Services {
		s.services = append(s.services, service{name: svc.Name, handler: svc.Handler})
	}
	s.slots = make([]atomic.Pointer[Conn], cfg.MaxConns)
	capacity := 2
	for capacity < cfg.MaxConns {
		capacity *= 2
	}
	if s.handoff, err = ring.NewMPSC(capacity, 4); err != nil {
		return nil, err
	}
	if err := s.openFds(); err != nil {
		s.closeFds()
		return nil, err
	}
	s.events = make([]unix.EpollEvent, 128)
	s.byteBuf = make([]byte, max(cfg.RequestsPerPass, 64))
	s.zeros = make([]byte, 4096)
	s.notes = make([]*Conn, 0, cfg.MaxConns)
	s.deferred = make([]*Conn, 0, cfg.MaxConns)
	s.oob = make([]byte, 2*credOOBSize)
	s.adoptFn = s.adoptMsg
	s.retryIvl = retryMin
	return s, nil
}

func (s *Server) openFds() error {
	var err error
	if s.ep, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return wrapErrno("epoll_create1", err)
	}
	if s.wakeFd, err = unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK); err != nil {
		return wrapErrno("eventfd", err)
	}
	if s.timerFd, err = unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_CLOEXEC|unix.TFD_NONBLOCK); err != nil {
		return wrapErrno("timerfd_create", err)
	}
	for _, f := range [...]struct {
		fd  int
		tag int32
	}{{s.wakeFd, tagWake}, {s.timerFd, tagTimer}} {
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: -1, Pad: f.tag << 24}
		if err := unix.EpollCtl(s.ep, unix.EPOLL_CTL_ADD, f.fd, &ev); err != nil {
			return wrapErrno("epoll_ctl", err)
		}
	}
	return nil
}

func (s *Server) closeFds() {
	for _, fd := range [...]*int{&s.timerFd, &s.wakeFd, &s.ep} {
		if *fd >= 0 {
			unix.Close(*fd)
			*fd = -1
		}
	}
}

// Start binds every service's listening socket (abstract, or filesystem
// sockets in SocketDir when ForceFilesystemSocketsPath exists) and starts
// the acceptor goroutine.
func (s *Server) Start() error {
	if s.closed {
		return ErrServerClosed
	}
	if s.started {
		return errors.New("shm: server already started")
	}
	fs := forceFilesystemSockets()
	var ls []*listener
	for i, svc := range s.services {
		l, err := listen(svc.name, i, fs)
		if err != nil {
			for _, l := range ls {
				l.close()
			}
			return err
		}
		ls = append(ls, l)
	}
	acc, err := newAcceptor(s, ls)
	if err != nil {
		for _, l := range ls {
			l.close()
		}
		return err
	}
	s.acc, s.started = acc, true
	go acc.run()
	s.log.Info("ipc: listening", "services", len(ls), "mode", s.cfg.Mode.String(), "filesystem_sockets", fs)
	return nil
}

// Fd is an epoll descriptor that becomes readable when Poll has work: a
// new connection, a connection's socket readable or hung up, an owed
// notification byte that can go, a retry due. The token loop sleeps on it.
func (s *Server) Fd() int { return s.ep }

// Close stops accepting, disconnects and cleans up every connection
// (handlers hear Disconnected) and releases the server's descriptors. Call
// it on the Poll goroutine, or after that goroutine stopped calling Poll.
func (s *Server) Close() error {
	if s.closed {
		return nil
	}
	if s.acc != nil {
		s.acc.stop()
	}
	// Finished handshakes the poller never adopted: nobody heard of them.
	s.handoff.Drain(len(s.slots), func(msg []byte) {
		if c := s.slots[int32(binary.LittleEndian.Uint32(msg))].Load(); c != nil {
			c.reason = "server closed"
			s.teardown(c)
		}
	})
	for i := range s.slots {
		if c := s.slots[i].Load(); c != nil {
			if c.state == stateOpen {
				c.state, c.reason = stateClosing, "server closed"
			}
			s.teardown(c)
		}
	}
	s.reap()
	s.closed = true
	s.closeFds()
	return nil
}

// Stats returns the counters; any goroutine may call it.
func (s *Server) Stats() Stats {
	t := &s.stats
	return Stats{
		Accepted: t.accepted.Load(), Active: s.active.Load(), Refused: t.refused.Load(),
		HandshakeFailures: t.handshakeFailures.Load(), Requests: t.requests.Load(),
		Responses: t.responses.Load(), ResponseErrors: t.responseErrors.Load(),
		Events: t.events.Load(), EventsQueued: t.queued.Load(), Disconnects: t.disconnects.Load(),
		Stalled: t.stalled.Load(), BadRequests: t.badRequests.Load(),
	}
}

// reserveSlot takes a free connection-table slot for a new connection
// (acceptor goroutine). false: MaxConns connections are open.
func (s *Server) reserveSlot() (*Conn, bool) {
	if s.active.Load() >= int64(len(s.slots)) {
		return nil, false
	}
	c := &Conn{setupFd: -1, gen: s.nextGen.Add(1), sock: sockConn{reqFd: -1, evFd: -1}}
	for i := range s.slots {
		j := (s.cursor + i) % len(s.slots)
		if s.slots[j].CompareAndSwap(nil, c) {
			c.slot = int32(j)
			s.cursor = j + 1
			s.active.Add(1)
			return c, true
		}
	}
	return nil, false
}

// releaseSlot frees the connection's slot (either goroutine).
func (s *Server) releaseSlot(c *Conn) {
	if s.slots[c.slot].CompareAndSwap(c, nil) {
		s.active.Add(-1)
	}
}

// handOff passes a finished connection to the poller. The ring holds at
// least MaxConns entries and every entry holds a slot, so it cannot fill.
func (s *Server) handOff(c *Conn) {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(c.slot))
	for s.handoff.Offer(b[:]) != nil {
		time.Sleep(time.Millisecond) // unreachable by construction
	}
	s.wake()
}

// chownTo is the owner for the connection's files: the client, when the
// server may give files away (root); else -1 (leave them ours).
func (c *Conn) chownTo() (int, int) {
	if !c.s.root {
		return -1, -1
	}
	return int(c.uid), int(c.gid)
}

// createResources makes the per-connection directory and the transport's
// files and sockets, filling in the handshake response. On error the
// caller runs destroyResources.
func (c *Conn) createResources(r *connResponse) error {
	dir, err := makeConnDir(c.s.cfg.ShmDir, c.s.pid, c.pid, c.setupFd, c.uid, c.gid)
	if err != nil {
		return err
	}
	c.dir = dir
	if c.mode == ModeSHM {
		return c.createSHM(r)
	}
	return c.createSocket(r)
}

// destroyResources removes everything createResources made (what exists).
func (c *Conn) destroyResources() {
	if c.mode == ModeSHM {
		c.destroySHM()
	} else {
		c.destroySocket()
	}
	if err := removeConnDir(c.dir); err != nil {
		c.s.log.Warn("ipc: could not remove connection directory", "dir", c.dir, "err", err)
	}
	c.dir = ""
}

// String names the connection for logs.
func (c *Conn) String() string {
	return fmt.Sprintf("%s#%d(pid %d)", c.svc.name, c.id, c.pid)
}
