package votequorum

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/gorosync/gorosync/services"
	"github.com/gorosync/gorosync/services/cmap"
)

// DefaultStateDir is corosync's state directory (system.state_dir unset).
const DefaultStateDir = "/var/lib/corosync"

// Defaults of the timed features (corosync 3.1.7).
const (
	defaultLMSWindowMs             = 10000
	defaultQdevTimeoutMs           = 10000
	defaultQdevSyncTimeoutMs       = 30000
	qdevVotesAuto            int64 = -1
)

// QuorumService receives votequorum's verdicts: quorum.Engine implements
// it. votequorum calls it at every sync activation and whenever the
// verdict changes outside a sync.
type QuorumService interface {
	SetQuorum(members []uint32, quorate bool, ring services.RingID)
}

// Config is what the daemon provides.
type Config struct {
	// NodeID is this node's id (totem's nodeid).
	NodeID uint32
	// Store is the node's cmap map, loaded from corosync.conf: votequorum
	// reads quorum.* and nodelist.* from it, writes runtime.votequorum.*,
	// makes its startup-only keys read-only and tracks quorum.*,
	// nodelist.* and config.totemconfig_reload_in_progress (a change
	// re-reads the runtime keys, as Reload does; writing
	// quorum.cancel_wait_for_all ≥ 1 cancels wait_for_all cluster-wide).
	Store *cmap.Store
	// StateDir is system.state_dir (default DefaultStateDir): with
	// expected_votes_tracking or allow_downscale the highest expected
	// votes seen are kept in StateDir/ev_tracking.
	StateDir string
	// Quorum is told the verdict (the quorum service). nil: nobody.
	Quorum QuorumService
	// Log is the VOTEQ subsystem's logger (nil: discard). Notices use
	// slog.Level(2), as the daemon's logsys.
	Log *slog.Logger
}

type atbMode uint32

// auto_tie_breaker modes, as runtime.votequorum.atb_type publishes them.
const (
	atbNone atbMode = iota
	atbLowest
	atbHighest
	atbList
)

// nodelistInfo is what the nodelist says about votes.
type nodelistInfo struct {
	have      bool   // our node is in it
	ourVotes  uint32 // our quorum_votes
	count     uint32 // nodes
	totalVote uint32 // Σ quorum_votes
}

func getU32(s *cmap.Store, key string) (uint32, bool) {
	v, ok := s.Get(key)
	if !ok || v.Type != cmap.U32 || len(v.Data) != 4 {
		return 0, false
	}
	return le.Uint32(v.Data), true
}

func getU8(s *cmap.Store, key string) (uint8, bool) {
	v, ok := s.Get(key)
	if !ok || v.Type != cmap.U8 || len(v.Data) != 1 {
		return 0, false
	}
	return v.Data[0], true
}

func getStr(s *cmap.Store, key string) (string, bool) {
	v, ok := s.Get(key)
	if !ok || v.Type != cmap.String {
		return "", false
	}
	return strings.TrimSuffix(string(v.Data), "\x00"), true
}

// readNodelist walks nodelist.node.<pos>.*: our position is
// nodelist.local_node_pos, or failing that the node whose nodeid is ours.
func readNodelist(s *cmap.Store, self uint32) nodelistInfo {
	var info nodelistInfo
	ourPos, havePos := getU32(s, "nodelist.local_node_pos")
	var positions []uint32
	for _, k := range s.Keys("nodelist.node.") {
		rest := strings.TrimPrefix(k, "nodelist.node.")
		dot := strings.IndexByte(rest, '.')
		if dot <= 0 || dot == len(rest)-1 {
			continue
		}
		pos, err := strconv.ParseUint(rest[:dot], 10, 32)
		if err != nil {
			continue
		}
		if n := len(positions); n > 0 && positions[n-1] == uint32(pos) {
			continue
		}
		positions = append(positions, uint32(pos))
	}
	if !havePos {
		for _, p := range positions {
			if id, ok := getU32(s, fmt.Sprintf("nodelist.node.%d.nodeid", p)); ok && id == self {
				ourPos, havePos = p, true
			}
		}
	}
	if !havePos {
		return info
	}
	info.have = true
	for _, p := range positions {
		votes, ok := getU32(s, fmt.Sprintf("nodelist.node.%d.quorum_votes", p))
		if !ok {
			votes = 1
		}
		info.count++
		info.totalVote += votes
		if p == ourPos {
			info.ourVotes = votes
		}
	}
	return info
}

// parseATB reads quorum.auto_tie_breaker_node: "lowest", "highest" or a
// list of node ids (read as C's strtol loop does: up to the first 0 or
// non-number).
func parseATB(s string) (atbMode, []uint32) {
	switch s {
	case "lowest":
		return atbLowest, nil
	case "highest":
		return atbHighest, nil
	}
	var list []uint32
	for _, f := range strings.Fields(s) {
		n := leadingInt(f)
		if n == 0 {
			break
		}
		list = append(list, uint32(n))
		if strconv.FormatInt(n, 10) != strings.TrimPrefix(f, "+") {
			break // strtol stopped inside this word: the next read gives 0
		}
	}
	if len(list) == 0 {
		return atbNone, nil
	}
	return atbList, list
}

// leadingInt is the number at the start of s (0 if none).
func leadingInt(s string) int64 {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	j := i
	for j < len(s) && s[j] >= '0' && s[j] <= '9' {
		j++
	}
	n, err := strconv.ParseInt(s[:j], 10, 64)
	if err != nil || j == i {
		return 0
	}
	return n
}

var errNoStore = errors.New("votequorum: Config.Store is nil")
