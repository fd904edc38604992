package coroparse

import (
	"context"
	"fmt"
	"maps"
	"math"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorosync/gorosync/dataplane/totem"
)

// builder turns the keys into the typed views, checks them as corosync's
// totemconfig (and logconfig, votequorum, main) would, and adds the keys
// corosync derives.
type builder struct {
	p *parser
	c *Config
	t *Totem

	configured [maxLinks]bool
	members    [maxLinks]int // addresses per link
	nodelist   bool          // nodelist.node.0 has a name or ring0_addr
}

func (p *parser) build() error {
	b := &builder{p: p, c: p.cfg, t: &p.cfg.Totem}
	for _, step := range []func() error{
		b.totemBasics, b.nodes, b.interfaces, b.volatile, b.validateLinks,
		b.quorum, b.logging, b.system, b.dataplane,
	} {
		if err := step(); err != nil {
			return err
		}
	}
	// Warnings in file order: the main file first, then uidgid.d files.
	slices.SortStableFunc(p.cfg.Warnings, func(a, b Warning) int {
		if a.File != b.File {
			if a.File == p.cfg.File {
				return -1
			}
			if b.File == p.cfg.File {
				return 1
			}
			return strings.Compare(a.File, b.File)
		}
		return a.Line - b.Line
	})
	return nil
}

// line is where key was set, or where the section it belongs in opens.
func (b *builder) line(key string) int {
	if l, ok := b.c.Lines[key]; ok {
		return l
	}
	if rest, ok := strings.CutPrefix(key, "nodelist.node."); ok {
		if n, _, ok := strings.Cut(rest, "."); ok {
			if i, err := strconv.Atoi(n); err == nil && i >= 0 && i < len(b.p.nodeLines) {
				return b.p.nodeLines[i]
			}
		}
	}
	if rest, ok := strings.CutPrefix(key, "totem.interface."); ok {
		if n, _, ok := strings.Cut(rest, "."); ok {
			if i, err := strconv.Atoi(n); err == nil && i >= 0 && i < maxLinks && b.p.ifaceLines[i] > 0 {
				return b.p.ifaceLines[i]
			}
		}
	}
	for k := key; ; {
		i := strings.LastIndexByte(k, '.')
		if i < 0 {
			return 0
		}
		k = k[:i]
		if l, ok := b.p.sections[k]; ok {
			return l
		}
	}
}

func (b *builder) errf(key, format string, args ...any) error {
	return &Error{File: b.c.File, Line: b.line(key), Key: key, Msg: fmt.Sprintf(format, args...)}
}

func (b *builder) warnf(key, format string, args ...any) {
	b.p.warnf(b.line(key), key, format, args...)
}

// blame returns the first of keys that the file sets, else the first.
func (b *builder) blame(keys ...string) string {
	for _, k := range keys {
		if _, ok := b.c.Lines[k]; ok {
			return k
		}
	}
	return keys[0]
}

func (b *builder) u32(key string) (uint32, bool) {
	v, ok := b.c.Keys[key]
	if !ok || v.Type != U32 {
		return 0, false
	}
	return uint32(v.U), true
}

func (b *builder) u8(key string) (uint8, bool) {
	v, ok := b.c.Keys[key]
	if !ok || v.Type != U8 {
		return 0, false
	}
	return uint8(v.U), true
}

func (b *builder) str(key string) (string, bool) {
	v, ok := b.c.Keys[key]
	if !ok || v.Type != String {
		return "", false
	}
	return v.S, true
}

func (b *builder) strOr(key, def string) string {
	if s, ok := b.str(key); ok {
		return s
	}
	return def
}

// derive stores a key corosync computes (no line in the file).
func (b *builder) derive(key string, v Value) { b.c.Keys[key] = v }

// yesNo reads a key corosync reads as a boolean without checking it: other
// values than yes and no leave the default, which we warn about.
func (b *builder) yesNo(key string, def bool) bool {
	s, ok := b.str(key)
	switch {
	case !ok:
		return def
	case s == "yes":
		return true
	case s == "no":
		return false
	}
	d := "no"
	if def {
		d = "yes"
	}
	b.warnf(key, "%q is not yes or no: corosync uses the default (%s)", s, d)
	return def
}

func (b *builder) totemBasics() error {
	t := b.t
	t.Transport = "knet"
	if s, ok := b.str("totem.transport"); ok {
		if !slices.Contains(transports, s) {
			return b.errf("totem.transport", "%q is not one of %s", s, strings.Join(transports, ", "))
		}
		t.Transport = s
	}
	var ok bool
	if t.Version, ok = b.u32("totem.version"); !ok || t.Version != 2 {
		if !ok {
			return b.errf("totem.version", "missing: corosync 3.1.7 parses only version 2 configurations (version: 2)")
		}
		return b.errf("totem.version", "%d: corosync 3.1.7 parses only version 2 configurations", t.Version)
	}
	t.ClusterName, _ = b.str("totem.cluster_name")
	if v, ok := b.c.Keys["totem.config_version"]; ok {
		t.ConfigVersion = v.U
	}
	if id, ok := b.u32("totem.nodeid"); ok {
		t.NodeID = id
		b.warnf("totem.nodeid", "corosync 3 ignores totem.nodeid and uses the nodelist's; gorosync uses it only to pick the local node")
	}
	t.ClearNodeHighBit = b.yesNo("totem.clear_node_high_bit", false)

	t.IPVersion = "ipv6-4"
	if t.Transport == "udp" {
		t.IPVersion = "ipv4"
	}
	t.IPVersion = b.strOr("totem.ip_version", t.IPVersion)

	t.LinkMode = b.strOr("totem.link_mode", "passive")
	if len(t.LinkMode) >= linkModeMax {
		return b.errf("totem.link_mode", "too long (at most %d characters)", linkModeMax-1)
	}
	if !slices.Contains(linkModes, t.LinkMode) {
		return b.errf("totem.link_mode", "%q is not one of %s", t.LinkMode, strings.Join(linkModes, ", "))
	}

	// Crypto as totem_get_crypto: secauth: on means aes256 + sha256,
	// crypto_cipher and crypto_hash override it.
	t.CryptoCipher, t.CryptoHash = "none", "none"
	if s, _ := b.str("totem.secauth"); s == "on" {
		t.CryptoCipher, t.CryptoHash = "aes256", "sha256"
	}
	if _, ok := b.str("totem.secauth"); ok {
		b.warnf("totem.secauth", "deprecated: use crypto_cipher and crypto_hash")
	}
	t.CryptoCipher = b.strOr("totem.crypto_cipher", t.CryptoCipher)
	t.CryptoHash = b.strOr("totem.crypto_hash", t.CryptoHash)
	t.CryptoModel = b.strOr("totem.crypto_model", "nss")
	if t.CryptoCipher != "none" && t.CryptoHash == "none" {
		return b.errf(b.blame("totem.crypto_cipher", "totem.secauth"), "crypto_cipher %s needs a crypto_hash other than none", t.CryptoCipher)
	}
	if t.CryptoCipher != "none" || t.CryptoHash != "none" {
		if f, ok := b.str("totem.keyfile"); ok {
			t.Keyfile = f
		} else if k, ok := b.str("totem.key"); ok {
			// cmap holds the string with its NUL, and corosync counts it.
			if n := len(k) + 1; n < keyLenMin || n > keyLenMax {
				return b.errf("totem.key", "%d bytes: the key must have %d to %d (counting the NUL cmap stores)", n, keyLenMin, keyLenMax)
			}
			t.Key = k
		} else {
			t.Keyfile = DefaultAuthkey
		}
	}
	if mtu, ok := b.u32("totem.netmtu"); ok {
		t.NetMTU = mtu
	}
	return nil
}

// resolve parses an address as totemip_parse: an IP literal or a name,
// restricted to the families ip_version allows.
func (b *builder) resolve(host, version string) (netip.Addr, error) {
	want := func(a netip.Addr) bool {
		switch version {
		case "ipv4":
			return a.Is4()
		case "ipv6":
			return a.Is6()
		}
		return true
	}
	if a, err := netip.ParseAddr(host); err == nil {
		a = a.Unmap()
		if !want(a) {
			return netip.Addr{}, fmt.Errorf("%q is not an address of ip_version %s", host, version)
		}
		return a, nil
	}
	addrs, ok := b.p.lookups[host]
	if !ok {
		if !plausibleHost(host) {
			return netip.Addr{}, fmt.Errorf("%q is neither an IP address nor a host name", host)
		}
		lookup := b.p.opt.LookupHost
		if lookup == nil {
			lookup = systemLookup
		}
		var err error
		if addrs, err = lookup(host); err != nil {
			return netip.Addr{}, fmt.Errorf("%q does not resolve: %v", host, err)
		}
		b.p.lookups[host] = addrs
	}
	var v4, v6 netip.Addr
	for _, a := range addrs {
		a = a.Unmap()
		if a.Is4() && !v4.IsValid() {
			v4 = a
		}
		if a.Is6() && !v6.IsValid() {
			v6 = a
		}
	}
	var pick netip.Addr
	switch version {
	case "ipv4":
		pick = v4
	case "ipv6":
		pick = v6
	case "ipv6-4":
		pick = v6
		if !pick.IsValid() {
			pick = v4
		}
	default:
		pick = v4
		if !pick.IsValid() {
			pick = v6
		}
	}
	if !pick.IsValid() {
		return netip.Addr{}, fmt.Errorf("%q has no address of ip_version %s", host, version)
	}
	return pick, nil
}

func plausibleHost(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return false
		}
	}
	return true
}

func systemLookup(host string) ([]netip.Addr, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

func (b *builder) nodes() error {
	t := b.t
	c := b.c
	_, hasName := b.str("nodelist.node.0.name")
	_, hasRing0 := b.str("nodelist.node.0.ring0_addr")
	b.nodelist = hasName || hasRing0
	if len(b.p.nodeLines) > totemMaxNodes {
		return b.errf("nodelist.node."+strconv.Itoa(totemMaxNodes), "more than %d nodes", totemMaxNodes)
	}
	ids := map[uint32]int{}
	var addrs [maxLinks]map[netip.Addr]int
	for n, line := range b.p.nodeLines {
		prefix := "nodelist.node." + strconv.Itoa(n) + "."
		nd := Node{Line: line, QuorumVotes: 1}
		nd.Name, _ = b.str(prefix + "name")
		if v, ok := b.u32(prefix + "quorum_votes"); ok {
			nd.QuorumVotes = v
		}
		links := 0
		for l := range maxLinks {
			key := prefix + "ring" + strconv.Itoa(l) + "_addr"
			s, ok := b.str(key)
			if !ok {
				continue
			}
			ip, err := b.resolve(s, t.IPVersion)
			if err != nil {
				return b.errf(key, "%v", err)
			}
			nd.Addrs[l], nd.IPs[l] = s, ip
			links++
			if addrs[l] == nil {
				addrs[l] = map[netip.Addr]int{}
			}
			noZone := ip.WithZone("")
			if other, dup := addrs[l][noZone]; dup {
				return b.errf(key, "address %s is also node %d's (line %d)", ip, other, b.p.nodeLines[other])
			}
			addrs[l][noZone] = n
			for m := range n {
				if o := c.Nodes[m].IPs[l]; o.IsValid() && o.Is4() != ip.Is4() {
					return b.errf(key, "nodes on link %d mix IPv4 and IPv6 (%s and node %d's %s)", l, ip, m, o)
				}
			}
			b.members[l]++
			b.configured[l] = true
		}
		if links == 0 {
			return b.errf(strings.TrimSuffix(prefix, "."), "node has no address: set ring0_addr (… ring7_addr)")
		}
		idKey := prefix + "nodeid"
		id, ok := b.u32(idKey)
		if ok && id == 0 {
			b.warnf(idKey, "nodeid 0 is no node id: corosync treats it as unset")
		}
		if id == 0 {
			if t.Transport == "knet" {
				return b.errf(idKey, "knet needs an explicit non-zero nodeid for every node")
			}
			if nd.Addrs[0] == "" {
				return b.errf(idKey, "no nodeid, and no ring0_addr to derive one from")
			}
			ip4, err := b.resolve(nd.Addrs[0], "ipv4")
			if err != nil {
				return b.errf(idKey, "no nodeid, and ring0_addr %q is not IPv4 to derive one from: set nodeid", nd.Addrs[0])
			}
			a := ip4.As4()
			id = uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
			if t.ClearNodeHighBit {
				id &= 0x7fffffff
			}
			if id == 0 {
				return b.errf(idKey, "no nodeid, and ring0_addr %s gives node id 0: set nodeid", ip4)
			}
			nd.GeneratedID = true
			b.derive(idKey, Uint(U32, uint64(id)))
		}
		if t.Transport == "knet" && id >= knetMaxHost {
			return b.errf(idKey, "knet needs node ids below %d", knetMaxHost)
		}
		if other, dup := ids[id]; dup {
			from := ""
			if nd.GeneratedID {
				from = " (derived from ring0_addr " + nd.Addrs[0] + ")"
			}
			return b.errf(b.blame(idKey, prefix+"ring0_addr"), "node id %d%s is also node %d's (line %d)", id, from, other, b.p.nodeLines[other])
		}
		ids[id] = n
		nd.NodeID = id
		c.Nodes = append(c.Nodes, nd)
	}
	return nil
}

// interfaces works out the configured links and their settings.
func (b *builder) interfaces() error {
	t := b.t
	c := b.c
	var fromSection [maxLinks]bool
	var members [maxLinks][]string
	for key := range c.Keys {
		rest, ok := strings.CutPrefix(key, "totem.interface.")
		if !ok {
			continue
		}
		ln, field, ok := strings.Cut(rest, ".")
		if !ok {
			continue
		}
		l, err := strconv.Atoi(ln)
		if err != nil || l < 0 || l >= maxLinks {
			continue
		}
		if t.Transport == "udp" && field != "bindnetaddr" {
			continue
		}
		fromSection[l] = true
	}
	for l := range maxLinks {
		if !fromSection[l] {
			continue
		}
		b.configured[l] = true
		prefix := "totem.interface." + strconv.Itoa(l) + ".member."
		for i := 0; ; i++ {
			s, ok := b.str(prefix + strconv.Itoa(i))
			if !ok {
				break
			}
			members[l] = append(members[l], s)
		}
	}
	if _, ok := b.str("totem.interface.0.bindnetaddr"); ok && b.nodelist {
		b.warnf("totem.interface.0.bindnetaddr", "bindnetaddr is ignored with a nodelist: the local node's ringX_addr is used")
	}

	// The family the udp multicast address is made for: link 0's.
	v6 := false
	if b.nodelist {
		for _, nd := range c.Nodes {
			if nd.IPs[0].IsValid() {
				v6 = nd.IPs[0].Is6()
				break
			}
		}
	} else if s, ok := b.str("totem.interface.0.bindnetaddr"); ok {
		if a, err := b.resolve(s, t.IPVersion); err == nil {
			v6 = a.Is6()
		}
	}

	for l := range maxLinks {
		if !b.configured[l] {
			continue
		}
		prefix := "totem.interface." + strconv.Itoa(l) + "."
		if s, ok := b.str(prefix + "broadcast"); ok && s == "yes" {
			t.Broadcast = true
		}
	}
	for l := range maxLinks {
		if !b.configured[l] {
			continue
		}
		prefix := "totem.interface." + strconv.Itoa(l) + "."
		in := Interface{Link: l, TTL: 1, KnetLinkPriority: 1, KnetPingPrecision: 2048, KnetPongCount: 2, KnetTransport: "udp"}
		if s, ok := b.str(prefix + "bindnetaddr"); ok {
			if _, err := b.resolve(s, t.IPVersion); err != nil {
				return b.errf(prefix+"bindnetaddr", "%v", err)
			}
			in.Bindnetaddr = s
		}
		if s, ok := b.str(prefix + "broadcast"); ok && s != "yes" && s != "no" {
			b.warnf(prefix+"broadcast", "%q is not yes or no: corosync treats it as no", s)
		}
		if s, ok := b.str(prefix + "mcastaddr"); ok {
			a, err := b.resolve(s, t.IPVersion)
			if err != nil {
				return b.errf(prefix+"mcastaddr", "%v", err)
			}
			in.Mcastaddr = a.String()
		} else if t.Transport == "udp" && t.ClusterName != "" {
			in.Mcastaddr = clusterMcast(t.ClusterName, l, v6)
		}
		if t.Broadcast && l == 0 {
			in.Mcastaddr = "255.255.255.255"
		}
		in.Mcastport = uint16(defaultPort + l)
		if t.Broadcast {
			in.Mcastport = uint16(defaultPort + 2*l)
		}
		if v, ok := b.c.Keys[prefix+"mcastport"]; ok && v.Type == U16 {
			in.Mcastport = uint16(v.U)
		}
		if v, ok := b.u8(prefix + "ttl"); ok {
			in.TTL = v
		}
		if v, ok := b.u8(prefix + "knet_link_priority"); ok {
			in.KnetLinkPriority = v
		}
		if v, ok := b.u32(prefix + "knet_ping_interval"); ok {
			in.KnetPingInterval = v
		}
		if v, ok := b.u32(prefix + "knet_ping_timeout"); ok {
			in.KnetPingTimeout = v
		}
		if v, ok := b.u32(prefix + "knet_ping_precision"); ok {
			in.KnetPingPrecision = v
		}
		if v, ok := b.u32(prefix + "knet_pong_count"); ok && v != 0 {
			in.KnetPongCount = v
		}
		in.KnetTransport = b.strOr(prefix+"knet_transport", "udp")
		if len(members[l]) > 0 {
			if b.nodelist {
				b.warnf(prefix+"member.0", "member sections are ignored with a nodelist")
			} else {
				b.warnf(prefix+"member.0", "member sections are deprecated: use a nodelist")
				in.Members = members[l]
				for i, m := range members[l] {
					if _, err := b.resolve(m, t.IPVersion); err != nil {
						return b.errf(prefix+"member."+strconv.Itoa(i), "%v", err)
					}
				}
				b.members[l] = len(members[l])
			}
		}
		if t.Transport == "udp" {
			// corosync writes what it derived back for udp.
			if _, ok := c.Keys[prefix+"mcastaddr"]; !ok && in.Mcastaddr != "" {
				b.derive(prefix+"mcastaddr", Str(in.Mcastaddr))
			}
			if _, ok := c.Keys[prefix+"mcastport"]; !ok {
				b.derive(prefix+"mcastport", Uint(U16, uint64(in.Mcastport)))
			}
		}
		t.Interfaces = append(t.Interfaces, in)
	}
	return nil
}

// clusterMcast derives a udp multicast address from the cluster name as
// corosync's get_cluster_mcast_addr.
func clusterMcast(name string, link int, v6 bool) string {
	var v int32
	for i := 0; i < len(name); i++ {
		v <<= 1
		v += int32(int8(name[i]))
	}
	id := uint16(v&0xffff) + uint16(link)
	if v6 {
		return fmt.Sprintf("ff15::%x", id)
	}
	return fmt.Sprintf("239.192.%d.%d", id>>8, id%0xff)
}

// volatile reads the tunables as totem_volatile_config_read, derives the
// timers with totem.TimersFor, publishes runtime.config.totem.* and checks
// them as totem_volatile_config_validate.
func (b *builder) volatile() error {
	t := b.t
	get := func(name string, def uint32, zeroOK bool) uint32 {
		key := "totem." + name
		v, ok := b.u32(key)
		if !ok {
			return def
		}
		if v == 0 && !zeroOK {
			b.warnf(key, "0 means the default here (%d)", def)
			return def
		}
		return v
	}
	const ms = int64(time.Millisecond)
	trbl := get("token_retransmits_before_loss_const", 4, false)
	token := get("token", 3000, false)
	t.TokenWarning = get("token_warning", 75, true)
	coef := uint32(650)
	if v, ok := b.u32("totem.token_coefficient"); ok {
		coef = v
	}
	t.MaxNetworkDelayMs = get("max_network_delay", 50, false)
	t.WindowSize = get("window_size", totem.DefaultWindowSize, false)
	t.MaxMessages = get("max_messages", totem.DefaultMaxMessages, false)
	t.MissCountConst = get("miss_count_const", totem.DefaultMissCountConst, false)
	t.KnetPMTUDInterval = get("knet_pmtud_interval", 30, false)
	t.KnetMTU = get("knet_mtu", 0, true)
	join := get("join", 50, false)
	merge := get("merge", 200, false)
	t.SendJoinMs = get("send_join", 0, true)
	t.HeartbeatFailuresAllowed = get("heartbeat_failures_allowed", 0, true)

	retransmit, retransmitSet := b.u32("totem.token_retransmit")
	retransmitSet = retransmitSet && retransmit != 0
	hold, _ := b.u32("totem.hold")
	consensus, _ := b.u32("totem.consensus")
	t.Params = totem.TimerParams{
		TokenMs:                         int64(token),
		TokenCoefficientMs:              int64(coef),
		TokenRetransmitsBeforeLossConst: int64(trbl),
		JoinMs:                          int64(join),
		MergeMs:                         int64(merge),
		Nodes:                           b.members[0],
		HeartbeatFailuresAllowed:        int64(t.HeartbeatFailuresAllowed),
		MaxNetworkDelayMs:               int64(t.MaxNetworkDelayMs),
		SendJoinMs:                      int64(t.SendJoinMs),
		// 0 means "derive" for both corosync and TimersFor.
		TokenRetransmitMs: int64(retransmit),
		HoldMs:            int64(hold),
		ConsensusMs:       int64(consensus),
	}
	t.Timers = totem.TimersFor(t.Params)
	if t.Timers.TokenNs/ms > math.MaxInt32 {
		return b.errf(b.blame("totem.token", "totem.token_coefficient"), "the token timeout with %d nodes is %d ms, above %d", b.members[0], t.Timers.TokenNs/ms, math.MaxInt32)
	}
	t.TokenMs = uint32(t.Timers.TokenNs / ms)
	t.TokenRetransmitsBeforeLossConst = trbl
	t.JoinMs, t.MergeMs = join, merge
	// get publishes each key (warning on an explicit 0) with the derived
	// value as its default, which TimersFor already computed.
	t.TokenRetransmitMs = get("token_retransmit", uint32(t.Timers.TokenRetransmitNs/ms), false)
	t.HoldMs = get("hold", uint32(t.Timers.HoldNs/ms), false)
	t.ConsensusMs = get("consensus", uint32(t.Timers.ConsensusNs/ms), false)
	t.DowncheckMs = get("downcheck", 1000, false)
	t.FailRecvConst = get("fail_recv_const", totem.DefaultFailRecvConst, false)
	t.SeqnoUnchangedConst = get("seqno_unchanged_const", totem.DefaultSeqnoUnchangedConst, false)
	t.KnetCompressionThreshold = get("knet_compression_threshold", 0, true)
	if v, ok := b.c.Keys["totem.knet_compression_level"]; ok && v.Type == I32 {
		t.KnetCompressionLevel = int32(v.I)
	}
	t.KnetCompressionModel = b.strOr("totem.knet_compression_model", "none")
	t.BlockUnlistedIPs = b.yesNo("totem.block_unlisted_ips", true)
	t.CancelTokenHoldOnRetransmit = b.yesNo("totem.cancel_token_hold_on_retransmit", false)

	rt := func(name string, v uint32) { b.derive("runtime.config.totem."+name, Uint(U32, uint64(v))) }
	rt("token_retransmits_before_loss_const", trbl)
	rt("token", t.TokenMs)
	rt("token_warning", t.TokenWarning)
	rt("max_network_delay", t.MaxNetworkDelayMs)
	rt("window_size", t.WindowSize)
	rt("max_messages", t.MaxMessages)
	rt("miss_count_const", t.MissCountConst)
	rt("knet_pmtud_interval", t.KnetPMTUDInterval)
	rt("knet_mtu", t.KnetMTU)
	rt("token_retransmit", t.TokenRetransmitMs)
	rt("hold", t.HoldMs)
	rt("join", t.JoinMs)
	rt("consensus", t.ConsensusMs)
	rt("merge", t.MergeMs)
	rt("downcheck", t.DowncheckMs)
	rt("fail_recv_const", t.FailRecvConst)
	rt("seqno_unchanged_const", t.SeqnoUnchangedConst)
	rt("send_join", t.SendJoinMs)
	rt("heartbeat_failures_allowed", t.HeartbeatFailuresAllowed)
	rt("knet_compression_threshold", t.KnetCompressionThreshold)
	b.derive("runtime.config.totem.knet_compression_level", Int(I32, int64(t.KnetCompressionLevel)))
	b.derive("runtime.config.totem.knet_compression_model", Str(t.KnetCompressionModel))
	rt("block_unlisted_ips", boolU32(t.BlockUnlistedIPs))
	rt("cancel_token_hold_on_retransmit", boolU32(t.CancelTokenHoldOnRetransmit))

	// knet ping timers (calc_knet_ping_timers), from the effective token.
	for i := range t.Interfaces {
		in := &t.Interfaces[i]
		if in.KnetPingTimeout == 0 {
			in.KnetPingTimeout = uint32(uint64(t.TokenMs) / uint64(in.KnetPongCount))
		}
		if in.KnetPingInterval == 0 {
			in.KnetPingInterval = uint32(uint64(t.TokenMs) / (2 * uint64(in.KnetPongCount)))
		}
		p := "interface." + strconv.Itoa(in.Link) + "."
		rt(p+"knet_ping_timeout", in.KnetPingTimeout)
		rt(p+"knet_ping_interval", in.KnetPingInterval)
	}

	// totem_volatile_config_validate, in its order.
	tooLow := func(key string, v uint32, minimum uint32, what string) error {
		if _, set := b.c.Lines[key]; set {
			return b.errf(key, "%d ms is below the minimum %d ms", v, minimum)
		}
		return b.errf(key, "%s gives %d ms, below the minimum %d ms", what, v, minimum)
	}
	switch {
	case t.MaxNetworkDelayMs < minimumTimout:
		return b.errf("totem.max_network_delay", "%d ms is below the minimum %d ms", t.MaxNetworkDelayMs, minimumTimout)
	case t.TokenMs < minimumTimout:
		return b.errf(b.blame("totem.token"), "the token timeout %d ms is below the minimum %d ms", t.TokenMs, minimumTimout)
	case t.TokenWarning > 100:
		return b.errf("totem.token_warning", "%d%% is not between 0 (off) and 100", t.TokenWarning)
	case t.TokenRetransmitMs < minimumTimout:
		if retransmitSet {
			return tooLow("totem.token_retransmit", t.TokenRetransmitMs, minimumTimout, "")
		}
		return b.errf(b.blame("totem.token", "totem.token_retransmits_before_loss_const"),
			"token %d ms / (token_retransmits_before_loss_const %d + 0.2) gives token_retransmit %d ms, below the minimum %d ms",
			t.TokenMs, trbl, t.TokenRetransmitMs, minimumTimout)
	case t.HoldMs < minimumHold:
		k := b.blame("totem.hold", "totem.token_retransmit", "totem.token", "totem.token_retransmits_before_loss_const")
		return tooLow(k, t.HoldMs, minimumHold, "the derived hold")
	case t.JoinMs < minimumTimout:
		return tooLow("totem.join", t.JoinMs, minimumTimout, "join")
	case t.ConsensusMs < minimumTimout:
		return tooLow(b.blame("totem.consensus", "totem.token"), t.ConsensusMs, minimumTimout, "the derived consensus")
	case t.ConsensusMs < t.JoinMs:
		return b.errf(b.blame("totem.consensus", "totem.join", "totem.token"), "consensus %d ms is less than join %d ms", t.ConsensusMs, t.JoinMs)
	case t.MergeMs < minimumTimout:
		return tooLow("totem.merge", t.MergeMs, minimumTimout, "merge")
	case t.DowncheckMs < minimumTimout:
		return tooLow("totem.downcheck", t.DowncheckMs, minimumTimout, "downcheck")
	}

	// gorosync's own limits (dataplane/totem): corosync does not check these.
	switch {
	case t.MaxMessages > t.WindowSize:
		return b.errf(b.blame("totem.max_messages", "totem.window_size"), "max_messages %d is above window_size %d", t.MaxMessages, t.WindowSize)
	case 2*uint64(t.WindowSize) > totem.DefaultSortQueueSize:
		return b.errf("totem.window_size", "%d is above %d (half the receive window of %d messages)", t.WindowSize, totem.DefaultSortQueueSize/2, totem.DefaultSortQueueSize)
	}
	if t.NetMTU == 0 {
		t.NetMTU = totem.DefaultNetMTU
		if t.Transport == "knet" {
			t.NetMTU = knetMaxPacket
		}
	} else if int(t.NetMTU) < minNetMTU || t.NetMTU > knetMaxPacket {
		return b.errf("totem.netmtu", "%d is outside %d..%d", t.NetMTU, minNetMTU, knetMaxPacket)
	}
	return nil
}

func boolU32(v bool) uint32 {
	if v {
		return 1
	}
	return 0
}

// validateLinks checks the links as totem_config_validate and
// put_nodelist_members_to_config.
func (b *builder) validateLinks() error {
	t := b.t
	c := b.c
	if len(t.Interfaces) == 0 {
		return b.errf("nodelist", "no links: give every node a ring0_addr in nodelist{}")
	}
	if t.Transport != "knet" && len(t.Interfaces) > 1 {
		in := t.Interfaces[1]
		key := "totem.interface." + strconv.Itoa(in.Link)
		for i, nd := range c.Nodes {
			if nd.Addrs[in.Link] != "" {
				key = "nodelist.node." + strconv.Itoa(i) + ".ring" + strconv.Itoa(in.Link) + "_addr"
				break
			}
		}
		return b.errf(key, "%d links configured: transport %s has one (only knet has more)", len(t.Interfaces), t.Transport)
	}
	if t.Transport != "knet" && (t.CryptoCipher != "none" || t.CryptoHash != "none") {
		return b.errf(b.blame("totem.crypto_cipher", "totem.crypto_hash", "totem.secauth"), "crypto_cipher and crypto_hash are only valid with transport knet")
	}
	for _, in := range t.Interfaces {
		prefix := "totem.interface." + strconv.Itoa(in.Link) + "."
		switch {
		case t.Transport == "udp" && in.Mcastaddr == "":
			return b.errf(prefix+"mcastaddr", "no multicast address for link %d: set mcastaddr or totem.cluster_name", in.Link)
		case in.Mcastport == 0:
			return b.errf(prefix+"mcastport", "port 0")
		case t.Transport != "udp" && in.TTL != 1:
			return b.errf(prefix+"ttl", "ttl can only be set with transport udp")
		case t.Transport != "knet" && in.KnetLinkPriority != 1:
			return b.errf(prefix+"knet_link_priority", "link priority can only be set with transport knet")
		}
		if t.Transport == "udp" && !t.Broadcast {
			m, err := netip.ParseAddr(in.Mcastaddr)
			if err != nil {
				return b.errf(prefix+"mcastaddr", "%q is not an IP address", in.Mcastaddr)
			}
			var fam netip.Addr
			if in.Bindnetaddr != "" {
				fam, _ = b.resolve(in.Bindnetaddr, t.IPVersion)
			}
			for _, nd := range c.Nodes {
				if !fam.IsValid() && nd.IPs[in.Link].IsValid() {
					fam = nd.IPs[in.Link]
				}
			}
			if fam.IsValid() && fam.Is4() != m.Is4() {
				return b.errf(b.blame(prefix+"mcastaddr", "totem.cluster_name"), "multicast address %s is not of the family of link %d's addresses", m, in.Link)
			}
			if !m.IsMulticast() {
				return b.errf(prefix+"mcastaddr", "%s is not a multicast address", m)
			}
		}
	}
	if len(t.Interfaces) > 1 && b.nodelist {
		for i, nd := range c.Nodes {
			if nd.Name == "" {
				return b.errf("nodelist.node."+strconv.Itoa(i)+".name", "with more than one link every node needs a name")
			}
			for _, in := range t.Interfaces {
				if nd.Addrs[in.Link] == "" {
					return b.errf("nodelist.node."+strconv.Itoa(i)+".ring"+strconv.Itoa(in.Link)+"_addr",
						"missing: with more than one link every node needs an address on every link")
				}
			}
		}
	}
	return nil
}

func (b *builder) quorum() error {
	q := &b.c.Quorum
	q.Provider, _ = b.str("quorum.provider")
	switch q.Provider {
	case "", "corosync_votequorum":
	case "corosync_ykd":
		return b.errf("quorum.provider", "corosync_ykd is not implemented by gorosync: use corosync_votequorum")
	default:
		return b.errf("quorum.provider", "%q is not a quorum provider (corosync_votequorum)", q.Provider)
	}
	flag := func(name string) bool { v, _ := b.u8("quorum." + name); return v != 0 }
	q.ExpectedVotes, _ = b.u32("quorum.expected_votes")
	q.Votes, _ = b.u32("quorum.votes")
	q.TwoNode = flag("two_node")
	q.WaitForAll = q.TwoNode
	if _, ok := b.u8("quorum.wait_for_all"); ok {
		q.WaitForAll = flag("wait_for_all")
	}
	q.LastManStanding = flag("last_man_standing")
	q.LastManStandingWindow = 10000
	if v, ok := b.u32("quorum.last_man_standing_window"); ok {
		q.LastManStandingWindow = v
	}
	q.AutoTieBreaker = flag("auto_tie_breaker")
	q.AutoTieBreakerNode = b.strOr("quorum.auto_tie_breaker_node", "lowest")
	if !validATBNode(q.AutoTieBreakerNode) {
		b.warnf("quorum.auto_tie_breaker_node", "%q is not lowest, highest or a list of node ids: corosync disables auto_tie_breaker", q.AutoTieBreakerNode)
	}
	q.AllowDownscale = flag("allow_downscale")
	q.ExpectedVotesTracking = flag("expected_votes_tracking")
	for _, nd := range b.c.Nodes {
		q.NodelistVotes += nd.QuorumVotes
	}
	d := &q.Device
	d.Model, _ = b.str("quorum.device.model")
	d.Votes, _ = b.u32("quorum.device.votes")
	d.Timeout, d.SyncTimeout = 10000, 30000
	if v, ok := b.u32("quorum.device.timeout"); ok {
		d.Timeout = v
	}
	if v, ok := b.u32("quorum.device.sync_timeout"); ok {
		d.SyncTimeout = v
	}
	v, _ := b.u8("quorum.device.master_wins")
	d.MasterWins = v != 0
	if q.Provider == "corosync_votequorum" && len(b.c.Nodes) == 0 && q.ExpectedVotes == 0 {
		return b.errf("quorum.provider", "votequorum needs a nodelist or quorum.expected_votes")
	}
	return nil
}

func validATBNode(s string) bool {
	if s == "lowest" || s == "highest" {
		return true
	}
	fields := strings.Fields(s)
	for _, f := range fields {
		if _, err := strconv.ParseUint(f, 10, 32); err != nil {
			return false
		}
	}
	return len(fields) > 0
}

func (b *builder) logging() error {
	l := &b.c.Logging
	on := func(s string) bool { return s == "yes" || s == "on" }
	l.ToStderr, l.ToSyslog = true, true
	if s, ok := b.str("logging.to_stderr"); ok {
		l.ToStderr = on(s)
	}
	if s, ok := b.str("logging.to_syslog"); ok {
		l.ToSyslog = on(s)
	}
	if s, ok := b.str("logging.to_file"); ok {
		l.ToLogfile = on(s)
	}
	if s, ok := b.str("logging.to_logfile"); ok {
		l.ToLogfile = on(s)
	}
	l.Logfile, _ = b.str("logging.logfile")
	l.LogfilePriority = b.strOr("logging.logfile_priority", "info")
	l.SyslogPriority = b.strOr("logging.syslog_level", "info")
	l.SyslogPriority = b.strOr("logging.syslog_priority", l.SyslogPriority)
	l.SyslogFacility = b.strOr("logging.syslog_facility", "daemon")
	l.Debug = b.strOr("logging.debug", "off")
	l.Timestamp = b.strOr("logging.timestamp", "hires")
	l.Fileline = b.strOr("logging.fileline", "off") == "on"
	l.FunctionName = b.strOr("logging.function_name", "off") == "on"
	l.Blackbox = b.strOr("logging.blackbox", "on") == "on"
	if l.ToLogfile && l.Logfile == "" {
		b.warnf(b.blame("logging.to_logfile", "logging.to_file"), "to_logfile is on but logging.logfile is not set")
	}

	var names []string
	for key := range b.c.Keys {
		if rest, ok := strings.CutPrefix(key, "logging.logger_subsys."); ok {
			if name, ok := strings.CutSuffix(rest, ".subsys"); ok && !strings.Contains(name, ".") {
				names = append(names, name)
			}
		}
	}
	slices.Sort(names)
	for _, name := range names {
		p := "logging.logger_subsys." + name + "."
		s := LoggerSubsys{
			Name: name, ToStderr: l.ToStderr, ToLogfile: l.ToLogfile, ToSyslog: l.ToSyslog,
			Logfile: l.Logfile, LogfilePriority: l.LogfilePriority, SyslogPriority: l.SyslogPriority,
			SyslogFacility: l.SyslogFacility, Debug: l.Debug,
		}
		if v, ok := b.str(p + "to_stderr"); ok {
			s.ToStderr = on(v)
		}
		if v, ok := b.str(p + "to_syslog"); ok {
			s.ToSyslog = on(v)
		}
		if v, ok := b.str(p + "to_file"); ok {
			s.ToLogfile = on(v)
		}
		if v, ok := b.str(p + "to_logfile"); ok {
			s.ToLogfile = on(v)
		}
		s.Logfile = b.strOr(p+"logfile", s.Logfile)
		s.LogfilePriority = b.strOr(p+"logfile_priority", s.LogfilePriority)
		s.SyslogPriority = b.strOr(p+"syslog_level", s.SyslogPriority)
		s.SyslogPriority = b.strOr(p+"syslog_priority", s.SyslogPriority)
		s.SyslogFacility = b.strOr(p+"syslog_facility", s.SyslogFacility)
		s.Debug = b.strOr(p+"debug", s.Debug)
		l.Subsys = append(l.Subsys, s)
	}
	return nil
}

func (b *builder) system() error {
	s := &b.c.System
	s.StateDir = b.strOr("system.state_dir", DefaultStateDir)
	s.SchedRR = b.strOr("system.sched_rr", "yes") == "yes"
	if v, ok := b.str("system.priority"); ok {
		s.Priority = v
		s.Nice, _ = ParsePriority(v) // checked by the parser
	}
	s.MoveToRootCgroup = b.strOr("system.move_to_root_cgroup", "auto")
	s.QbIPCType = b.strOr("system.qb_ipc_type", "native")
	s.AllowKnetHandleFallback = b.strOr("system.allow_knet_handle_fallback", "no") == "yes"
	return nil
}

func (b *builder) dataplane() error {
	d := &b.c.Dataplane
	d.CPU, d.Idle, d.Transport, d.RingSize, d.GSO = -1, "hybrid", "udp", 1024, true
	if s, ok := b.str("dataplane.gso"); ok {
		if s != "yes" && s != "no" {
			return b.errf("dataplane.gso", "%q is not yes or no", s)
		}
		d.GSO = s == "yes"
	}
	if s, ok := b.str("dataplane.cpu"); ok {
		n, err := strconv.Atoi(s)
		if err != nil || n < -1 || n > maxCPU {
			return b.errf("dataplane.cpu", "%q is not a CPU number (0..%d, or -1 for none)", s, maxCPU)
		}
		d.CPU = n
	}
	if s, ok := b.str("dataplane.idle"); ok {
		if !slices.Contains(dataplaneIdles, s) {
			return b.errf("dataplane.idle", "%q is not one of %s", s, strings.Join(dataplaneIdles, ", "))
		}
		d.Idle = s
	}
	if s, ok := b.str("dataplane.transport"); ok {
		if !slices.Contains(dataplaneTransports, s) {
			return b.errf("dataplane.transport", "%q is not one of %s", s, strings.Join(dataplaneTransports, ", "))
		}
		d.Transport = s
	}
	for l := range d.LinkTransport {
		d.LinkTransport[l] = d.Transport
	}
	for key, v := range b.c.Keys {
		rest, ok := strings.CutPrefix(key, "dataplane.")
		if !ok || v.Type != String {
			continue
		}
		l, ok := linkTransportKey(rest)
		if !ok {
			continue
		}
		if l < 0 || l >= maxLinks {
			return b.errf(key, "link %d is above the maximum %d", l, maxLinks-1)
		}
		if !slices.Contains(dataplaneTransports, v.S) {
			return b.errf(key, "%q is not one of %s", v.S, strings.Join(dataplaneTransports, ", "))
		}
		d.LinkTransport[l] = v.S
		if !b.configured[l] {
			b.warnf(key, "link %d has no addresses", l)
		}
	}
	if s, ok := b.str("dataplane.ring_size"); ok {
		n, err := strconv.Atoi(s)
		if err != nil || n < 2 || n > maxRingSize || n&(n-1) != 0 {
			return b.errf("dataplane.ring_size", "%q is not a power of two between 2 and %d", s, maxRingSize)
		}
		d.RingSize = n
	}
	return b.fault()
}

// faultKeys are the test-only fault stage's keys and their upper bounds.
var faultKeys = map[string]float64{
	"fault_loss_percent": 100, "fault_duplicate_percent": 100, "fault_reorder_percent": 100,
	"fault_delay_ms": 10000, "fault_delay_jitter_ms": 10000, "fault_seed": math.MaxUint32,
}

func (b *builder) fault() error {
	f := &b.c.Dataplane.Fault
	var set []string
	for _, name := range slices.Sorted(maps.Keys(faultKeys)) {
		limit := faultKeys[name]
		key := "dataplane." + name
		s, ok := b.str(key)
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || v < 0 || v > limit || math.IsNaN(v) {
			return b.errf(key, "%q is not a number between 0 and %g", s, limit)
		}
		set = append(set, key)
		switch name {
		case "fault_loss_percent":
			f.LossPercent = v
		case "fault_duplicate_percent":
			f.DuplicatePercent = v
		case "fault_reorder_percent":
			f.ReorderPercent = v
		case "fault_delay_ms":
			f.DelayMs = v
		case "fault_delay_jitter_ms":
			f.DelayJitterMs = v
		case "fault_seed":
			f.Seed = uint64(v)
		}
	}
	if f.Enabled() {
		b.warnf(set[0], "the test-only fault stage is on: received frames are dropped, delayed, duplicated or reordered on purpose")
	}
	return nil
}

// More limits: corosync's PROCESSOR_COUNT_MAX and KNET_MAX_PACKET_SIZE,
// and gorosync's own.
const (
	totemMaxNodes = 384
	knetMaxPacket = 65536
	minNetMTU     = 64 + 2*45 // room for a payload of 64 bytes in a twice-wrapped mcast
	maxCPU        = 1 << 16
	maxRingSize   = 1 << 24
)
