package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/gorosync/gorosync/dataplane/loop"
	"github.com/gorosync/gorosync/services"
	"github.com/gorosync/gorosync/services/cfg"
	"github.com/gorosync/gorosync/services/cmap"
	"github.com/gorosync/gorosync/services/cpg"
	"github.com/gorosync/gorosync/services/quorum"
	"github.com/gorosync/gorosync/services/votequorum"
)

// hookService carries the test hook's traffic (-demo-send) as an exec
// message of its own, so that it shares the ordered stream with the
// services without being mistaken for one of theirs.
const hookService uint16 = 0x7e7e

// engines is every engine the daemon runs, for the host and for the
// runtime.services.* keys.
type engines struct {
	cmap   *cmap.Engine
	cfg    *cfg.Engine
	cpg    *cpg.Engine
	quorum *quorum.Engine
	vq     *votequorum.Engine // nil without quorum.provider
	hook   *hookEngine
}

// openServices builds the cmap store (loaded from the configuration), the
// engines and their host. The host's messages go through the token loop,
// which does not exist yet: submit is bound once it does.
func (d *daemon) openServices(submit func([]byte, bool) error, submitParts func([][]byte, bool) error) error {
	store := cmap.NewStore()
	if err := store.Load(d.cfg.Keys); err != nil {
		return fmt.Errorf("cmap: %w", err)
	}
	d.cmap, d.stats = store, cmap.NewStore()
	d.eng.cmap = cmap.NewEngine(store, cmap.EngineConfig{Fatal: d.fatal, Log: d.logs.Logger("CMAP")})
	d.eng.cfg = d.newCfgEngine()
	d.eng.cpg = cpg.New(cpg.Config{Log: d.logs.Logger("CPG")})
	list := []services.Engine{d.eng.cmap, d.eng.cfg, d.eng.cpg, &mainEngine{d: d}}
	if err := d.newQuorumEngines(); err != nil {
		return err
	}
	list = append(list, d.eng.quorum)
	if d.eng.vq != nil {
		list = append(list, d.eng.vq)
	}
	if d.hook != nil {
		d.eng.hook = &hookEngine{d: d}
		list = append(list, d.eng.hook)
	}
	h, err := services.New(services.Config{
		NodeID:    d.self.NodeID,
		Send:      submit,
		SendParts: submitParts,
		Engines:   list,
		Log:       d.logs.Logger("SYNC"),
		Synced:    d.onSynced,
	})
	if err != nil {
		return err
	}
	d.host = h
	d.eng.cmap.SetHost(h)
	d.eng.cfg.SetHost(h)
	d.eng.cpg.SetHost(h)
	if d.eng.vq != nil {
		d.eng.vq.SetHost(h) // sends the startup NODEINFO
	}
	d.publishStatic()
	return nil
}

// newQuorumEngines makes the quorum service and, with quorum.provider
// corosync_votequorum, votequorum feeding it.
func (d *daemon) newQuorumEngines() error {
	provider := ""
	if v, ok := d.cmap.Get("quorum.provider"); ok {
		provider = strings.TrimRight(v.Text(), "\x00")
	}
	if provider != "" && provider != quorum.ProviderVotequorum {
		return fmt.Errorf("quorum.provider: %q is not supported (only %s)", provider, quorum.ProviderVotequorum)
	}
	q, err := quorum.New(quorum.Config{Provider: provider, Log: d.logs.Logger("QUORUM")})
	if err != nil {
		return err
	}
	d.eng.quorum = q
	if provider == "" {
		return nil
	}
	d.eng.vq, err = votequorum.New(votequorum.Config{
		NodeID: d.self.NodeID, Store: d.cmap, StateDir: d.cfg.System.StateDir,
		Quorum: q, Log: d.logs.Logger("VOTEQ"),
	})
	return err
}

// onSynced: the first completed sync opens the IPC server (corosync
// refuses connections until then) and tells systemd.
func (d *daemon) onSynced(ring services.RingID, members []uint32) {
	d.synced.Store(true)
	d.log.Debug("sync completed", "ring", ring, "members", members)
	notifyReady()
}

// fatal stops the daemon because the cluster cannot accept this node
// (corosync's shutdown request from an engine).
func (d *daemon) fatal(reason string) {
	d.log.Error(reason)
	d.fatalReason.Store(&reason)
	if d.stop != nil {
		d.stop()
	}
}

// hookEngine delivers the test hook's messages to it.
type hookEngine struct{ d *daemon }

func (e *hookEngine) ID() uint16   { return hookService }
func (e *hookEngine) Name() string { return "testhook" }
func (e *hookEngine) Deliver(from uint32, fn uint16, msg []byte) {
	e.d.hook.onDeliver(e.d.self.NodeID, from, msg)
}

// hookSubmit returns the test hook's submit: it prefixes the exec header.
// It runs on the hook's goroutine, the buffer is its own.
func hookSubmit(l *loop.Loop) func([]byte) error {
	var buf []byte
	return func(m []byte) error {
		buf = append(buf[:0], 0, 0, 0, 0)
		binary.LittleEndian.PutUint16(buf, hookService)
		buf = append(buf, m...)
		return l.Submit(buf, false)
	}
}

// submitLocal is the host's Send. Before the loop exists (an engine
// announcing itself while it is wired) the message is refused as if the
// queue were full: the engine tries again from its Tick.
func (d *daemon) submitLocal(msg []byte, safe bool) error {
	if d.loop == nil {
		return errLoopNotStarted
	}
	return d.loop.SubmitLocal(msg, safe)
}

func (d *daemon) submitLocalParts(parts [][]byte, safe bool) error {
	if d.loop == nil {
		return errLoopNotStarted
	}
	return d.loop.SubmitLocalParts(parts, safe)
}

var errLoopNotStarted = errors.New("the token loop has not started yet")
