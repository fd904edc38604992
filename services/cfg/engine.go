package cfg

import (
	"log/slog"
	"slices"

	"github.com/gorosync/gorosync/services"
	"github.com/gorosync/gorosync/services/cmap"
	"github.com/gorosync/gorosync/services/cserror"
	"github.com/gorosync/gorosync/shm"
)

// ipcConn is the side of an IPC connection the engine uses: *shm.Conn, or
// a test's own.
type ipcConn interface {
	ID() uint64
	Respond(msg []byte) error
	Event(msg []byte) error
	SetContext(v any)
	Context() any
}

var (
	_ ipcConn            = (*shm.Conn)(nil)
	_ shm.Handler        = (*Engine)(nil)
	_ shm.ConnectHandler = (*Engine)(nil)
	_ services.Deliverer = (*Engine)(nil)
	_ services.Ticker    = (*Engine)(nil)
	_ services.Engine    = (*Engine)(nil)
)

// Engine is the cfg service of one node: the engine on the data plane
// (service 1, exec messages SHUTDOWN, KILLNODE, RELOAD_CONFIG; the
// shutdown timer through Tick) and the IPC service to serve under the
// socket name "cfg" (an shm.Handler). Everything runs on the token loop's
// goroutine.
type Engine struct {
	cfg  Config
	host *services.Host

	trackers []*connState // in the order they started tracking
	neg      *negotiation // the shutdown being negotiated, nil if none
	// reloads are the connections owed a RELOAD_CONFIG reply, by id.
	reloads map[uint64]ipcConn
	buf     []byte // reply scratch
}

// NewEngine makes the engine; call SetHost before it sends anything.
func NewEngine(cfg Config) *Engine {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Store == nil {
		cfg.Store = cmap.NewStore()
	}
	if cfg.Nodes == nil {
		cfg.Nodes = func() []Node { return nil }
	}
	return &Engine{cfg: cfg, reloads: map[uint64]ipcConn{}}
}

// SetHost connects the engine to the host that sends its exec messages
// and tells it whether a sync is in progress.
func (e *Engine) SetHost(h *services.Host) { e.host = h }

// ID is corosync's service id for cfg.
func (e *Engine) ID() uint16 { return services.CFG }

// Name is the short name corosync publishes in cmap.
func (e *Engine) Name() string { return "cfg" }

// members is the current ring's membership.
func (e *Engine) members() []uint32 {
	if e.cfg.Members != nil {
		return e.cfg.Members()
	}
	if e.host != nil {
		return e.host.Members()
	}
	return nil
}

// syncing tells whether flow-controlled requests must wait.
func (e *Engine) syncing() bool { return e.host != nil && e.host.Syncing() }

// send queues one exec message; ErrTryAgain when it cannot.
func (e *Engine) send(fn uint16, parts ...[]byte) Error {
	if e.host == nil {
		return cserror.ErrTryAgain
	}
	if err := e.host.Send(services.CFG, fn, parts...); err != nil {
		e.cfg.Log.Debug("cannot send exec message", "fn", fn, "err", err)
		return cserror.ErrTryAgain
	}
	return cserror.OK
}

// node returns the nodelist entry of id.
func (e *Engine) node(id uint32) (Node, bool) {
	for _, n := range e.cfg.Nodes() {
		if n.ID == id {
			return n, true
		}
	}
	return Node{}, false
}

// nodeIDs returns the nodelist's ids, ascending.
func (e *Engine) nodeIDs() []uint32 {
	nodes := e.cfg.Nodes()
	ids := make([]uint32, 0, len(nodes))
	for _, n := range nodes {
		ids = append(ids, n.ID)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

func (e *Engine) scratch(n int) []byte {
	if cap(e.buf) < n {
		e.buf = make([]byte, n)
	}
	b := e.buf[:n]
	clear(b)
	return b
}
