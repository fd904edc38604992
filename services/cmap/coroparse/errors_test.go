package coroparse

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

// base is a valid udpu config; %s is replaced by lines inserted in totem{}
// from line 5 on. Without insertions: nodelist at 7, node 0 at 8 (nodeid 9,
// ring0_addr 10), node 1 at 12 (nodeid 13, ring0_addr 14).
const base = `totem {
 version: 2
 cluster_name: t
 transport: udpu
%s
}
nodelist {
 node {
  nodeid: 1
  ring0_addr: 10.0.0.1
 }
 node {
  nodeid: 2
  ring0_addr: 10.0.0.2
 }
}
quorum {
 provider: corosync_votequorum
}
`

func withTotem(lines string) string { return fmt.Sprintf(base, lines) }

func noDNS(host string) ([]netip.Addr, error) {
	return nil, fmt.Errorf("no DNS in tests (asked for %s)", host)
}

// wantErr parses text as t.conf and checks the error starts with
// "t.conf:LINE: KEY: " and contains msg.
func wantErr(t *testing.T, text string, line int, key, msg string) {
	t.Helper()
	_, err := ParseWith("t.conf", strings.NewReader(text), Options{LookupHost: noDNS})
	if err == nil {
		t.Fatalf("no error, want line %d key %s: %s", line, key, msg)
	}
	var ce *Error
	if !errors.As(err, &ce) || !errors.Is(err, ErrConfig) {
		t.Fatalf("error %v is not a *Error", err)
	}
	prefix := fmt.Sprintf("t.conf:%d: ", line)
	if line == 0 {
		prefix = "t.conf: "
	}
	if key != "" {
		prefix += key + ": "
	}
	if !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), msg) {
		t.Fatalf("error\n  %v\nwant prefix %q and %q", err, prefix, msg)
	}
	if ce.Line != line || ce.Key != key || ce.File != "t.conf" {
		t.Fatalf("error fields %+v", ce)
	}
}

func TestBaseIsValid(t *testing.T) {
	cfg, err := ParseWith("t.conf", strings.NewReader(withTotem("")), Options{LookupHost: noDNS})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Warnings) != 0 {
		t.Fatal(cfg.Warnings)
	}
	if cfg.Totem.TokenMs != 3000 || cfg.Totem.TokenRetransmitMs != 714 || cfg.Totem.HoldMs != 561 || cfg.Totem.ConsensusMs != 3600 {
		t.Fatalf("%+v", cfg.Totem)
	}
}

func TestSyntaxErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		line       int
		key, msg   string
	}{
		{"unclosed section", "totem {\n version: 2\n", 1, "totem", "section is not closed: missing '}' (the file ends at line 2)"},
		{"unclosed outer", "totem {\n interface {\n  linknumber: 0\n}\n", 1, "totem", "section is not closed"},
		{"unclosed inner", "totem {\n interface {\n  linknumber: 0\n", 2, "totem.interface", "section is not closed"},
		{"stray brace", "# c\n}\n", 2, "", "unexpected '}': no section is open"},
		{"brace after all closed", "totem {\n}\n}\n", 3, "", "unexpected '}'"},
		{"no colon", "totem {\n version 2\n}\n", 2, "totem", `line "version 2" is not 'name {', 'key: value' or '}'`},
		{"text after brace", "totem {\n} x\n", 2, "totem", "extra characters before or after '}'"},
		{"text before brace", "totem {\n x }\n", 2, "totem", "extra characters before or after '}'"},
		{"no section name", "  {\n", 1, "", "missing section name before '{'"},
		{"text after open", "totem { version: 2\n", 1, "totem", `extra characters "version: 2" after '{'`},
		{"brace in value", "totem {\n cluster_name: a{b\n}\n", 2, "totem.cluster_name: a", `extra characters "b" after '{'`},
		{"bad section name", "tot em {\n}\n", 1, "tot em", "invalid section name"},
		{"no key name", "totem {\n : 2\n}\n", 2, "totem", "missing key name before ':'"},
		{"bad key name", "totem {\n to ken: 2\n}\n", 2, "totem.to ken", `invalid key name "to ken"`},
		{"short top-level key", "ab: c\n", 1, "ab", "invalid key name"},
		{"line too long", "totem {\n cluster_name: " + strings.Repeat("x", 500) + "\n}\n", 2, "totem", "line too long"},
		{"line far too long", "totem {\n cluster_name: " + strings.Repeat("x", 5000) + "\n}\n", 2, "totem", "line too long"},
		{"NUL", "totem {\n cluster_name: a\x00b\n}\n", 2, "totem", "NUL byte"},
		{"section in interface", "totem {\n interface {\n  foo {\n", 3, "totem.interface.foo", `section "foo" is not allowed inside interface{}`},
		{"section in node", "nodelist {\n node {\n  x {\n  }\n }\n}\n", 3, "nodelist.node.x", "not allowed inside node{}"},
		{"logger_subsys without subsys", "logging {\n logger_subsys {\n  debug: on\n }\n}\n", 4, "logging.logger_subsys", "logger_subsys section without a subsys key"},
		{"logging_daemon without name", "logging {\n logging_daemon {\n  debug: on\n }\n}\n", 4, "logging.logging_daemon", "without a name key"},
		{"uidgid other key", "uidgid {\n user: 0\n}\n", 2, "uidgid.user", "only uid and gid"},
		{"member other key", "totem {\n interface {\n  member {\n   addr: 1.2.3.4\n", 4, "totem.interface.member.addr", "only memberaddr"},
		{"linknumber too big", "totem {\n interface {\n  linknumber: 8\n", 3, "totem.interface.linknumber", "link 8 is above the maximum 7"},
		{"linknumber not u8", "totem {\n interface {\n  linknumber: 256\n", 3, "totem.interface.linknumber", `"256" is out of range 0..255`},
		{"mcastport not u16", "totem {\n interface {\n  mcastport: 70000\n", 3, "totem.interface.mcastport", `"70000" is out of range 0..65535`},
	} {
		t.Run(tc.name, func(t *testing.T) { wantErr(t, tc.text, tc.line, tc.key, tc.msg) })
	}
}

func TestValidationErrors(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		line       int
		key, msg   string
	}{
		{"not a number", withTotem(" token: abc"), 5, "totem.token", `"abc" is not a number`},
		{"empty number", withTotem(" token:"), 5, "totem.token", `"" is not a number`},
		{"hex number", withTotem(" token: 0x10"), 5, "totem.token", `"0x10" is not a number`},
		{"negative u32", withTotem(" token: -1"), 5, "totem.token", `"-1" is out of range 0..4294967295`},
		{"u32 overflow", withTotem(" token: 99999999999"), 5, "totem.token", "out of range 0..4294967295"},
		{"i32 range", withTotem(" knet_compression_level: 3000000000"), 5, "totem.knet_compression_level", "out of range -2147483648..2147483647"},
		{"u64 negative", withTotem(" config_version: -1"), 5, "totem.config_version", `"-1" is negative`},
		{"u64 word", withTotem(" config_version: one"), 5, "totem.config_version", "not a number"},
		{"token minimum", withTotem(" token: 20"), 5, "totem.token", "the token timeout 20 ms is below the minimum 30 ms"},
		{"token too small for retransmit", withTotem(" token: 100"), 5, "totem.token", "gives token_retransmit 23 ms, below the minimum 30 ms"},
		{"trbl too big", withTotem(" token_retransmits_before_loss_const: 200"), 5, "totem.token_retransmits_before_loss_const", "gives token_retransmit 14 ms"},
		{"token_retransmit minimum", withTotem(" token_retransmit: 29"), 5, "totem.token_retransmit", "29 ms is below the minimum 30 ms"},
		{"hold minimum", withTotem(" hold: 13"), 5, "totem.hold", "13 ms is below the minimum 14 ms"},
		{"join minimum", withTotem(" join: 20"), 5, "totem.join", "20 ms is below the minimum 30 ms"},
		{"consensus minimum", withTotem(" consensus: 29"), 5, "totem.consensus", "29 ms is below the minimum 30 ms"},
		{"consensus below join", withTotem(" join: 60\n consensus: 50"), 6, "totem.consensus", "consensus 50 ms is less than join 60 ms"},
		{"consensus below big join", withTotem(" join: 4000"), 5, "totem.join", "consensus 3600 ms is less than join 4000 ms"},
		{"merge minimum", withTotem(" merge: 10"), 5, "totem.merge", "below the minimum 30 ms"},
		{"downcheck minimum", withTotem(" downcheck: 10"), 5, "totem.downcheck", "below the minimum 30 ms"},
		{"max_network_delay minimum", withTotem(" max_network_delay: 10"), 5, "totem.max_network_delay", "below the minimum 30 ms"},
		{"token_warning", withTotem(" token_warning: 101"), 5, "totem.token_warning", "101% is not between 0 (off) and 100"},
		{"max_messages above window", withTotem(" window_size: 10"), 5, "totem.window_size", "max_messages 17 is above window_size 10"},
		{"window too big", withTotem(" window_size: 9000"), 5, "totem.window_size", "9000 is above 8192"},
		{"netmtu", withTotem(" netmtu: 100"), 5, "totem.netmtu", "100 is outside 154..65536"},
		{"transport", withTotem(" transport: tcp"), 5, "totem.transport", `"tcp" is not one of udpu, udp, knet`},
		{"version", withTotem(" version: 3"), 5, "totem.version", "3: corosync 3.1.7 parses only version 2"},
		{"version missing", "totem {\n transport: udpu\n}\n", 1, "totem.version", "missing"},
		{"cipher name", withTotem(" crypto_cipher: aes512"), 5, "totem.crypto_cipher", `"aes512" is not one of none, aes256, aes192, aes128`},
		{"hash name", withTotem(" crypto_hash: sha3"), 5, "totem.crypto_hash", `"sha3" is not one of none, md5`},
		{"crypto model", withTotem(" crypto_model: foo"), 5, "totem.crypto_model", "not one of nss, openssl, gcrypt"},
		{"cipher needs hash", withTotem(" crypto_cipher: aes256"), 5, "totem.crypto_cipher", "needs a crypto_hash other than none"},
		{"crypto needs knet", withTotem(" crypto_cipher: aes256\n crypto_hash: sha256"), 5, "totem.crypto_cipher", "only valid with transport knet"},
		{"inline key too short", withTotem(" transport: knet\n crypto_cipher: aes256\n crypto_hash: sha256\n key: short"), 8, "totem.key", "6 bytes: the key must have 128 to 4096"},
		{"ip_version name", withTotem(" ip_version: ipv5"), 5, "totem.ip_version", `"ipv5" is not one of ipv4, ipv6, ipv4-6, ipv6-4`},
		{"ip_version excludes address", withTotem(" ip_version: ipv6"), 10, "nodelist.node.0.ring0_addr", `"10.0.0.1" is not an address of ip_version ipv6`},
		{"link_mode", withTotem(" link_mode: fast"), 5, "totem.link_mode", `"fast" is not one of active, passive, rr`},
		{"compression model", withTotem(" knet_compression_model: rar"), 5, "totem.knet_compression_model", "not one of none, zlib"},
		{"ttl needs udp", withTotem(" interface {\n  ttl: 5\n }"), 6, "totem.interface.0.ttl", "ttl can only be set with transport udp"},
		{"priority needs knet", withTotem(" interface {\n  knet_link_priority: 5\n }"), 6, "totem.interface.0.knet_link_priority", "only be set with transport knet"},
		{"port 0", withTotem(" interface {\n  mcastport: 0\n }"), 6, "totem.interface.0.mcastport", "port 0"},
		{"knet_transport", withTotem(" interface {\n  knet_transport: tcp\n }"), 6, "totem.interface.knet_transport", `"tcp" is not one of udp, sctp`},
		{"udp without mcast", "totem {\n version: 2\n transport: udp\n}\nnodelist {\n node {\n  nodeid: 1\n  ring0_addr: 10.0.0.1\n }\n}\n",
			1, "totem.interface.0.mcastaddr", "no multicast address for link 0: set mcastaddr or totem.cluster_name"},
		{"udp unicast mcastaddr", "totem {\n version: 2\n transport: udp\n interface {\n  mcastaddr: 10.1.1.1\n }\n}\nnodelist {\n node {\n  nodeid: 1\n  ring0_addr: 10.0.0.1\n }\n}\n",
			5, "totem.interface.0.mcastaddr", "10.1.1.1 is not a multicast address"},
		{"udp mcast family", "totem {\n version: 2\n transport: udp\n ip_version: ipv4-6\n interface {\n  mcastaddr: ff15::1\n }\n}\nnodelist {\n node {\n  nodeid: 1\n  ring0_addr: 10.0.0.1\n }\n}\n",
			6, "totem.interface.0.mcastaddr", "not of the family of link 0's addresses"},
		{"system yes/no", "system {\n sched_rr: maybe\n}\n", 2, "system.sched_rr", `"maybe" is not one of yes, no`},
		{"system cgroup", "system {\n move_to_root_cgroup: sometimes\n}\n", 2, "system.move_to_root_cgroup", "not one of yes, no, auto"},
		{"system ipc", "system {\n qb_ipc_type: pipe\n}\n", 2, "system.qb_ipc_type", "not one of native, shm, socket"},
		{"system priority", "system {\n priority: high\n}\n", 2, "system.priority", `"high" is not max, min or a number`},
		{"logging yes/no", "logging {\n to_stderr: perhaps\n}\n", 2, "logging.to_stderr", "not one of yes, no, on, off"},
		{"logging timestamp", "logging {\n timestamp: always\n}\n", 2, "logging.timestamp", "not one of on, hires, off"},
		{"logging debug", "logging {\n logger_subsys {\n  subsys: QUORUM\n  debug: loud\n }\n}\n", 4, "logging.logger_subsys.debug", "not one of off, on, trace"},
		{"logging priority", "logging {\n logfile_priority: loud\n}\n", 2, "logging.logfile_priority", "not one of alert"},
		{"logging facility", "logging {\n syslog_facility: local9\n}\n", 2, "logging.syslog_facility", "not one of auth"},
		{"quorum u8", "quorum {\n two_node: 256\n}\n", 2, "quorum.two_node", "out of range 0..255"},
		{"quorum u32", "quorum {\n expected_votes: x\n}\n", 2, "quorum.expected_votes", `"x" is not a number`},
		{"qdevice u32", "quorum {\n device {\n  timeout: -5\n }\n}\n", 3, "quorum.device.timeout", "out of range"},
		{"quorum provider", strings.Replace(withTotem(""), "corosync_votequorum", "corosync_vq", 1), 18, "quorum.provider", `"corosync_vq" is not a quorum provider`},
		{"votequorum needs votes", "totem {\n version: 2\n interface {\n  bindnetaddr: 10.0.0.0\n }\n}\nquorum {\n provider: corosync_votequorum\n}\n", 8, "quorum.provider", "needs a nodelist or quorum.expected_votes"},
		{"resources u32", "resources {\n watchdog_timeout: soon\n}\n", 2, "resources.watchdog_timeout", "not a number"},
		{"resources u64", "resources {\n system {\n  memory_used {\n   poll_period: -3\n  }\n }\n}\n", 4, "resources.system.memory_used.poll_period", "is negative"},
	} {
		t.Run(tc.name, func(t *testing.T) { wantErr(t, tc.text, tc.line, tc.key, tc.msg) })
	}
}

// nodes builds a nodelist config with the given totem lines and node bodies.
func nodes(totemLines string, bodies ...string) string {
	var b strings.Builder
	b.WriteString("totem {\n version: 2\n" + totemLines + "}\nnodelist {\n")
	for _, body := range bodies {
		b.WriteString(" node {\n" + body + " }\n")
	}
	b.WriteString("}\n")
	return b.String()
}

func TestNodelistErrors(t *testing.T) {
	// Lines: totem 1, version 2, the totem lines, "}", "nodelist {", then
	// each node: "node {", its lines, "}".
	udpu := " transport: udpu\n" // totem is lines 1-4, nodelist 5, first node 6
	knet := " transport: knet\n"
	for _, tc := range []struct {
		name, text string
		line       int
		key, msg   string
	}{
		{"duplicate nodeid", nodes(udpu, "  nodeid: 1\n  ring0_addr: 10.0.0.1\n", "  nodeid: 1\n  ring0_addr: 10.0.0.2\n"),
			11, "nodelist.node.1.nodeid", "node id 1 is also node 0's (line 6)"},
		{"duplicate derived nodeid", nodes(udpu, "  nodeid: 167772162\n  ring0_addr: 10.0.0.1\n", "  ring0_addr: 10.0.0.2\n"),
			11, "nodelist.node.1.ring0_addr", "node id 167772162 (derived from ring0_addr 10.0.0.2) is also node 0's"},
		{"duplicate address", nodes(udpu, "  nodeid: 1\n  ring0_addr: 10.0.0.1\n", "  nodeid: 2\n  ring0_addr: 10.0.0.1\n"),
			12, "nodelist.node.1.ring0_addr", "address 10.0.0.1 is also node 0's (line 6)"},
		{"nodeid range", nodes(udpu, "  nodeid: 4294967296\n  ring0_addr: 10.0.0.1\n"), 7, "nodelist.node.0.nodeid", "out of range 0..4294967295"},
		{"knet nodeid required", nodes(knet, "  ring0_addr: 10.0.0.1\n"), 6, "nodelist.node.0.nodeid", "knet needs an explicit non-zero nodeid"},
		{"knet nodeid zero", nodes(knet, "  nodeid: 0\n  ring0_addr: 10.0.0.1\n"), 7, "nodelist.node.0.nodeid", "knet needs an explicit non-zero nodeid"},
		{"knet nodeid max", nodes(knet, "  nodeid: 65536\n  ring0_addr: 10.0.0.1\n"), 7, "nodelist.node.0.nodeid", "knet needs node ids below 65536"},
		{"ipv6 without nodeid", nodes(udpu, "  ring0_addr: fd00::1\n"), 6, "nodelist.node.0.nodeid", `ring0_addr "fd00::1" is not IPv4`},
		{"link above 7", nodes(knet, "  nodeid: 1\n  ring8_addr: 10.0.0.1\n"), 8, "nodelist.node.0.ring8_addr", "link 8 is above the maximum 7"},
		{"bad address", nodes(udpu, "  nodeid: 1\n  ring0_addr: 10.0.0.300\n"), 8, "nodelist.node.0.ring0_addr", `"10.0.0.300" does not resolve`},
		{"garbage address", nodes(udpu, "  nodeid: 1\n  ring0_addr: a b\n"), 8, "nodelist.node.0.ring0_addr", `"a b" is neither an IP address nor a host name`},
		{"no address", nodes(udpu, "  nodeid: 1\n  name: a\n"), 6, "nodelist.node.0", "node has no address"},
		{"mixed families", nodes(knet, "  nodeid: 1\n  ring0_addr: 10.0.0.1\n", "  nodeid: 2\n  ring0_addr: fd00::2\n"),
			12, "nodelist.node.1.ring0_addr", "nodes on link 0 mix IPv4 and IPv6"},
		{"udpu has one link", nodes(udpu, "  nodeid: 1\n  ring0_addr: 10.0.0.1\n  ring1_addr: 10.1.0.1\n"),
			9, "nodelist.node.0.ring1_addr", "2 links configured: transport udpu has one"},
		{"multi-link needs names", nodes(knet, "  nodeid: 1\n  ring0_addr: 10.0.0.1\n  ring1_addr: 10.1.0.1\n"),
			6, "nodelist.node.0.name", "with more than one link every node needs a name"},
		{"multi-link needs every link", nodes(knet, "  nodeid: 1\n  name: a\n  ring0_addr: 10.0.0.1\n  ring1_addr: 10.1.0.1\n", "  nodeid: 2\n  name: b\n  ring0_addr: 10.0.0.2\n"),
			12, "nodelist.node.1.ring1_addr", "missing: with more than one link every node needs an address on every link"},
		{"no links", "totem {\n version: 2\n}\n", 0, "nodelist", "no links"},
	} {
		t.Run(tc.name, func(t *testing.T) { wantErr(t, tc.text, tc.line, tc.key, tc.msg) })
	}
}

func TestDataplaneErrors(t *testing.T) {
	dp := func(lines string) string { return withTotem("") + "dataplane {\n" + lines + "}\n" }
	// withTotem("") is 19 lines; dataplane opens at 20, its first key is 21.
	for _, tc := range []struct {
		name, text string
		line       int
		key, msg   string
	}{
		{"cpu", dp(" cpu: -2\n"), 21, "dataplane.cpu", `"-2" is not a CPU number`},
		{"cpu word", dp(" cpu: first\n"), 21, "dataplane.cpu", "is not a CPU number"},
		{"idle", dp(" idle: sleep\n"), 21, "dataplane.idle", `"sleep" is not one of hybrid, spin, yield, block`},
		{"transport", dp(" transport: tcp\n"), 21, "dataplane.transport", `"tcp" is not one of udp, xdp, rdma`},
		{"link transport", dp(" link0_transport: dpdk\n"), 21, "dataplane.link0_transport", `"dpdk" is not one of udp, xdp, rdma`},
		{"link above 7", dp(" link8_transport: xdp\n"), 21, "dataplane.link8_transport", "link 8 is above the maximum 7"},
		{"ring size", dp(" ring_size: 1000\n"), 21, "dataplane.ring_size", `"1000" is not a power of two`},
		{"gso", dp(" gso: on\n"), 21, "dataplane.gso", `"on" is not yes or no`},
		{"fault loss", dp(" fault_loss_percent: 101\n"), 21, "dataplane.fault_loss_percent", `"101" is not a number between 0 and 100`},
		{"fault delay", dp(" fault_delay_ms: soon\n"), 21, "dataplane.fault_delay_ms", `"soon" is not a number`},
		{"section inside", dp(" foo {\n"), 21, "dataplane.foo", "not allowed inside dataplane{}"},
	} {
		t.Run(tc.name, func(t *testing.T) { wantErr(t, tc.text, tc.line, tc.key, tc.msg) })
	}
}
