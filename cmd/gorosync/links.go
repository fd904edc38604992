package main

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/gorosync/gorosync/dataplane/link"
	"github.com/gorosync/gorosync/dataplane/link/crypto"
	"github.com/gorosync/gorosync/dataplane/transport"
	"github.com/gorosync/gorosync/dataplane/transport/fault"
	"github.com/gorosync/gorosync/dataplane/transport/udp"
)

// openTransport opens every configured link and stacks what the
// configuration asks for: UDP per link, authenticated encryption per link,
// the link layer (heartbeats and failover) for transport knet, and the
// test-only fault stage when a dataplane.fault_* key is set.
//
// transport udpu (and udp) is corosync's single-link unicast transport:
// ring0 only, frames exactly as corosync 3.1.7 sends them, so a gorosync
// node and a corosync node can share a ring. transport knet (corosync 3's
// default) gets up to 8 links with heartbeats; its heartbeat frames are
// gorosync's own (knet's wire format is not reproduced).
func (d *daemon) openTransport() (transport.Transport, error) {
	t := d.cfg.Totem
	if len(t.Interfaces) == 0 {
		return nil, fmt.Errorf("no link configured")
	}
	ifaces := t.Interfaces
	if t.Transport != "knet" {
		ifaces = ifaces[:1]
	}
	var links []link.LinkConfig
	closeAll := func() {
		for _, l := range links {
			_ = l.Transport.Close()
		}
	}
	for _, iface := range ifaces {
		if kind := d.cfg.Dataplane.LinkTransport[iface.Link]; kind != "udp" {
			closeAll()
			return nil, fmt.Errorf("link %d: dataplane transport %q is not available in this build yet; use udp", iface.Link, kind)
		}
		tr, err := d.openLink(iface.Link, iface.Mcastport)
		if err != nil {
			closeAll()
			return nil, err
		}
		links = append(links, link.LinkConfig{
			Link: iface.Link, Transport: tr, Priority: iface.KnetLinkPriority,
			PingIntervalNs: int64(iface.KnetPingInterval) * 1e6,
			PingTimeoutNs:  int64(iface.KnetPingTimeout) * 1e6,
			PongCount:      int(iface.KnetPongCount),
		})
	}
	var out transport.Transport = links[0].Transport
	if t.Transport == "knet" {
		mode, err := link.ParseMode(t.LinkMode)
		if err != nil {
			closeAll()
			return nil, err
		}
		var peers []uint32
		for _, n := range d.cfg.Nodes {
			if n.NodeID != d.self.NodeID {
				peers = append(peers, n.NodeID)
			}
		}
		knet := d.logs.Logger(subsysKnet)
		ls, err := link.New(link.Config{
			LocalNodeID: d.self.NodeID, Peers: peers, Mode: mode, Links: links,
			OnChange: func(peer uint32, l int, up bool) {
				state := "down"
				if up {
					state = "up"
				}
				knet.Log(nil, levelNotice, fmt.Sprintf("link: host: %d link: %d is %s", peer, l, state))
			},
		})
		if err != nil {
			closeAll()
			return nil, err
		}
		d.links, out = ls, ls
	}
	if f := d.cfg.Dataplane.Fault; f.Enabled() {
		st, err := fault.New(out, fault.Config{
			LossPercent: f.LossPercent, DuplicatePercent: f.DuplicatePercent, ReorderPercent: f.ReorderPercent,
			DelayNs: int64(f.DelayMs * 1e6), DelayJitterNs: int64(f.DelayJitterMs * 1e6), Seed: f.Seed,
			Slots: min(fault.DefaultSlots, max(64, (64<<20)/out.MTU())), // at most ~64 MiB held
		})
		if err != nil {
			_ = out.Close()
			return nil, err
		}
		d.log.Warn("test-only fault stage on received frames", "loss%", f.LossPercent, "dup%", f.DuplicatePercent,
			"reorder%", f.ReorderPercent, "delay_ms", f.DelayMs, "jitter_ms", f.DelayJitterMs)
		d.fault, out = st, st
	}
	return out, nil
}

// openLink opens link l over UDP to every node that has an address on it,
// sealed when crypto is configured.
func (d *daemon) openLink(l int, port uint16) (transport.Transport, error) {
	t := d.cfg.Totem
	peers := map[uint32]netip.AddrPort{}
	for _, n := range d.cfg.Nodes {
		if n.IPs[l].IsValid() {
			peers[n.NodeID] = netip.AddrPortFrom(n.IPs[l], port)
		}
	}
	self, ok := peers[d.self.NodeID]
	if !ok {
		return nil, fmt.Errorf("link %d: the local node has no ring%d_addr", l, l)
	}
	mtu := int(t.NetMTU)
	if t.Transport == "knet" {
		// knet discovers the path MTU and fragments totem's 64 KiB frames
		// itself; we size frames to the interface instead, so that no
		// frame is fragmented by IP (one lost fragment loses the frame).
		mtu = min(mtu, pathMTU(self.Addr()))
	}
	tr, err := udp.New(udp.Config{Local: self, Peers: peers, LocalNodeID: d.self.NodeID,
		MTU: mtu, BlockUnlisted: t.BlockUnlistedIPs,
		NoGSO: !d.cfg.Dataplane.GSO, NoGRO: !d.cfg.Dataplane.GSO})
	if err != nil {
		return nil, fmt.Errorf("link %d on %s: %w", l, self, err)
	}
	d.udp = append(d.udp, udpLink{link: l, tr: tr})
	d.log.Log(nil, levelNotice, fmt.Sprintf("The network interface [%s] is now up.", self.Addr()), "link", l)
	if t.CryptoCipher == "none" && t.CryptoHash == "none" {
		return tr, nil
	}
	sealer, err := d.sealer()
	if err != nil {
		tr.Close()
		return nil, err
	}
	sec, err := link.NewSecure(tr, sealer, 64)
	if err != nil {
		tr.Close()
		return nil, err
	}
	d.secure = append(d.secure, sec)
	return sec, nil
}

// udpLink is link's UDP transport.
type udpLink struct {
	link int
	tr   *udp.Transport
}

// logLinkStats writes each (peer, link)'s counters, as knet's
// per-link statistics, when the daemon stops.
func (d *daemon) logLinkStats() {
	if d.fault != nil {
		f := d.fault.Stats()
		d.log.Warn(fmt.Sprintf("test-only fault stage: passed %d dropped %d duplicated %d delayed %d reordered %d overflow %d",
			f.Passed, f.Dropped, f.Duplicated, f.Delayed, f.Reordered, f.Overflow))
	}
	if d.links == nil {
		return
	}
	knet := d.logs.Logger(subsysKnet)
	for _, s := range d.links.Status() {
		state := "down"
		if s.Up {
			state = "up"
		}
		knet.Info(fmt.Sprintf("link: host: %d link: %d is %s: tx %d rx %d pings %d pongs %d rtt %d us downs %d",
			s.Peer, s.Link, state, s.TxFrames, s.RxFrames, s.PingsSent, s.PongsReceived, s.RTTNs/1000, s.Downs))
	}
}

// pathMTU is the largest UDP payload that leaves the interface holding
// addr unfragmented (the interface MTU less the IP and UDP headers).
func pathMTU(addr netip.Addr) int {
	headers, limit := 20+8, 65535-20-8
	if addr.Is6() && !addr.Is4In6() {
		headers, limit = 40+8, 65535-8
	}
	ifaces, err := net.Interfaces()
	if err != nil {
		return limit
	}
	for _, ifc := range ifaces {
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr() == addr.Unmap() {
				return min(ifc.MTU-headers, limit)
			}
		}
	}
	return limit
}

// sealer keys authenticated encryption from totem.key or the key file.
func (d *daemon) sealer() (*crypto.Sealer, error) {
	t := d.cfg.Totem
	key := []byte(t.Key)
	if len(key) == 0 {
		var err error
		if key, err = crypto.ReadKeyFile(t.Keyfile); err != nil {
			return nil, err
		}
	}
	return crypto.New(crypto.Config{Cipher: t.CryptoCipher, Hash: t.CryptoHash, Key: key})
}
