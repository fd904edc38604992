package sim

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/gorosync/gorosync/services"
)

// syncProbe is a test engine: it records the last sync round it saw
// activated and counts its exec messages, sending one per round from its
// SyncProcess (so sync's barriers wait for real traffic over SRP).
type syncProbe struct {
	host      *services.Host
	activated services.RingID
	members   []uint32
	initRing  services.RingID
	got       map[uint32]int // per sender: probes delivered this round
	err       string
}

func (p *syncProbe) ID() uint16                              { return 9 }
func (p *syncProbe) Name() string                            { return "probe" }
func (p *syncProbe) SetHost(h *services.Host)                { p.host = h }
func (p *syncProbe) SyncAbort()                              {}
func (p *syncProbe) SyncProcess() bool                       { return p.host.Send(9, 0, []byte("probe")) == nil }
func (p *syncProbe) Deliver(from uint32, _ uint16, _ []byte) { p.got[from]++ }
func (p *syncProbe) SyncInit(_, members []uint32, ring services.RingID) {
	p.initRing, p.members, p.got = ring, slices.Clone(members), map[uint32]int{}
}

// SyncActivate checks what sync promises: every member's probe of this
// round arrived before activation.
func (p *syncProbe) SyncActivate() {
	p.activated = p.initRing
	for _, m := range p.members {
		if p.got[m] == 0 {
			p.err = fmt.Sprintf("activated ring %d.%d without member %d's probe", p.initRing.Rep, p.initRing.Seq, m)
		}
	}
}

// syncedCommand prints, per up node, the ring its services last
// activated and its members, and fails if a probe saw a broken barrier.
func syncedCommand(probes map[uint32]*syncProbe) func(c *Cluster, args []string) (string, error) {
	return func(c *Cluster, _ []string) (string, error) {
		var lines []string
		for id := uint32(1); int(id) <= len(c.nodes); id++ {
			h := c.Host(id)
			if h == nil {
				lines = append(lines, fmt.Sprintf("n%d down", id))
				continue
			}
			p := probes[id]
			if p.err != "" {
				return "", fmt.Errorf("node %d: %s", id, p.err)
			}
			state := "synced"
			if h.Syncing() {
				state = "syncing"
			}
			lines = append(lines, fmt.Sprintf("n%d %s activated %d.%d members %v", id, state, p.activated.Rep, p.activated.Seq, p.members))
		}
		return strings.Join(lines, "\n"), nil
	}
}

// TestServiceScenarios runs the sync engine on the simulated ring: after
// every membership change each partition's nodes activate the same ring
// with the same members, and only after every member's sync traffic.
func TestServiceScenarios(t *testing.T) {
	RunScriptFiles(t, "testdata/services/*.txt", func(*testing.T, string) *Script {
		probes := map[uint32]*syncProbe{}
		return &Script{
			Services: func(id uint32) []services.Engine {
				probes[id] = &syncProbe{}
				return []services.Engine{probes[id]}
			},
			Commands: map[string]func(*Cluster, []string) (string, error){"synced": syncedCommand(probes)},
		}
	}, *rewrite)
}
