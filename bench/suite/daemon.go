package suite

import (
	"fmt"
	"strings"

	"github.com/gorosync/gorosync/bench/cluster"
)

// Daemon names an implementation under test.
type Daemon string

// The daemons the suite knows.
const (
	Gorosync Daemon = "gorosync"
	Corosync Daemon = "corosync"
)

// Label is the daemon's name in tables.
func (d Daemon) Label() string {
	if d == Corosync {
		return "corosync 3.1.7"
	}
	return string(d)
}

// ParseDaemon reads a daemon name as flags give it.
func ParseDaemon(s string) (Daemon, error) {
	switch strings.TrimSpace(s) {
	case "gorosync":
		return Gorosync, nil
	case "corosync":
		return Corosync, nil
	}
	return "", fmt.Errorf("unknown daemon %q (want gorosync or corosync)", s)
}

// Totem is the token setting of a cluster. The zero value is both daemons'
// defaults (token 3000 ms, token_coefficient 650 ms, consensus 1.2 ×
// token): no token line is written at all.
type Totem struct {
	TokenMs int // 0: the default
	// With TokenMs set, token_coefficient is written as 0 so that the
	// token is TokenMs whatever the node count, and below 150 ms
	// token_retransmits_before_loss_const 1, as corosync's 30 ms minimum
	// token_retransmit requires.
}

// ParseTotem reads "default" or a token timeout in ms.
func ParseTotem(s string) (Totem, error) {
	s = strings.TrimSpace(s)
	if s == "default" {
		return Totem{}, nil
	}
	var ms int
	if _, err := fmt.Sscanf(s, "%d", &ms); err != nil || ms < 50 || ms > 60000 || fmt.Sprint(ms) != s {
		return Totem{}, fmt.Errorf("token %q: want \"default\" or 50..60000 (ms)", s)
	}
	return Totem{TokenMs: ms}, nil
}

// String is "default" or "300 ms".
func (t Totem) String() string {
	if t.TokenMs == 0 {
		return "default"
	}
	return fmt.Sprintf("%d ms", t.TokenMs)
}

// Describe says what the setting means for n nodes, for tables.
func (t Totem) Describe(nodes int) string {
	if t.TokenMs == 0 {
		tok := 3000 + 650*max(nodes-2, 0)
		return fmt.Sprintf("defaults: token %d ms (3000 + 650 × %d), consensus %d ms", tok, max(nodes-2, 0), tok*6/5)
	}
	s := fmt.Sprintf("token %d ms, token_coefficient 0, consensus %d ms", t.TokenMs, t.TokenMs*6/5)
	if t.TokenMs < 150 {
		s += ", token_retransmits_before_loss_const 1"
	}
	return s
}

// topology is one cluster's settings.
type topology struct {
	daemon Daemon
	nodes  int
	totem  Totem
	label  string // names the cluster's directory and profiles
	extra  string // appended to gorosync's config only
}

// conf is the corosync.conf both daemons read: udpu, no crypto, one link,
// votequorum, logging to a file with hires timestamps.
func (t topology) conf(n *cluster.Node) string {
	var b strings.Builder
	b.WriteString("totem {\n version: 2\n cluster_name: gsbench\n transport: udpu\n crypto_cipher: none\n crypto_hash: none\n")
	if t.totem.TokenMs > 0 {
		fmt.Fprintf(&b, " token: %d\n token_coefficient: 0\n", t.totem.TokenMs)
		if t.totem.TokenMs < 150 {
			b.WriteString(" token_retransmits_before_loss_const: 1\n")
		}
	}
	b.WriteString("}\nnodelist {\n")
	for i := 1; i <= t.nodes; i++ {
		fmt.Fprintf(&b, " node {\n  nodeid: %d\n  name: n%d\n  ring0_addr: %s\n }\n", i, i, cluster.Addr(0, i))
	}
	b.WriteString("}\nquorum {\n provider: corosync_votequorum\n}\n")
	fmt.Fprintf(&b, "logging {\n to_stderr: no\n to_syslog: no\n to_logfile: yes\n logfile: %s\n timestamp: hires\n}\n", n.LogPath)
	fmt.Fprintf(&b, "system {\n state_dir: %s\n move_to_root_cgroup: no\n}\n", n.Dir+"/lib")
	if t.daemon == Gorosync && t.extra != "" {
		b.WriteString(t.extra + "\n")
	}
	return b.String()
}
