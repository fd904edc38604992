package shm

import (
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Mode is the transport the server gives every connection (corosync's
// system.qb_ipc_type). The server alone decides; the client obeys the
// connection_type of the handshake response.
type Mode uint8

const (
	// ModeSHM: three libqb shared-memory rings per connection
	// (connection_type 1). corosync's "native" and "shm"; the only mode
	// Pacemaker accepts.
	ModeSHM Mode = iota
	// ModeSocket: abstract datagram sockets and a control file
	// (connection_type 0). corosync's "socket".
	ModeSocket
)

// String returns corosync's name for the mode.
func (m Mode) String() string {
	switch m {
	case ModeSHM:
		return "shm"
	case ModeSocket:
		return "socket"
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// connectionType is the handshake's connection_type (libqb's
// QB_IPC_SOCKET 0, QB_IPC_SHM 1).
func (m Mode) connectionType() int32 {
	if m == ModeSocket {
		return 0
	}
	return 1
}

// ParseMode reads corosync's system.qb_ipc_type: "native" (and the empty
// string, the default) and "shm" are ModeSHM, "socket" is ModeSocket.
func ParseMode(s string) (Mode, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "native", "shm":
		return ModeSHM, nil
	case "socket":
		return ModeSocket, nil
	}
	return 0, fmt.Errorf("shm: qb_ipc_type %q is not native, shm or socket", s)
}

// Handler is a service's server side. Its methods run on the goroutine
// that calls Server.Poll (the token loop), never concurrently.
type Handler interface {
	// Request hands over one request: req starts with the 16-byte request
	// header (id int32 at 0, size int32 at 8; CPG's MCAST requests carry a
	// 24-byte header with the same id and size offsets) and is exactly
	// size bytes, already validated (16 ≤ size ≤ max_msg_size). req is the
	// server's private copy, never the client's shared memory, and is
	// valid only during the call.
	Request(c *Conn, req []byte)
	// Disconnected is called once for every connection the handler was
	// told about, whatever ended it (client exit or crash, Conn.Close, a
	// bad or stalled client, Server.Close). The Conn's methods return
	// ErrClosed from then on.
	Disconnected(c *Conn)
}

// ConnectHandler is optionally implemented by a Handler that wants to know
// about a connection before its first request (corosync's lib_init_fn).
// It runs on the Poll goroutine; Conn.Close inside it refuses the client.
type ConnectHandler interface {
	Connected(c *Conn)
}

// Service is one IPC service: its socket name and its handler.
type Service struct {
	Name    string // socket name, e.g. "cmap": 1..64 bytes, no '/' or NUL
	Handler Handler
}

// Config configures a Server. Zero values take the documented defaults.
type Config struct {
	Services []Service
	Mode     Mode
	// MaxMsgSize is the server minimum: the negotiated size is
	// max(client's wish, MaxMsgSize), capped at MaxMsgSizeCap. Default
	// 1 MiB (what every corosync client library asks for).
	MaxMsgSize int
	// MaxMsgSizeCap bounds what a client may ask for (libqb has no bound;
	// the client obeys the size in the response; each connection holds three
	// rings of this size in /dev/shm). Default 16 MiB.
	MaxMsgSizeCap int
	// Authorize decides whether a client may connect (corosync's policy,
	// spec §1.6, lives in the caller). It runs on the acceptor goroutine.
	// nil accepts uid 0 or gid 0 only. Refusal answers -EACCES.
	Authorize func(pid, uid, gid uint32) bool
	// Ready reports whether the daemon accepts clients yet; false answers
	// -EAGAIN (corosync before its first sync; Pacemaker retries). It runs
	// on the acceptor goroutine. nil is always ready.
	Ready func() bool
	// ShmDir is where per-connection directories are made. Default /dev/shm.
	ShmDir string
	// MaxConns bounds the open connections of all services together;
	// beyond it the handshake answers -EMFILE, as corosync does when libqb
	// reports too few file descriptors left (libqb itself has no limit: it
	// accepts until accept() fails). Default 1024.
	MaxConns int
	// EventQueue bounds the events queued per connection while its event
	// channel is full; beyond it (or beyond EventQueueBytes) the connection
	// is disconnected as a stalled client, counted and logged. Default 1024.
	EventQueue int
	// EventQueueBytes bounds the bytes of those queued events. Default 64 MiB.
	EventQueueBytes int
	// RequestsPerPass bounds the requests one connection gets processed in
	// one Poll pass, so that a busy client cannot starve the others.
	// Default 8.
	RequestsPerPass int
	// HandshakeTimeout bounds one handshake (connect to response sent) and,
	// in socket mode, the wait for the client to bind its event socket.
	// Default 5 s.
	HandshakeTimeout time.Duration
	// Log receives connection-level messages (never one per request).
	// nil discards them.
	Log *slog.Logger
}

const (
	defaultMaxMsgSize      = 1 << 20
	defaultMaxMsgSizeCap   = 16 << 20
	defaultMaxConns        = 1024
	defaultEventQueue      = 1024
	defaultEventQueueBytes = 64 << 20
	defaultRequestsPerPass = 8
	defaultHandshake       = 5 * time.Second
	maxServiceName         = 64
)

// withDefaults returns cfg with zero fields defaulted, or an error.
func (cfg Config) withDefaults() (Config, error) {
	if len(cfg.Services) == 0 {
		return cfg, fmt.Errorf("shm: no services")
	}
	seen := map[string]bool{}
	for _, s := range cfg.Services {
		if len(s.Name) == 0 || len(s.Name) > maxServiceName || strings.ContainsAny(s.Name, "/\x00") {
			return cfg, fmt.Errorf("shm: service name %q: want 1..%d bytes without '/' or NUL", s.Name, maxServiceName)
		}
		if seen[s.Name] {
			return cfg, fmt.Errorf("shm: service %q twice", s.Name)
		}
		seen[s.Name] = true
		if s.Handler == nil {
			return cfg, fmt.Errorf("shm: service %q has no handler", s.Name)
		}
	}
	if cfg.Mode != ModeSHM && cfg.Mode != ModeSocket {
		return cfg, fmt.Errorf("shm: unknown mode %d", cfg.Mode)
	}
	if cfg.MaxMsgSize <= 0 {
		cfg.MaxMsgSize = defaultMaxMsgSize
	}
	if cfg.MaxMsgSize < connResponseSize {
		cfg.MaxMsgSize = connResponseSize // what every libqb client asks for at least
	}
	if cfg.MaxMsgSizeCap <= 0 {
		cfg.MaxMsgSizeCap = defaultMaxMsgSizeCap
	}
	if cfg.MaxMsgSizeCap < cfg.MaxMsgSize {
		cfg.MaxMsgSizeCap = cfg.MaxMsgSize
	}
	if cfg.MaxMsgSizeCap > 1<<30 {
		return cfg, fmt.Errorf("shm: MaxMsgSizeCap %d above 1 GiB", cfg.MaxMsgSizeCap)
	}
	if cfg.ShmDir == "" {
		cfg.ShmDir = "/dev/shm"
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = defaultMaxConns
	}
	if cfg.MaxConns > 1<<20 {
		return cfg, fmt.Errorf("shm: MaxConns %d above 1Mi", cfg.MaxConns)
	}
	if cfg.EventQueue <= 0 {
		cfg.EventQueue = defaultEventQueue
	}
	if cfg.EventQueueBytes <= 0 {
		cfg.EventQueueBytes = defaultEventQueueBytes
	}
	if cfg.RequestsPerPass <= 0 {
		cfg.RequestsPerPass = defaultRequestsPerPass
	}
	if cfg.HandshakeTimeout <= 0 {
		cfg.HandshakeTimeout = defaultHandshake
	}
	if cfg.Authorize == nil {
		cfg.Authorize = RootOnly
	}
	if cfg.Ready == nil {
		cfg.Ready = func() bool { return true }
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return cfg, nil
}

// RootOnly is the default Authorize: uid 0 or gid 0 (the first test of
// corosync's policy).
func RootOnly(pid, uid, gid uint32) bool { return uid == 0 || gid == 0 }

// Stats are the server's counters; any goroutine may read them.
type Stats struct {
	Accepted          uint64 // connections that completed the handshake
	Active            int64  // connections holding a slot now (being set up after their request arrived, or open; not yet cleaned up)
	Refused           uint64 // handshakes answered with an error (-EACCES, -EAGAIN, -EMFILE, resource errors)
	HandshakeFailures uint64 // sockets closed before or during the handshake (timeout, bad first message, client gone)
	Requests          uint64 // requests handed to handlers
	Responses         uint64 // responses written
	ResponseErrors    uint64 // responses that could not be written (client not reading, gone)
	Events            uint64 // events written to the client's event channel
	EventsQueued      uint64 // events that had to wait in a queue first
	Disconnects       uint64 // connections cleaned up
	Stalled           uint64 // connections disconnected because their event queue overflowed
	BadRequests       uint64 // protocol violations (lying sizes, corrupt rings, stray bytes or datagrams)
}
