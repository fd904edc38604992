package coroparse

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func mustParse(t *testing.T, text string, opts ...Options) *Config {
	t.Helper()
	opt := Options{LookupHost: noDNS}
	if len(opts) > 0 {
		opt = opts[0]
	}
	cfg, err := ParseWith("t.conf", strings.NewReader(text), opt)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func wantKey(t *testing.T, cfg *Config, key, want string) {
	t.Helper()
	v, ok := cfg.Keys[key]
	if !ok {
		t.Fatalf("no key %s", key)
	}
	if v.String() != want {
		t.Fatalf("%s %s, want %s", key, v, want)
	}
}

func warningsText(cfg *Config) string {
	var b strings.Builder
	for _, w := range cfg.Warnings {
		b.WriteString(w.String() + "\n")
	}
	return b.String()
}

// Comments, blanks, quoting and whitespace as corosync's parse_section:
// only a line whose first non-blank is '#' is a comment; values keep '#',
// quotes and inner blanks; blanks around names and values go; CRLF works;
// the first ':' splits; "name: {" opens a section.
func TestSyntaxDetails(t *testing.T) {
	text := "# comment\r\n" +
		"\t  # indented comment\n" +
		"\n" +
		"totem: {\r\n" + // the ':' before '{' is dropped
		" version:2\n" +
		"\tcluster_name:   \"my cluster\" # not a comment \t \r\n" +
		" transport :udpu\n" +
		"}\n" +
		"logging {\n" +
		" logfile: /var/log/a:b\n" +
		" to_logfile: yes\n" +
		"}\n" +
		"nodelist {\n node {\n  nodeid: 1\n  ring0_addr: 10.0.0.1\n }\n}" // no final newline
	cfg := mustParse(t, text)
	wantKey(t, cfg, "totem.version", "(u32) = 2")
	wantKey(t, cfg, "totem.cluster_name", `(str) = "my cluster" # not a comment`)
	wantKey(t, cfg, "totem.transport", "(str) = udpu")
	wantKey(t, cfg, "logging.logfile", "(str) = /var/log/a:b")
	if cfg.Lines["totem.cluster_name"] != 6 || cfg.Lines["nodelist.node.0.ring0_addr"] != 16 {
		t.Fatalf("lines %v", cfg.Lines)
	}
	if len(cfg.Warnings) != 0 {
		t.Fatal(warningsText(cfg))
	}
}

// A key set twice keeps the last value (icmap_set replaces), with a warning;
// inside logger_subsys corosync applies the items newest first, so the first
// stays; legacy member addresses are numbered newest first.
func TestDuplicates(t *testing.T) {
	cfg := mustParse(t, withTotem(" token: 1000\n token: 2000")+
		"logging {\n logger_subsys {\n  subsys: QUORUM\n  debug: on\n  debug: off\n }\n}\n")
	wantKey(t, cfg, "totem.token", "(u32) = 2000")
	wantKey(t, cfg, "logging.logger_subsys.QUORUM.debug", "(str) = on")
	wantKey(t, cfg, "logging.logger_subsys.QUORUM.subsys", "(str) = QUORUM")
	w := warningsText(cfg)
	for _, want := range []string{
		"t.conf:6: totem.token: set twice (lines 5 and 6); corosync uses the value from line 6",
		"t.conf:25: logging.logger_subsys.QUORUM.debug: set twice (lines 24 and 25); corosync uses the value from line 24",
	} {
		if !strings.Contains(w, want) {
			t.Errorf("warnings\n%s\nlack %q", w, want)
		}
	}
	if cfg.Logging.Subsys[0].Name != "QUORUM" || cfg.Logging.Subsys[0].Debug != "on" {
		t.Errorf("%+v", cfg.Logging.Subsys)
	}

	// Two nodelist sections: corosync numbers from 0 again and merges.
	cfg = mustParse(t, withTotem("")+"nodelist {\n node {\n  name: x\n }\n}\n")
	wantKey(t, cfg, "nodelist.node.0.name", "(str) = x")
	if len(cfg.Nodes) != 2 || cfg.Nodes[0].Name != "x" || !strings.Contains(warningsText(cfg), "t.conf:20: nodelist: second nodelist section") {
		t.Errorf("%+v\n%s", cfg.Nodes, warningsText(cfg))
	}

	// Legacy members (udp without a nodelist).
	cfg = mustParse(t, "totem {\n version: 2\n transport: udp\n interface {\n  bindnetaddr: 10.0.0.0\n  mcastaddr: 239.1.1.1\n"+
		"  member {\n   memberaddr: 10.0.0.1\n  }\n  member {\n   memberaddr: 10.0.0.2\n  }\n }\n}\n")
	wantKey(t, cfg, "totem.interface.0.member.0", "(str) = 10.0.0.2")
	wantKey(t, cfg, "totem.interface.0.member.1", "(str) = 10.0.0.1")
	if cfg.Totem.Params.Nodes != 2 || !strings.Contains(warningsText(cfg), "member sections are deprecated") {
		t.Errorf("%+v\n%s", cfg.Totem.Params, warningsText(cfg))
	}
}

func TestWarnings(t *testing.T) {
	cfg := mustParse(t, "stray: value\n"+ // 1
		withTotem(" tokn: 100\n rrp_mode: passive\n block_unlisted_ips: maybe\n nodeid: 1\n interface {\n  ringnumber: 0\n }\n token: 0")+
		"amf {\n mode: disabled\n sub {\n  x: y\n }\n}\n"+
		"logging {\n to_stderr: no\n colour: yes\n to_logfile: yes\n logger_subsys {\n  subsys: CPG\n  timestamp: on\n }\n}\n"+
		"system {\n tuning: max\n}\n"+
		"dataplane {\n cpu: 3\n spin: yes\n}\n")
	w := warningsText(cfg)
	// Line numbers: "stray" is 1, so base lines move down by one; totem
	// insertions start at 6.
	for _, want := range []string{
		"t.conf:1: stray: key outside any section: corosync keeps it but does not use it",
		"t.conf:6: totem.tokn: unknown key: corosync 3.1.7 does not read it",
		"t.conf:7: totem.rrp_mode: obsolete",
		"t.conf:8: totem.block_unlisted_ips: \"maybe\" is not yes or no: corosync uses the default (yes)",
		"t.conf:9: totem.nodeid: corosync 3 ignores totem.nodeid",
		"t.conf:11: totem.interface.ringnumber: unknown key: corosync 3 names links with linknumber",
		"t.conf:13: totem.token: 0 means the default here (3000)",
		"t.conf:28: amf: unknown section",
		"t.conf:36: logging.colour: unknown key",
		"t.conf:40: logging.logger_subsys.timestamp: unknown key: corosync 3.1.7 does not read it in a logger_subsys section",
		"t.conf:44: system.tuning: unknown key",
		"t.conf:48: dataplane.spin: unknown key: dataplane{} takes cpu, idle, transport, linkN_transport, ring_size, gso and the test-only fault_* keys",
	} {
		if !strings.Contains(w, want) {
			t.Errorf("warnings\n%s\nlack %q", w, want)
		}
	}
	// amf's own keys and its subsection are not warned about one by one.
	if strings.Contains(w, "amf.mode") || strings.Contains(w, "amf.sub") {
		t.Errorf("warnings inside an unknown section:\n%s", w)
	}
	// Unknown keys are kept as strings, as corosync keeps them.
	wantKey(t, cfg, "stray", "(str) = value")
	wantKey(t, cfg, "totem.tokn", "(str) = 100")
	wantKey(t, cfg, "totem.interface.ringnumber", "(str) = 0")
	wantKey(t, cfg, "amf.sub.x", "(str) = y")
	wantKey(t, cfg, "dataplane.cpu", "(str) = 3")
	wantKey(t, cfg, "runtime.config.totem.token", "(u32) = 3000")
	wantKey(t, cfg, "runtime.config.totem.block_unlisted_ips", "(u32) = 1")
	if cfg.Totem.NodeID != 1 || cfg.Dataplane.CPU != 3 {
		t.Errorf("%+v %+v", cfg.Totem.NodeID, cfg.Dataplane)
	}
	// The dataplane section itself is ours: no unknown-section warning.
	if strings.Contains(w, "dataplane: unknown section") {
		t.Error(w)
	}
}

func TestTypesAndDerivations(t *testing.T) {
	cfg := mustParse(t, nodes(" transport: knet\n cluster_name: gs\n token: 1000\n token_coefficient: 0\n token_retransmit: 100\n"+
		" consensus: 5000\n knet_compression_level: -3\n config_version: 18446744073709551615\n heartbeat_failures_allowed: 3\n"+
		" interface {\n  linknumber: 1\n  knet_link_priority: 7\n  knet_pong_count: 4\n  mcastport: 6000\n  knet_ping_precision: 10\n }\n",
		"  nodeid: 1\n  name: a\n  quorum_votes: 2\n  ring0_addr: 10.0.0.1\n  ring1_addr: 10.1.0.1\n",
		"  nodeid: 2\n  name: b\n  ring0_addr: 10.0.0.2\n  ring1_addr: 10.1.0.2\n",
		"  nodeid: 3\n  name: c\n  ring0_addr: 10.0.0.3\n  ring1_addr: 10.1.0.3\n")+
		"quorum {\n provider: corosync_votequorum\n two_node: 1\n device {\n  model: net\n  votes: 1\n  net {\n   host: q\n  }\n }\n}\n"+
		"uidgid {\n uid: 0\n gid: 189\n}\n")
	for key, want := range map[string]string{
		"totem.token":                                         "(u32) = 1000",
		"totem.knet_compression_level":                        "(i32) = -3",
		"totem.config_version":                                "(u64) = 18446744073709551615",
		"totem.interface.1.knet_link_priority":                "(u8) = 7",
		"totem.interface.1.mcastport":                         "(u16) = 6000",
		"totem.interface.1.knet_pong_count":                   "(u32) = 4",
		"nodelist.node.0.quorum_votes":                        "(u32) = 2",
		"nodelist.node.2.ring1_addr":                          "(str) = 10.1.0.3",
		"quorum.two_node":                                     "(u8) = 1",
		"quorum.device.votes":                                 "(u32) = 1",
		"quorum.device.net.host":                              "(str) = q",
		"uidgid.config.uid.0":                                 "(u8) = 1",
		"uidgid.config.gid.189":                               "(u8) = 1",
		"runtime.config.totem.token":                          "(u32) = 1000", // coefficient 0: no scaling
		"runtime.config.totem.token_retransmit":               "(u32) = 100",
		"runtime.config.totem.hold":                           "(u32) = 70", // from the configured retransmit
		"runtime.config.totem.consensus":                      "(u32) = 5000",
		"runtime.config.totem.knet_compression_level":         "(i32) = -3",
		"runtime.config.totem.knet_compression_model":         "(str) = none",
		"runtime.config.totem.interface.0.knet_ping_interval": "(u32) = 250",
		"runtime.config.totem.interface.0.knet_ping_timeout":  "(u32) = 500",
		"runtime.config.totem.interface.1.knet_ping_interval": "(u32) = 125", // pong_count 4
		"runtime.config.totem.interface.1.knet_ping_timeout":  "(u32) = 250",
	} {
		wantKey(t, cfg, key, want)
	}
	tt := cfg.Totem
	if len(tt.Interfaces) != 2 || tt.Interfaces[0].Mcastport != 5405 || tt.Interfaces[1].Mcastport != 6000 ||
		tt.Interfaces[1].KnetPingPrecision != 10 || tt.NetMTU != 65536 {
		t.Errorf("%+v", tt)
	}
	// heartbeat: 3 × 100 + 50 < 1000.
	if tt.Timers.HeartbeatNs != 350e6 || tt.Timers.HoldNs != 70e6 || tt.Timers.ConsensusNs != 5000e6 || tt.Timers.TokenNs != 1000e6 {
		t.Errorf("%+v", tt.Timers)
	}
	q := cfg.Quorum
	if !q.TwoNode || !q.WaitForAll || q.NodelistVotes != 4 || q.Device.Model != "net" || q.Device.Timeout != 10000 {
		t.Errorf("%+v", q)
	}
}

// Worked examples of spec §3.13 through the loader.
func TestTimerDefaultsByNodeCount(t *testing.T) {
	for _, tc := range []struct{ n, token, retransmit, hold, consensus uint32 }{
		{2, 3000, 714, 561, 3600}, {3, 3650, 869, 685, 4380}, {5, 4950, 1178, 932, 5940},
	} {
		var bodies []string
		for i := range tc.n {
			bodies = append(bodies, fmt.Sprintf("  nodeid: %d\n  ring0_addr: 10.0.0.%d\n", i+1, i+1))
		}
		tt := mustParse(t, nodes(" transport: udpu\n", bodies...)).Totem
		if tt.TokenMs != tc.token || tt.TokenRetransmitMs != tc.retransmit || tt.HoldMs != tc.hold || tt.ConsensusMs != tc.consensus {
			t.Errorf("%d nodes: %d %d %d %d", tc.n, tt.TokenMs, tt.TokenRetransmitMs, tt.HoldMs, tt.ConsensusMs)
		}
	}
}

func TestGeneratedNodeIDAndNames(t *testing.T) {
	hosts := map[string][]netip.Addr{
		"alpha": {netip.MustParseAddr("fd00::1"), netip.MustParseAddr("10.0.0.1")},
		"beta":  {netip.MustParseAddr("10.0.0.2")},
	}
	lookup := func(h string) ([]netip.Addr, error) {
		if a, ok := hosts[h]; ok {
			return a, nil
		}
		return nil, errors.New("unknown host")
	}
	cfg := mustParse(t, nodes(" transport: udpu\n ip_version: ipv4\n clear_node_high_bit: yes\n",
		"  ring0_addr: alpha\n", "  ring0_addr: beta\n", "  ring0_addr: 200.0.0.3\n"), Options{LookupHost: lookup})
	if cfg.Nodes[0].IPs[0] != netip.MustParseAddr("10.0.0.1") || !cfg.Nodes[0].GeneratedID || cfg.Nodes[0].NodeID != 0x0a000001 {
		t.Errorf("%+v", cfg.Nodes[0])
	}
	wantKey(t, cfg, "nodelist.node.1.nodeid", "(u32) = 167772162")
	wantKey(t, cfg, "nodelist.node.2.nodeid", fmt.Sprintf("(u32) = %d", uint32(200<<24|3)&0x7fffffff))
	// ip_version ipv6-4 prefers alpha's IPv6 address.
	cfg = mustParse(t, nodes(" transport: udpu\n", "  nodeid: 1\n  ring0_addr: alpha\n"), Options{LookupHost: lookup})
	if cfg.Nodes[0].IPs[0] != netip.MustParseAddr("fd00::1") {
		t.Errorf("%+v", cfg.Nodes[0])
	}
	if i, err := LocalNode(cfg.Nodes, []netip.Addr{netip.MustParseAddr("fd00::1")}, 0); i != 0 || err != nil {
		t.Errorf("LocalNode by resolved name: %d %v", i, err)
	}
	wantErr(t, nodes(" transport: udpu\n", "  nodeid: 1\n  ring0_addr: gamma\n"), 8, "nodelist.node.0.ring0_addr", `"gamma" does not resolve`)
}

func TestUDPMulticastDerived(t *testing.T) {
	cfg := mustParse(t, nodes(" transport: udp\n cluster_name: gs\n", "  nodeid: 1\n  ring0_addr: 10.0.0.1\n"))
	wantKey(t, cfg, "totem.interface.0.mcastaddr", "(str) = 239.192.1.66")
	wantKey(t, cfg, "totem.interface.0.mcastport", "(u16) = 5405")
	if cfg.Totem.IPVersion != "ipv4" {
		t.Error(cfg.Totem.IPVersion)
	}
	cfg = mustParse(t, nodes(" transport: udp\n cluster_name: gs\n interface {\n  broadcast: yes\n }\n", "  nodeid: 1\n  ring0_addr: 10.0.0.1\n"))
	wantKey(t, cfg, "totem.interface.0.mcastaddr", "(str) = 255.255.255.255")
	wantKey(t, cfg, "totem.interface.0.broadcast", "(str) = yes")
}

func TestDataplaneSection(t *testing.T) {
	cfg := mustParse(t, withTotem("")+"dataplane {\n cpu: 3\n idle: spin\n transport: xdp\n link0_transport: udp\n ring_size: 4096\n gso: no\n}\n")
	d := cfg.Dataplane
	if d.CPU != 3 || d.Idle != "spin" || d.Transport != "xdp" || d.LinkTransport[0] != "udp" || d.LinkTransport[1] != "xdp" || d.RingSize != 4096 || d.GSO {
		t.Fatalf("%+v", d)
	}
	if len(cfg.Warnings) != 0 {
		t.Fatal(warningsText(cfg))
	}
	cfg = mustParse(t, withTotem("")+"dataplane {\n link3_transport: rdma\n}\n")
	if !cfg.Dataplane.GSO {
		t.Fatal("dataplane.gso is yes by default")
	}
	if !strings.Contains(warningsText(cfg), "t.conf:21: dataplane.link3_transport: link 3 has no addresses") {
		t.Fatal(warningsText(cfg))
	}
}

func TestLoggingView(t *testing.T) {
	cfg := mustParse(t, withTotem("")+"logging {\n to_syslog: off\n debug: on\n syslog_facility: local3\n"+
		" logger_subsys {\n  subsys: TOTEM\n  debug: trace\n  to_syslog: yes\n }\n"+
		" logging_daemon {\n  name: corosync\n  subsys: CPG\n  debug: off\n }\n}\n")
	l := cfg.Logging
	if !l.ToStderr || l.ToSyslog || l.Debug != "on" || l.SyslogFacility != "local3" || l.Timestamp != "hires" || !l.Blackbox || len(l.Subsys) != 2 {
		t.Fatalf("%+v", l)
	}
	cpg, tot := l.Subsys[0], l.Subsys[1]
	if cpg.Name != "CPG" || cpg.Debug != "off" || cpg.ToSyslog || tot.Name != "TOTEM" || tot.Debug != "trace" || !tot.ToSyslog || tot.SyslogFacility != "local3" {
		t.Fatalf("%+v", l.Subsys)
	}
	wantKey(t, cfg, "logging.logger_subsys.CPG.subsys", "(str) = CPG")
}

func TestUidgid(t *testing.T) {
	opt := Options{
		LookupHost:  noDNS,
		LookupUser:  func(string) (uint32, error) { return 189, nil },
		LookupGroup: func(n string) (uint32, error) { return 0, fmt.Errorf("group %q not found", n) },
	}
	cfg := mustParse(t, withTotem("")+"uidgid {\n uid: hacluster\n gid: 7\n}\n", opt)
	wantKey(t, cfg, "uidgid.config.uid.189", "(u8) = 1")
	wantKey(t, cfg, "uidgid.config.gid.7", "(u8) = 1")
	_, err := ParseWith("t.conf", strings.NewReader(withTotem("")+"uidgid {\n gid: nobodyhere\n}\n"), opt)
	if err == nil || err.Error() != `t.conf:21: uidgid.gid: group "nobodyhere" not found` {
		t.Fatal(err)
	}
}

func TestLoadReadsUidgidDir(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "corosync.conf")
	if err := os.WriteFile(conf, []byte(withTotem("")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "uidgid.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, "uidgid.d", name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a", "# pacemaker\nuidgid {\n uid: 42\n gid: 43\n}\n")
	cfg, err := LoadWith(conf, Options{LookupHost: noDNS})
	if err != nil {
		t.Fatal(err)
	}
	wantKey(t, cfg, "uidgid.config.uid.42", "(u8) = 1")
	wantKey(t, cfg, "uidgid.config.gid.43", "(u8) = 1")

	write("b", "totem {\n token: 5\n}\n")
	_, err = LoadWith(conf, Options{LookupHost: noDNS})
	want := filepath.Join(dir, "uidgid.d", "b") + ":1: totem: a uidgid.d file may hold only uidgid sections"
	if err == nil || err.Error() != want {
		t.Fatalf("%v, want %s", err, want)
	}
}

func TestLocalNode(t *testing.T) {
	a := netip.MustParseAddr
	ns := []Node{
		{NodeID: 1, Addrs: [maxLinks]string{"10.0.0.1", "10.1.0.1"}},
		{NodeID: 2, Addrs: [maxLinks]string{"10.0.0.2", "10.1.0.2"}},
		{NodeID: 7, Addrs: [maxLinks]string{"fe80::7%eth0"}},
	}
	for _, tc := range []struct {
		name     string
		local    []netip.Addr
		explicit uint32
		want     int
		err      error
	}{
		{"ring0", []netip.Addr{a("127.0.0.1"), a("10.0.0.2")}, 0, 1, nil},
		{"ring1 only", []netip.Addr{a("10.1.0.1")}, 0, 0, nil},
		{"both links of one node", []netip.Addr{a("10.1.0.1"), a("10.0.0.1")}, 0, 0, nil},
		{"v4-mapped", []netip.Addr{a("::ffff:10.0.0.2")}, 0, 1, nil},
		{"zone ignored", []netip.Addr{a("fe80::7%eth1")}, 0, 2, nil},
		{"none", []netip.Addr{a("192.168.1.1")}, 0, -1, ErrNoLocalNode},
		{"no addresses", nil, 0, -1, ErrNoLocalNode},
		{"two nodes", []netip.Addr{a("10.0.0.1"), a("10.1.0.2")}, 0, -1, ErrAmbiguousLocalNode},
		{"explicit wins", []netip.Addr{a("10.0.0.1"), a("10.1.0.2")}, 2, 1, nil},
		{"explicit unknown", []netip.Addr{a("10.0.0.1")}, 9, -1, ErrNoLocalNode},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := LocalNode(ns, tc.local, tc.explicit)
			if got != tc.want || !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Fatalf("LocalNode = %d, %v; want %d, %v", got, err, tc.want, tc.err)
			}
		})
	}
	_, err := LocalNode(ns, []netip.Addr{a("10.0.0.1"), a("10.1.0.2")}, 0)
	if !strings.Contains(err.Error(), "node 0 (nodeid 1, 10.0.0.1) and node 1 (nodeid 2, 10.1.0.2)") {
		t.Fatal(err)
	}

	cfg := mustParse(t, withTotem(""))
	if err := cfg.SetLocal(5); err == nil {
		t.Fatal("SetLocal out of range")
	}
	if err := cfg.SetLocal(1); err != nil || cfg.Local != 1 {
		t.Fatal(err)
	}
	wantKey(t, cfg, "nodelist.local_node_pos", "(u32) = 1")
	wantKey(t, cfg, "totem.interface.0.bindnetaddr", "(str) = 10.0.0.2")
}

func TestFaultStageKeys(t *testing.T) {
	cfg := mustParse(t, withTotem("")+"dataplane {\n fault_loss_percent: 10\n fault_delay_ms: 2.5\n fault_seed: 7\n}\n")
	f := cfg.Dataplane.Fault
	if !f.Enabled() || f.LossPercent != 10 || f.DelayMs != 2.5 || f.Seed != 7 || f.DuplicatePercent != 0 {
		t.Fatalf("fault = %+v", f)
	}
	if len(cfg.Warnings) == 0 || !strings.Contains(cfg.Warnings[len(cfg.Warnings)-1].String(), "fault stage is on") {
		t.Fatalf("no warning that the fault stage is on: %v", cfg.Warnings)
	}
	if mustParse(t, withTotem("")).Dataplane.Fault.Enabled() {
		t.Fatal("fault stage on by default")
	}
}
