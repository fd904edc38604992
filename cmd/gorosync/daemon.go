package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorosync/gorosync/dataplane/link"
	"github.com/gorosync/gorosync/dataplane/link/crypto"
	"github.com/gorosync/gorosync/dataplane/loop"
	"github.com/gorosync/gorosync/dataplane/totem"
	"github.com/gorosync/gorosync/dataplane/transport"
	"github.com/gorosync/gorosync/dataplane/transport/udp"
	"github.com/gorosync/gorosync/services/cmap/coroparse"
)

// daemon is one running gorosync.
type daemon struct {
	cfg    *coroparse.Config
	self   coroparse.Node
	log    *slog.Logger
	tr     transport.Transport
	loop   *loop.Loop
	formed atomic.Bool // a ring of every node was installed

	mu        sync.Mutex
	delivered int
	firstAt   time.Time
	lastAt    time.Time
}

// newDaemon reads and checks the configuration and finds the local node.
func newDaemon(path string, nodeID uint32) (*daemon, error) {
	cfg, err := coroparse.Load(path)
	if err != nil {
		return nil, err
	}
	log := newLogger(cfg.Logging)
	for _, w := range cfg.Warnings {
		log.Warn(w.String())
	}
	if nodeID == 0 {
		nodeID = cfg.Totem.NodeID
	}
	idx, err := coroparse.LocalNode(cfg.Nodes, localAddrs(), nodeID)
	if err != nil {
		return nil, err
	}
	if err := cfg.SetLocal(idx); err != nil {
		return nil, err
	}
	return &daemon{cfg: cfg, self: cfg.Nodes[idx], log: log}, nil
}

// localAddrs are this host's interface addresses (to find ourselves in
// the nodelist, as corosync does).
func localAddrs() []netip.Addr {
	var out []netip.Addr
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, p.Addr())
		}
	}
	return out
}

func newLogger(l coroparse.Logging) *slog.Logger {
	level := slog.LevelInfo
	if l.Debug == "on" || l.Debug == "trace" {
		level = slog.LevelDebug
	}
	w := os.Stderr
	if !l.ToStderr && l.ToLogfile && l.Logfile != "" {
		if f, err := os.OpenFile(l.Logfile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640); err == nil {
			w = f
		}
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// openLink opens ring0 over UDP with udpu semantics, sealed when crypto is
// configured.
func (d *daemon) openLink() (transport.Transport, error) {
	t := d.cfg.Totem
	if len(t.Interfaces) == 0 {
		return nil, fmt.Errorf("no link configured")
	}
	port := t.Interfaces[0].Mcastport
	peers := map[uint32]netip.AddrPort{}
	for _, n := range d.cfg.Nodes {
		if n.IPs[0].IsValid() {
			peers[n.NodeID] = netip.AddrPortFrom(n.IPs[0], port)
		}
	}
	self := peers[d.self.NodeID]
	tr, err := udp.New(udp.Config{Local: self, Peers: peers, LocalNodeID: d.self.NodeID, MTU: int(t.NetMTU), BlockUnlisted: t.BlockUnlistedIPs})
	if err != nil {
		return nil, fmt.Errorf("link 0 on %s: %w", self, err)
	}
	if t.CryptoCipher == "none" && t.CryptoHash == "none" {
		return tr, nil
	}
	key := []byte(t.Key)
	if len(key) == 0 {
		if key, err = crypto.ReadKeyFile(t.Keyfile); err != nil {
			tr.Close()
			return nil, err
		}
	}
	sealer, err := crypto.New(crypto.Config{Cipher: t.CryptoCipher, Hash: t.CryptoHash, Key: key})
	if err != nil {
		tr.Close()
		return nil, err
	}
	return link.NewSecure(tr, sealer, 64)
}

// run opens the link and runs the token loop until ctx ends; then the
// node leaves the ring.
func (d *daemon) run(ctx context.Context, demoSend int) error {
	tr, err := d.openLink()
	if err != nil {
		return err
	}
	defer tr.Close()
	if err := os.MkdirAll(d.cfg.System.StateDir, 0o750); err != nil {
		return err
	}
	t := d.cfg.Totem
	idle, err := loop.ParseIdle(d.cfg.Dataplane.Idle)
	if err != nil {
		return err
	}
	l, err := loop.New(loop.Config{
		Totem: totem.Config{
			NodeID:                      d.self.NodeID,
			Timers:                      t.Timers,
			WindowSize:                  t.WindowSize,
			MaxMessages:                 t.MaxMessages,
			MissCountConst:              t.MissCountConst,
			FailRecvConst:               t.FailRecvConst,
			SeqnoUnchangedConst:         t.SeqnoUnchangedConst,
			CancelTokenHoldOnRetransmit: t.CancelTokenHoldOnRetransmit,
			NetMTU:                      tr.MTU(),
			Store:                       totem.FileStore{Dir: d.cfg.System.StateDir},
			Jitter:                      jitter,
		},
		Transport: tr,
		CPU:       d.cfg.Dataplane.CPU,
		Idle:      idle,
		Deliver:   d.onDeliver,
		Conf:      d.onConf,
	})
	if err != nil {
		return err
	}
	d.tr, d.loop = tr, l
	d.log.Info("Corosync-compatible cluster engine started", "version", version, "node", d.self.NodeID, "link0", tr.MTU())
	if demoSend > 0 {
		go d.demoTraffic(ctx, demoSend)
	}
	err = l.Run(ctx)
	d.report()
	return err
}

// onConf logs configuration changes as corosync does.
func (d *daemon) onConf(cc totem.ConfChange) {
	if cc.Kind != totem.Regular {
		return
	}
	d.log.Info(fmt.Sprintf("A new membership (%s) was formed. Members joined: %s left: %s",
		cc.Ring, ids(cc.Joined), ids(cc.Left)), "members", ids(cc.Members))
	if len(cc.Members) == len(d.cfg.Nodes) {
		d.formed.Store(true)
	}
	notifyReady()
}

func (d *daemon) onDeliver(sender uint32, payload []byte) {
	d.mu.Lock()
	if d.delivered == 0 {
		d.firstAt = time.Now()
	}
	d.delivered++
	d.lastAt = time.Now()
	d.mu.Unlock()
}

// demoTraffic is the test hook until cpg exists: once the ring holds every
// node, submit n messages of 1 KiB.
func (d *daemon) demoTraffic(ctx context.Context, n int) {
	for !d.formed.Load() {
		select {
		case <-ctx.Done():
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
	msg := make([]byte, 1024)
	for sent := 0; sent < n && ctx.Err() == nil; {
		if d.loop.Submit(msg, false) == nil {
			sent++
		} else {
			time.Sleep(100 * time.Microsecond)
		}
	}
}

// report prints what this node delivered (the demo reads it).
func (d *daemon) report() {
	d.mu.Lock()
	defer d.mu.Unlock()
	rate := 0.0
	if el := d.lastAt.Sub(d.firstAt).Seconds(); el > 0 {
		rate = float64(d.delivered) / el
	}
	fmt.Printf("node %d delivered %d messages (%.0f msgs/s)\n", d.self.NodeID, d.delivered, rate)
}

func ids(list []uint32) string {
	s := make([]string, len(list))
	for i, id := range list {
		s[i] = fmt.Sprint(id)
	}
	return strings.Join(s, " ")
}

// jitter is send_join's random source (the state machine takes it from
// outside so that it stays deterministic under simulation).
func jitter(n int64) int64 { return time.Now().UnixNano() % n }

// notifyReady tells systemd (Type=notify) the first ring is installed.
func notifyReady() {
	sock := os.Getenv("NOTIFY_SOCKET")
	if sock == "" {
		return
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		return
	}
	defer conn.Close()
	_, _ = conn.Write([]byte("READY=1"))
}
