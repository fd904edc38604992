package main

import (
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/gorosync/gorosync/dataplane/link"
	"github.com/gorosync/gorosync/services"
	"github.com/gorosync/gorosync/services/cmap"
)

// counterRefreshNs bounds how often a cmap request refreshes the
// runtime.services.*.tx/rx keys: corosync bumps them per message, we copy
// them from the host's counters when someone may be looking.
const counterRefreshNs = int64(100 * time.Millisecond)

// publishStatic sets the keys corosync sets once at start (TOTEM_SPEC
// §7.1, §10.5) and watches the runtime trigger keys.
func (d *daemon) publishStatic() {
	s := d.cmap
	for _, e := range d.host.Engines() {
		if e.ID() > 7 {
			continue // our own (the test hook): not corosync's
		}
		pre := fmt.Sprintf("internal_configuration.service.%d.", e.ID())
		s.Set(pre+"name", cmap.Str("corosync_"+e.Name()))
		s.Set(pre+"ver", cmap.Int(cmap.U32, 0))
		s.Set("runtime.services."+e.Name()+".service_id", cmap.Int(cmap.U16, uint64(e.ID())))
		s.SetReadOnly(pre, true, true)
	}
	d.refreshCounters()
	for _, k := range []string{"runtime.blackbox.dump_flight_data", "runtime.blackbox.dump_state", "runtime.force_gather"} {
		s.Set(k, cmap.Str("no"))
		_, _ = s.Track(k, cmap.TrackModify|cmap.TrackAdd, d.onTrigger)
	}
}

// onTrigger handles a write of yes to one of the runtime trigger keys: the
// blackbox dumps write the node's state to the log (gorosync keeps no
// flight recorder); force_gather is refused, we do not expose it. The key
// goes back to no, as corosync resets it.
func (d *daemon) onTrigger(t *cmap.Track, ev cmap.Event) {
	if ev.New.Text() != "yes" {
		return
	}
	switch ev.Key {
	case "runtime.force_gather":
		d.log.Warn("runtime.force_gather is not supported by gorosync; ignored")
	default:
		d.dumpState()
	}
	d.cmap.Set(ev.Key, cmap.Str("no"))
}

// dumpState logs what corosync's blackbox would hold that we know.
func (d *daemon) dumpState() {
	msg := fmt.Sprintf("state: ring %d.%x members %v syncing %v", d.host.Ring().Rep, d.host.Ring().Seq, d.host.Members(), d.host.Syncing())
	if d.loop != nil {
		st := d.loop.Node().Stats()
		msg += fmt.Sprintf(" tokens rx %d tx %d mcast rx %d tx %d retx %d delivered %d", st.TokensRx, st.TokensTx, st.McastRx, st.McastTx, st.McastRetx, st.Delivered)
	}
	d.log.Info(msg)
}

// publishMembers keeps runtime.members.<id>.* as corosync does at every
// configuration change (§7.2).
func (d *daemon) publishMembers(cc services.ConfChange) {
	s := d.cmap
	for _, id := range cc.Left {
		s.Set(fmt.Sprintf("runtime.members.%d.status", id), cmap.Str("left"))
	}
	for _, id := range cc.Joined {
		pre := fmt.Sprintf("runtime.members.%d.", id)
		if v, ok := s.Get(pre + "join_count"); ok && v.Type == cmap.U32 {
			s.Adjust(pre+"join_count", 1)
		} else {
			s.Set(pre+"ip", cmap.Str(d.memberIP(id)))
			s.Set(pre+"join_count", cmap.Int(cmap.U32, 1))
		}
		s.Set(pre+"status", cmap.Str("joined"))
	}
}

// memberIP is corosync's description of a node's links: "r(0) ip(a) ".
func (d *daemon) memberIP(id uint32) string {
	var b strings.Builder
	for _, n := range d.cfg.Nodes {
		if n.NodeID != id {
			continue
		}
		for l, ip := range n.IPs {
			if ip.IsValid() {
				fmt.Fprintf(&b, "r(%d) ip(%s) ", l, ip)
			}
		}
	}
	return b.String()
}

// refresh runs before every cmap request (on the loop's goroutine).
func (d *daemon) refresh(stats bool) {
	now := time.Now().UnixNano()
	if now-d.countersAt >= counterRefreshNs {
		d.refreshCounters()
		d.countersAt = now
	}
	if stats {
		d.refreshStats()
	}
}

// refreshCounters copies the host's exec message counters.
func (d *daemon) refreshCounters() {
	for _, e := range d.host.Engines() {
		f, ok := e.(services.ExecFunctioner)
		if !ok || e.ID() > 7 {
			continue
		}
		for fn := range f.ExecFunctions() {
			tx, rx := d.host.Counts(e.ID(), uint16(fn))
			pre := fmt.Sprintf("runtime.services.%s.%d.", e.Name(), fn)
			d.cmap.Set(pre+"tx", cmap.Int(cmap.U64, tx))
			d.cmap.Set(pre+"rx", cmap.Int(cmap.U64, rx))
		}
	}
}

// refreshStats computes the stats map (§10.7) from the node, the links and
// the IPC server. Only what gorosync counts is published: corosync's
// counters we do not keep (merge-detect and commit-token receptions, the
// per-state token losses, the token timing averages) are absent rather
// than a constant 0.
func (d *daemon) refreshStats() {
	s := d.stats
	u64 := func(k string, v uint64) { s.Set(k, cmap.Int(cmap.U64, v)) }
	if d.loop != nil {
		st := d.loop.Node().Stats()
		for _, kv := range []struct {
			k string
			v uint64
		}{
			{"orf_token_tx", st.TokensTx}, {"orf_token_rx", st.TokensRx},
			{"memb_merge_detect_tx", st.MergeDetectTx},
			{"memb_join_tx", st.JoinTx}, {"memb_join_rx", st.JoinRx},
			{"mcast_tx", st.McastTx}, {"mcast_retx", st.McastRetx}, {"mcast_rx", st.McastRx},
			{"memb_commit_token_tx", st.CommitTokensTx},
			{"token_hold_cancel_tx", st.HoldCancelTx}, {"token_hold_cancel_rx", st.HoldCancelRx},
			{"operational_entered", st.OperationalEntered}, {"operational_token_lost", st.TokenLosses},
			{"gather_entered", st.GatherEntered},
			{"recovery_entered", st.RecoveryEntered},
			{"consensus_timeouts", st.ConsensusTimeouts}, {"rx_msg_dropped", st.McastDropped},
		} {
			u64("stats.srp."+kv.k, kv.v)
		}
	}
	if d.links != nil {
		d.publishLinkStats(d.links.Status())
	}
	d.publishUDPStats(u64)
	// gorosync's own: the Go runtime's garbage collector (the bench suite
	// checks that a throughput run triggers none) and heap.
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	u64("stats.gorosync.gc_cycles", uint64(ms.NumGC))
	u64("stats.gorosync.heap_alloc_bytes", ms.HeapAlloc)
	u64("stats.gorosync.total_alloc_bytes", ms.TotalAlloc)
	if d.ipc != nil {
		st := d.ipc.Stats()
		u64("stats.ipcs.global.active", uint64(max(st.Active, 0)))
		u64("stats.ipcs.global.closed", st.Disconnects)
	}
}

// publishUDPStats writes stats.gorosync.link<L>.* from each link's UDP
// transport: datagrams, what GSO and GRO did, and what was dropped (knet's
// own counters have no place for these).
func (d *daemon) publishUDPStats(u64 func(string, uint64)) {
	for _, u := range d.udp {
		st := u.tr.Stats()
		pre := fmt.Sprintf("stats.gorosync.link%d.", u.link)
		for _, kv := range []struct {
			k string
			v uint64
		}{
			{"tx_datagrams", st.TxFrames}, {"rx_frames", st.RxFrames},
			{"tx_gso_messages", st.TxGSO}, {"rx_gro_datagrams", st.RxGRO}, {"gso_off", st.GSOOff},
			{"tx_dropped", st.TxDropped}, {"tx_too_big", st.TxTooBig}, {"rx_too_big", st.RxTooBig},
			{"rx_unlisted", st.RxUnlisted}, {"rx_dropped_unlisted", st.RxDroppedUnlisted},
			{"errors", st.Errors},
		} {
			u64(pre+kv.k, kv.v)
		}
	}
}

// publishLinkStats writes stats.knet.node<N>.link<L>.* for every peer.
func (d *daemon) publishLinkStats(list []link.PeerLinkStatus) {
	s := d.stats
	for _, p := range list {
		pre := fmt.Sprintf("stats.knet.node%d.link%d.", p.Peer, p.Link)
		conn := uint64(0)
		if p.Up {
			conn = 1
		}
		s.Set(pre+"enabled", cmap.Int(cmap.U8, 1))
		s.Set(pre+"connected", cmap.Int(cmap.U8, conn))
		for k, v := range map[string]uint64{
			"tx_data_packets": p.TxFrames, "rx_data_packets": p.RxFrames,
			"tx_ping_packets": p.PingsSent, "rx_ping_packets": p.PingsReceived,
			"tx_pong_packets": p.PongsSent, "rx_pong_packets": p.PongsReceived,
		} {
			s.Set(pre+k, cmap.Int(cmap.U64, v))
		}
		s.Set(pre+"latency_ave", cmap.Int(cmap.U32, uint64(p.RTTNs/1000)))
		s.Set(pre+"up_count", cmap.Int(cmap.U32, p.Ups))
		s.Set(pre+"down_count", cmap.Int(cmap.U32, p.Downs))
	}
}
