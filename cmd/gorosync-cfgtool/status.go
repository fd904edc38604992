package main

import (
	"slices"
	"strconv"
	"strings"

	"github.com/gorosync/gorosync/services/cfg"
	"github.com/gorosync/gorosync/services/cfg/cfgclient"
	"github.com/gorosync/gorosync/services/cmap/cmapclient"
	"github.com/gorosync/gorosync/services/cserror"
)

// view is what -s and -n show: gathered from cmap and cfg as
// corosync-cfgtool gathers it.
type view struct {
	local     uint32
	transport string               // totem.transport, "knet" when unset
	knet      bool                 // neither udp nor udpu
	linkTrans [cfg.MaxLinks]string // "" for udp/udpu, else each link's knet_transport (default udp)
	ids       []uint32             // the nodelist's node ids, ascending
	status    []cfg.NodeStatus
	statusErr []error
}

// status runs -s or -n.
func (t *tool) status() int {
	c := t.dial(false)
	if c == nil {
		return exitFail
	}
	defer c.Close()
	m, err := cmapclient.Initialize(t.ctx)
	if err != nil {
		t.errorf("Could not initialize corosync cmap API error %d\n", cserror.Code(err))
		return exitFail
	}
	v := &view{}
	if rc := t.readCmap(m, c, v); rc != exitOK {
		m.Close()
		return rc
	}
	m.Close()
	t.printf("Local node ID %d, transport %s\n", v.local, v.transport)
	v.status = make([]cfg.NodeStatus, len(v.ids))
	v.statusErr = make([]error, len(v.ids))
	for i, id := range v.ids {
		v.status[i], v.statusErr[i] = c.NodeStatusGet(t.ctx, id)
	}
	if t.o.action == actNodeStatus {
		t.printNodes(v)
		return exitOK
	}
	return t.printLinks(v)
}

// readCmap reads the transport, the local id (from cfg), the nodelist
// and the links' transports.
func (t *tool) readCmap(m *cmapclient.Client, c *cfgclient.Client, v *view) int {
	v.transport, v.knet = "knet", true
	if s, err := m.GetString(t.ctx, "totem.transport"); err == nil {
		v.transport = s
		v.knet = s != "udp" && s != "udpu"
	}
	local, err := c.LocalGet(t.ctx)
	if err != nil {
		t.errorf("Could not get the local node id, the error is: %d\n", cserror.FromErrno(err))
		return exitFail
	}
	v.local = local
	for ki, err := range m.Iter(t.ctx, "nodelist.node.") {
		if err != nil {
			t.errorf("Could not get nodelist from cmap. error %d\n", cserror.Code(err))
			return exitFail
		}
		if !isNodeIDKey(ki.Key) {
			continue
		}
		if id, err := m.GetUint32(t.ctx, ki.Key); err == nil {
			v.ids = append(v.ids, id)
		}
	}
	if len(v.ids) == 0 {
		t.errorf("No nodes found in nodelist\n")
		return exitFail
	}
	slices.Sort(v.ids)
	for l := range v.linkTrans {
		if v.knet {
			v.linkTrans[l] = "udp"
		}
	}
	for ki, err := range m.Iter(t.ctx, "totem.interface.") {
		if err != nil {
			break // the defaults stand, as in corosync-cfgtool
		}
		l, ok := linkTransportKey(ki.Key)
		if !ok {
			continue
		}
		if s, err := m.GetString(t.ctx, ki.Key); err == nil {
			v.linkTrans[l] = s
		}
	}
	return exitOK
}

// isNodeIDKey matches nodelist.node.<N>.nodeid exactly.
func isNodeIDKey(k string) bool {
	n, ok := strings.CutPrefix(k, "nodelist.node.")
	if !ok {
		return false
	}
	num, rest, ok := strings.Cut(n, ".")
	_, err := strconv.ParseUint(num, 10, 32)
	return ok && err == nil && rest == "nodeid"
}

// linkTransportKey matches totem.interface.<L>.knet_transport.
func linkTransportKey(k string) (int, bool) {
	n, ok := strings.CutPrefix(k, "totem.interface.")
	if !ok {
		return 0, false
	}
	num, rest, ok := strings.Cut(n, ".")
	l, err := strconv.Atoi(num)
	return l, ok && err == nil && rest == "knet_transport" && l >= 0 && l < cfg.MaxLinks
}

// indexes are corosync-cfgtool's: the local node's index in the sorted
// list (0 if it is not there) and the last other node's (whose view of
// the links is shown: the local node has only its own link to itself).
func (v *view) indexes() (local, other int) {
	for i, id := range v.ids {
		if id == v.local {
			local = i
		} else {
			other = i
		}
	}
	return local, other
}
