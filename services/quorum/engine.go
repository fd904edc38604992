package quorum

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"

	"github.com/gorosync/gorosync/services"
	"github.com/gorosync/gorosync/shm"
)

// ProviderVotequorum is the one quorum.provider gorosync has.
const ProviderVotequorum = "corosync_votequorum"

// LevelNotice is corosync's notice priority on slog (between Info and
// Warn), the level of the lines corosync logs at notice.
const LevelNotice = slog.Level(2)

// Config is what the daemon provides.
type Config struct {
	// Provider is quorum.provider from the configuration: "" (no
	// provider: the node is always quorate, GETTYPE answers QUORUM_FREE)
	// or ProviderVotequorum (the daemon then runs votequorum, which
	// reports through SetQuorum; GETTYPE answers QUORUM_SET, which
	// Pacemaker requires).
	Provider string
	// Changed, if set, is called after each report of the provider with
	// its verdict (corosync's internal quorum callbacks, e.g. for the
	// daemon to publish or gate on it).
	Changed func(quorate bool)
	// Log is the QUORUM subsystem's logger (nil: discard).
	Log *slog.Logger
}

// Engine is the quorum service: a services.Engine and Syncer, and the
// shm.Handler to serve under the socket name "quorum".
type Engine struct {
	cfg     Config
	log     *slog.Logger
	typ     uint32
	quorate bool // corosync's primary_designated

	// The provider's last report.
	view []uint32
	ring services.RingID

	// The last sync: members, the members of the one before, and who
	// joined and left between them.
	syncRing            services.RingID
	members, oldMembers []uint32
	joined, left        []uint32

	trackers []*shm.Conn // connections tracking changes, in start order
	buf      []byte      // reply and event scratch
}

// New checks the configuration and returns the service. A provider other
// than corosync_votequorum is an error naming the key.
func New(cfg Config) (*Engine, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	e := &Engine{cfg: cfg, log: cfg.Log}
	switch cfg.Provider {
	case "":
		e.typ, e.quorate = TypeFree, true
	case ProviderVotequorum:
		e.typ = TypeSet
		e.notice("Using quorum provider " + cfg.Provider)
	default:
		return nil, fmt.Errorf("quorum.provider: %q is not a quorum provider gorosync has (%s)", cfg.Provider, ProviderVotequorum)
	}
	return e, nil
}

func (e *Engine) notice(msg string) { e.log.Log(context.Background(), LevelNotice, msg) }

// ID is corosync's service id 3.
func (e *Engine) ID() uint16 { return services.QUORUM }

// Name is corosync's short name.
func (e *Engine) Name() string { return "quorum" }

// Quorate is the node's verdict: true without a provider, false with one
// until it reports.
func (e *Engine) Quorate() bool { return e.quorate }

// Type is GETTYPE's answer: TypeSet with a provider, TypeFree without.
func (e *Engine) Type() uint32 { return e.typ }

// View returns the members and ring of the provider's last report.
func (e *Engine) View() ([]uint32, services.RingID) { return slices.Clone(e.view), e.ring }

// SetQuorum is the provider's report (corosync's quorum_api_set_quorum):
// the members of the ring it judged, its verdict and the ring. It logs a
// change of verdict and notifies every tracking client.
func (e *Engine) SetQuorum(members []uint32, quorate bool, ring services.RingID) {
	was := e.quorate
	e.quorate = quorate
	switch {
	case quorate && !was:
		e.notice("This node is within the primary component and will provide service.")
	case !quorate && was:
		e.notice("This node is within the non-primary component and will NOT provide any services.")
	}
	e.view = append(e.view[:0], members...)
	e.ring = ring
	if e.cfg.Changed != nil {
		e.cfg.Changed(quorate)
	}
	e.notifyQuorum(nil)
}

// SyncInit records the new members and who joined and left since the
// last sync (corosync's rule: a node of the old list that is not in the
// transitional list, or not in the new list, left; a node of the new list
// that was not in the old list, or left, joined).
func (e *Engine) SyncInit(trans, members []uint32, ring services.RingID) {
	e.members = append(e.members[:0], members...)
	e.syncRing = ring
	e.left = e.left[:0]
	for _, id := range e.oldMembers {
		if !slices.Contains(trans, id) || !slices.Contains(members, id) {
			e.left = append(e.left, id)
		}
	}
	e.joined = e.joined[:0]
	for _, id := range members {
		if !slices.Contains(e.oldMembers, id) || slices.Contains(e.left, id) {
			e.joined = append(e.joined, id)
		}
	}
	e.notice(viewLine("Sync members", e.members))
	if len(e.joined) > 0 {
		e.notice(viewLine("Sync joined", e.joined))
	}
	if len(e.left) > 0 {
		e.notice(viewLine("Sync left", e.left))
	}
}

// SyncProcess has nothing to exchange.
func (e *Engine) SyncProcess() bool { return true }

// SyncActivate makes the new members the old ones and sends v1 trackers
// the nodelist notification (members, joined, left).
func (e *Engine) SyncActivate() {
	e.oldMembers = append(e.oldMembers[:0], e.members...)
	e.notifyNodeList(nil, true)
}

// SyncAbort keeps what SyncInit computed: the next round recomputes it.
func (e *Engine) SyncAbort() {}

// viewLine formats a node list as corosync logs it ("Members[3]: 1 2 3").
// corosync splits long lists into 64-byte lines; this logs one line.
func viewLine(what string, ids []uint32) string {
	var b strings.Builder
	b.WriteString(what + "[" + strconv.Itoa(len(ids)) + "]:")
	for _, id := range ids {
		b.WriteString(" " + strconv.FormatUint(uint64(id), 10))
	}
	return b.String()
}
