package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/gorosync/gorosync/services/cfg"
	"github.com/gorosync/gorosync/services/cmap/coroparse"
	"github.com/gorosync/gorosync/services/cserror"
)

// exitFatal is corosync's exit status for a fatal error (killed by
// another node's corosync-cfgtool -k).
const exitFatal = 15

// newCfgEngine is the cfg service with the daemon's facts and actions.
func (d *daemon) newCfgEngine() *cfg.Engine {
	conf := cfg.Config{
		NodeID:     d.self.NodeID,
		Nodes:      func() []cfg.Node { return cfg.NodesFromConf(d.cfg) },
		MTU:        d.cfg.Totem.NetMTU,
		Shutdown:   func() { d.shutdown() },
		Kill:       d.killed,
		Reload:     d.reload,
		ReopenLogs: d.logs.Reopen,
		Store:      d.cmap,
		Log:        d.logs.Logger("CFG"),
	}
	if d.links != nil {
		conf.NodeStatus = d.nodeStatus
	}
	return cfg.NewEngine(conf)
}

// killed: another node asked this one to die (KILLNODE). corosync exits
// at once, without leaving the ring: the others see a failure.
func (d *daemon) killed(reason string) {
	d.log.Error(reason)
	d.logs.Close()
	os.Exit(exitFatal)
}

// reload re-reads this node's configuration file and applies what may
// change at runtime: to cmap (cfg.ApplyReload, whose tracks reach
// votequorum), and the logging thresholds. The totem timers and the links
// are not reconfigured at runtime (yet): their keys change in cmap only.
func (d *daemon) reload() cfg.Error {
	var fresh *coroparse.Config
	res := cfg.ApplyReload(d.cmap, func() (map[string]coroparse.Value, error) {
		c, err := coroparse.Load(d.path)
		if err != nil {
			return nil, err
		}
		if err := c.SetLocal(d.cfg.Local); err != nil {
			return nil, err
		}
		fresh = c
		return c.Keys, nil
	}, cfg.ReloadOptions{Log: d.logs.Logger("CFG")})
	if res.Status != cserror.OK {
		return res.Status
	}
	d.logs.Reconfigure(fresh.Logging)
	d.log.Info(fmt.Sprintf("configuration reloaded: %d keys changed, %d refused, %d deleted", len(res.Changed), len(res.Refused), len(res.Deleted)))
	for _, k := range res.Changed {
		if strings.HasPrefix(k, "totem.") && !strings.HasPrefix(k, "totem.config_version") {
			d.log.Warn("totem parameters changed in cmap are applied at the next start: " + k)
		}
	}
	return res.Status
}

// nodeStatus reports the link layer's view of a node (transport knet).
func (d *daemon) nodeStatus(id uint32) (cfg.NodeStatus, bool) {
	var node *coroparse.Node
	for i := range d.cfg.Nodes {
		if d.cfg.Nodes[i].NodeID == id {
			node = &d.cfg.Nodes[i]
		}
	}
	if node == nil {
		return cfg.NodeStatus{}, false
	}
	st := cfg.NodeStatus{NodeID: id}
	mtu := d.cfg.Totem.NetMTU
	for _, iface := range d.cfg.Totem.Interfaces {
		l := iface.Link
		if l >= cfg.MaxLinks || !node.IPs[l].IsValid() {
			continue
		}
		ls := cfg.LinkStatus{Enabled: true, MTU: mtu, Src: d.self.IPs[l].String(), Dst: node.IPs[l].String()}
		if id == d.self.NodeID {
			ls.Connected = true
		}
		st.Links[l] = ls
	}
	if id == d.self.NodeID {
		st.Reachable = true
		return st, true
	}
	for _, p := range d.links.Status() {
		if p.Peer == id && p.Link < cfg.MaxLinks {
			st.Links[p.Link].Connected = p.Up
			st.Reachable = st.Reachable || p.Up
		}
	}
	return st, true
}
