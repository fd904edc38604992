package votequorum

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/gorosync/gorosync/dataplane/sim"
	"github.com/gorosync/gorosync/services"
	"github.com/gorosync/gorosync/services/cmap"
	"github.com/gorosync/gorosync/services/quorum"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the golden output of testdata/sim scenarios")

// simNode is one incarnation's engines in a simulated run.
type simNode struct {
	vq *Engine
	q  *quorum.Engine
}

// simEngine gives the simulator the SetHost(*services.Host) it looks for
// (votequorum's takes its narrower Host interface).
type simEngine struct{ *Engine }

func (e simEngine) SetHost(h *services.Host) { e.Engine.SetHost(h) }

// TestSimScenarios runs votequorum over the real totem simulator (SRP,
// membership, loss, crashes, partitions): testdata/sim/*.txt are golden
// scenarios; a first line "# keys: two_node=1 wait_for_all=1" sets
// quorum.* keys of every node. The "quorum" command prints every node's
// verdict and checks that no two disjoint rings are quorate (unless
// two_node) and that each ring's members agree.
func TestSimScenarios(t *testing.T) {
	sim.RunScriptFiles(t, "testdata/sim/*.txt", func(t *testing.T, path string) *sim.Script {
		keys, ids := scenarioKeys(t, path)
		dirs := map[uint32]string{}
		nodes := map[uint32]*simNode{}
		return &sim.Script{
			Services: func(id uint32) []services.Engine {
				if dirs[id] == "" {
					dirs[id] = t.TempDir() // kept across restarts: ev_tracking
				}
				n := &simNode{}
				var err error
				if n.q, err = quorum.New(quorum.Config{Provider: quorum.ProviderVotequorum}); err != nil {
					t.Fatal(err)
				}
				if n.vq, err = New(Config{NodeID: id, Store: confStore(ids, id, keys), StateDir: dirs[id], Quorum: n.q}); err != nil {
					t.Fatal(err)
				}
				nodes[id] = n
				return []services.Engine{n.q, simEngine{n.vq}}
			},
			Commands: map[string]func(*sim.Cluster, []string) (string, error){
				"quorum": func(c *sim.Cluster, _ []string) (string, error) { return quorumView(c, ids, nodes) },
			},
		}
	}, *rewrite)
}

// scenarioKeys reads the "# keys:" and "# nodes:" header lines.
func scenarioKeys(t *testing.T, path string) (map[string]cmap.Value, []uint32) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	keys := map[string]cmap.Value{}
	ids := []uint32{1, 2, 3}
	sc := bufio.NewScanner(f)
	for sc.Scan() && strings.HasPrefix(sc.Text(), "#") {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "# keys:"); ok {
			for _, kv := range strings.Fields(rest) {
				k, v, _ := strings.Cut(kv, "=")
				n, err := strconv.ParseUint(v, 10, 32)
				if err != nil {
					t.Fatalf("%s: %s: %v", path, kv, err)
				}
				if k == "last_man_standing_window" || k == "expected_votes" {
					keys["quorum."+k] = u32(uint32(n))
				} else {
					keys["quorum."+k] = u8(uint8(n))
				}
			}
		}
		if rest, ok := strings.CutPrefix(line, "# nodes:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(rest))
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			ids = ids[:0]
			for i := 1; i <= n; i++ {
				ids = append(ids, uint32(i))
			}
		}
	}
	return keys, ids
}

func quorumView(c *sim.Cluster, ids []uint32, nodes map[uint32]*simNode) (string, error) {
	var lines []string
	quorateRings := map[services.RingID]bool{}
	verdict := map[services.RingID]string{}
	twoNode := false
	for _, id := range ids {
		h := c.Host(id)
		if h == nil {
			lines = append(lines, fmt.Sprintf("n%d down", id))
			continue
		}
		n := nodes[id]
		twoNode = twoNode || n.vq.twoNode
		v := fmt.Sprintf("quorate=%v quorum=%d expected=%d", n.vq.Quorate(), n.vq.Quorum(), n.vq.ExpectedVotes())
		ring := h.Ring()
		if old, ok := verdict[ring]; ok && old != v {
			return "", fmt.Errorf("ring %d.%d: node %d has %s, another member %s", ring.Rep, ring.Seq, id, v, old)
		}
		verdict[ring] = v
		if n.vq.Quorate() {
			quorateRings[ring] = true
		}
		view, _ := n.q.View()
		lines = append(lines, fmt.Sprintf("n%d %s members %v", id, v, view))
	}
	if len(quorateRings) > 1 && !twoNode {
		return "", fmt.Errorf("%d disjoint rings are quorate:\n%s", len(quorateRings), strings.Join(lines, "\n"))
	}
	return strings.Join(lines, "\n"), nil
}
