package coroparse

import (
	"bufio"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const sharedDir = "../../../../shared/data/corosync-3.1.7-udpu"

func readShared(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(sharedDir, name))
	if err != nil {
		t.Fatalf("shared test vector missing: %v", err)
	}
	return string(data)
}

// cmapLines returns corosync-cmapctl's "key (type) = value" lines of the
// keys corosync derives from corosync.conf.
func configDerived(key string) bool {
	for _, p := range []string{"totem.", "nodelist.", "logging.", "quorum.", "system.", "uidgid.", "runtime.config.totem."} {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// TestSharedConfigMatchesCorosyncCmap: the keys we make from the real
// corosync.conf of node 1 are, name for name, type for type and value for
// value, the config-derived keys corosync 3.1.7 held (corosync-cmapctl).
//
// Placeholders: system.state_dir and logging.logfile were rewritten in both
// files alike, so they compare equal. Runtime-only: nodelist.local_node_pos
// and totem.interface.0.bindnetaddr come from finding the local node (the
// host's addresses), so they are compared after SetLocal; the rest of the
// cmap (runtime.members, runtime.services, runtime.votequorum, resources,
// internal_configuration, runtime.blackbox, runtime.force_gather) is the
// running daemon's and not the loader's.
func TestSharedConfigMatchesCorosyncCmap(t *testing.T) {
	conf := readShared(t, "corosync-node1.conf")
	cmap := readShared(t, "cmapctl-all.txt")

	want := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(cmap))
	for sc.Scan() {
		line := sc.Text()
		key, rest, ok := strings.Cut(line, " (")
		if !ok || !configDerived(key) {
			continue
		}
		want[key] = "(" + rest
	}
	if len(want) < 40 {
		t.Fatalf("only %d config-derived keys in cmapctl-all.txt", len(want))
	}

	cfg, err := Parse("corosync-node1.conf", strings.NewReader(conf))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("warnings: %v", cfg.Warnings)
	}
	local, err := LocalNode(cfg.Nodes, []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("198.18.1.1")}, 0)
	if err != nil || local != 0 {
		t.Fatalf("LocalNode = %d, %v", local, err)
	}

	// Before SetLocal: everything but the two local-node keys.
	compare(t, "before SetLocal", cfg.Keys, want, "nodelist.local_node_pos", "totem.interface.0.bindnetaddr")
	if err := cfg.SetLocal(local); err != nil {
		t.Fatal(err)
	}
	compare(t, "after SetLocal", cfg.Keys, want)

	// The typed views.
	tt := cfg.Totem
	if tt.Transport != "udpu" || tt.ClusterName != "gs" || tt.TokenMs != 1650 || tt.TokenRetransmitMs != 392 ||
		tt.HoldMs != 303 || tt.ConsensusMs != 1980 || tt.Params.Nodes != 3 || tt.Params.TokenMs != 1000 ||
		tt.NetMTU != 1500 || tt.IPVersion != "ipv6-4" || len(tt.Interfaces) != 1 || tt.Interfaces[0].Mcastport != 5405 ||
		tt.Interfaces[0].Bindnetaddr != "198.18.1.1" {
		t.Errorf("totem view: %+v", tt)
	}
	if tt.Timers.TokenNs != 1650e6 || tt.Timers.TokenRetransmitNs != 392e6 || tt.Timers.HoldNs != 303e6 ||
		tt.Timers.ConsensusNs != 1980e6 || tt.Timers.JoinNs != 50e6 || tt.Timers.MergeNs != 200e6 {
		t.Errorf("timers: %+v", tt.Timers)
	}
	if len(cfg.Nodes) != 3 || cfg.Nodes[2].NodeID != 3 || cfg.Nodes[2].Name != "n3" || cfg.Nodes[2].Addrs[0] != "198.18.1.3" {
		t.Errorf("nodes: %+v", cfg.Nodes)
	}
	if cfg.Quorum.Provider != "corosync_votequorum" || cfg.Quorum.NodelistVotes != 3 {
		t.Errorf("quorum: %+v", cfg.Quorum)
	}
	lg := cfg.Logging
	if lg.ToStderr || !lg.ToLogfile || lg.Logfile != "/var/lib/gs/node1/log/daemon.log" || lg.Timestamp != "hires" || !lg.ToSyslog {
		t.Errorf("logging: %+v", lg)
	}
	if cfg.System.StateDir != "/var/lib/gs/node1/lib" || cfg.System.MoveToRootCgroup != "no" || !cfg.System.SchedRR {
		t.Errorf("system: %+v", cfg.System)
	}
	if d := cfg.Dataplane; d.CPU != -1 || d.Idle != "hybrid" || d.Transport != "udp" || d.LinkTransport[3] != "udp" || d.RingSize != 1024 {
		t.Errorf("dataplane defaults: %+v", d)
	}
}

func compare(t *testing.T, when string, got map[string]Value, want map[string]string, skip ...string) {
	t.Helper()
	var names []string
	for k := range want {
		names = append(names, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	for _, k := range names {
		if slices.Contains(skip, k) {
			if _, ok := got[k]; ok {
				t.Errorf("%s: %s present", when, k)
			}
			continue
		}
		w, inWant := want[k]
		g, inGot := got[k]
		switch {
		case !inWant:
			t.Errorf("%s: extra key %s %s", when, k, g)
		case !inGot:
			t.Errorf("%s: missing key %s %s", when, k, w)
		case g.String() != w:
			t.Errorf("%s: %s %s, corosync has %s", when, k, g, w)
		}
	}
}

func TestLoadSharedConfig(t *testing.T) {
	cfg, err := Load(filepath.Join(sharedDir, "corosync-node1.conf"))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Nodes) != 3 || cfg.File != filepath.Join(sharedDir, "corosync-node1.conf") {
		t.Fatalf("%+v", cfg)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "absent.conf")); err == nil {
		t.Fatal("Load of a missing file succeeded")
	}
}
