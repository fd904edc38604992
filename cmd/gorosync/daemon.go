package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gorosync/gorosync/dataplane/link"
	"github.com/gorosync/gorosync/dataplane/loop"
	"github.com/gorosync/gorosync/dataplane/totem"
	"github.com/gorosync/gorosync/dataplane/transport/fault"
	"github.com/gorosync/gorosync/services"
	"github.com/gorosync/gorosync/services/cmap"
	"github.com/gorosync/gorosync/services/cmap/coroparse"
	"github.com/gorosync/gorosync/shm"
)

// daemon is one running gorosync.
type daemon struct {
	path   string // the configuration file, read again on reload
	cfg    *coroparse.Config
	self   coroparse.Node
	logs   *logsys
	log    *slog.Logger   // MAIN
	totem  *slog.Logger   // TOTEM
	links  *link.Links    // transport knet: the link layer
	secure []*link.Secure // per link, when crypto is on
	udp    []udpLink      // every link's UDP transport, for its counters
	fault  *fault.Stage   // the test-only fault stage, when configured
	formed atomic.Int32   // members of the last regular configuration
	hook   *traffic       // the test hook, nil unless asked for
	cmap   *cmap.Store    // the configuration and runtime map (icmap)
	stats  *cmap.Store    // the stats map, computed when read
	ipc    *shm.Server    // nil when started with -ipc=false
	host   *services.Host // the engines and the sync engine
	eng    engines
	loop   *loop.Loop

	synced      atomic.Bool            // a sync round completed
	fatalReason atomic.Pointer[string] // an engine stopped the daemon
	stop        context.CancelFunc     // asks for the orderly shutdown
	stopLoop    context.CancelFunc     // leaves the ring and ends run
	stopping    bool                   // the orderly shutdown began (loop goroutine)
	tasks       *tasks                 // work handed to the loop's goroutine
	countersAt  int64                  // last refresh of runtime.services.* (unix ns)
}

// newDaemon reads and checks the configuration and finds the local node.
// Configuration warnings go to stderr (and to the configured logs).
func newDaemon(path string, nodeID uint32) (*daemon, error) {
	cfg, err := coroparse.Load(path)
	if err != nil {
		return nil, err
	}
	logs := newLogsys(cfg.Logging, os.Stderr)
	d := &daemon{path: path, cfg: cfg, logs: logs, log: logs.Logger(subsysMain), totem: logs.Logger(subsysTotem)}
	for _, w := range cfg.Warnings {
		d.log.Warn(w.String())
	}
	if nodeID == 0 {
		nodeID = cfg.Totem.NodeID
	}
	idx, err := coroparse.LocalNode(cfg.Nodes, localAddrs(), nodeID)
	if err != nil {
		logs.Close()
		return nil, err
	}
	if err := cfg.SetLocal(idx); err != nil {
		logs.Close()
		return nil, err
	}
	d.self = cfg.Nodes[idx]
	return d, nil
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

// run opens the links and runs the token loop until ctx ends; then the
// node leaves the ring.
func (d *daemon) run(ctx context.Context, hook *trafficOptions, ipc bool) error {
	defer d.logs.Close()
	ctx, d.stop = context.WithCancel(ctx)
	defer d.stop()
	d.log.Log(ctx, levelNotice, "Corosync Cluster Engine "+version+" starting up")
	tr, err := d.openTransport()
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
	if hook != nil {
		if d.hook, err = newTraffic(*hook); err != nil {
			return err
		}
	}
	// The engines run on the loop's goroutine: they submit straight into
	// totempg, without the inbox's copy.
	if err := d.openServices(d.submitLocal, d.submitLocalParts); err != nil {
		return err
	}
	d.tasks = newTasks()
	pollers := []loop.Poller{d.host, d.tasks, &tokenWatch{d: d}}
	if ipc {
		if d.ipc, err = d.openIPC(); err != nil {
			return err
		}
		pollers = append(pollers, d.ipc)
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
		Transport:  tr,
		CPU:        d.cfg.Dataplane.CPU,
		OnThread:   d.schedule,
		Idle:       idle,
		InboxSlots: d.cfg.Dataplane.RingSize,
		Deliver:    d.host.Deliver,
		Conf:       d.onConf,
		Pollers:    pollers,
	})
	if err != nil {
		if d.ipc != nil {
			_ = d.ipc.Close()
		}
		return err
	}
	d.loop = l
	d.log.Info(loop.DescribeCPU(d.cfg.Dataplane.CPU))
	d.totem.Log(ctx, levelNotice, fmt.Sprintf("Token Timeout (%d ms) retransmit timeout (%d ms)", t.TokenMs, t.TokenRetransmitMs),
		"node", d.self.NodeID, "links", len(t.Interfaces), "transport", t.Transport)
	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go d.watchAuth(watchCtx, 2*time.Second)
	senderDone := make(chan struct{})
	if d.hook != nil && hook.Count > 0 {
		want := hook.WaitMembers
		if want == 0 {
			want = len(d.cfg.Nodes)
		}
		go func() {
			defer close(senderDone)
			d.hook.send(watchCtx, func() bool { return int(d.formed.Load()) >= want }, hookSubmit(l))
		}()
	} else {
		close(senderDone)
	}
	loopCtx, stopLoop := context.WithCancel(context.Background())
	defer stopLoop()
	d.stopLoop = stopLoop
	go func() {
		select {
		case <-ctx.Done():
		case <-loopCtx.Done():
			return
		}
		if !d.tasks.post(d.shutdown) {
			stopLoop()
		}
	}()
	err = l.Run(loopCtx)
	stopWatch()
	<-senderDone // no Submit after the loop's waker is closed
	l.Close()
	if d.ipc != nil {
		_ = d.ipc.Close() // the loop has stopped polling it
	}
	d.logLinkStats()
	if r := d.fatalReason.Load(); r != nil {
		d.log.Error("Corosync Cluster Engine exiting with status 8: " + *r)
		return fmt.Errorf("%s", *r)
	}
	d.log.Log(context.Background(), levelNotice, "Corosync Cluster Engine exiting normally")
	if d.hook != nil {
		r, rerr := d.hook.report(d.self.NodeID)
		printReport(r)
		if err == nil {
			err = rerr
		}
	}
	return err
}

// watchAuth logs, every period in which frames failed authentication, how
// many: the only sign a node with the wrong key gives of why it is alone.
func (d *daemon) watchAuth(ctx context.Context, period time.Duration) {
	var last uint64
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		var failed uint64
		for _, s := range d.secure {
			failed += s.Stats().AuthFailures
		}
		if failed > last {
			d.totem.Error(fmt.Sprintf("%d received frames failed authentication and were dropped: "+
				"a peer has a different authkey or crypto_cipher/crypto_hash", failed-last))
			last = failed
		}
	}
}

// onConf publishes configuration changes in cmap, hands them to the
// engines (sync starts there) and logs them as corosync does.
func (d *daemon) onConf(cc totem.ConfChange) {
	d.publishMembers(cc)
	d.host.Conf(cc)
	if cc.Kind != totem.Regular {
		return
	}
	msg := fmt.Sprintf("A new membership (%s) was formed.", cc.Ring)
	if len(cc.Joined) > 0 {
		msg += " Members joined: " + ids(cc.Joined)
	}
	if len(cc.Left) > 0 {
		msg += " Members left: " + ids(cc.Left)
	}
	d.totem.Log(context.Background(), levelNotice, msg)
	d.log.Log(context.Background(), levelNotice, fmt.Sprintf("Members[%d]: %s", len(cc.Members), ids(cc.Members)))
	d.formed.Store(int32(len(cc.Members)))
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
