package main

import (
	"strconv"

	"github.com/gorosync/gorosync/services/cfg"
	"github.com/gorosync/gorosync/services/cserror"
)

// printNodes is -n: every reachable node but this one, with its enabled
// links.
func (t *tool) printNodes(v *view) {
	doc := jsonNodes{LocalNodeID: v.local, Transport: v.transport, Nodes: []jsonNode{}}
	for i, st := range v.status {
		if v.statusErr[i] != nil || !st.Reachable || st.NodeID == v.local {
			continue
		}
		t.printf("nodeid: %d reachable", st.NodeID)
		if st.Remote {
			t.printf(" remote")
		}
		if st.External {
			t.printf(" external")
		}
		t.printf("\n")
		jn := jsonNode{NodeID: st.NodeID, Reachable: true, Remote: st.Remote, External: st.External, Links: []jsonLink{}}
		for l, ls := range st.Links {
			if !ls.Enabled {
				continue
			}
			arrow := ""
			if v.knet {
				arrow = "->"
			}
			t.printf("   LINK: %d %s (%s%s%s) enabled", l, v.linkTrans[l], ls.Src, arrow, ls.Dst)
			if ls.Connected {
				t.printf(" connected")
			}
			if ls.DynConnected {
				t.printf(" dynconnected")
			}
			t.printf(" mtu: %d\n", int32(ls.MTU))
			jn.Links = append(jn.Links, jsonLink{Link: l, Transport: v.linkTrans[l], Src: ls.Src, Dst: ls.Dst,
				Enabled: true, Connected: ls.Connected, DynConnected: ls.DynConnected, MTU: ls.MTU})
		}
		t.printf("\n")
		doc.Nodes = append(doc.Nodes, jn)
	}
	t.writeJSON(doc)
}

// printLinks is -s (and -s -b): for each link the other node sees
// enabled, every node's status on it. With -b it exits 1 when a node's
// link is not enabled and connected (the manual's rule).
func (t *tool) printLinks(v *view) int {
	for i, err := range v.statusErr {
		if err != nil {
			t.errorf("Could not get the node status for nodeid %d, the error is: %d\n", v.ids[i], cserror.FromErrno(err))
		}
	}
	localIdx, otherIdx := v.indexes()
	rc := exitOK
	doc := jsonLinks{LocalNodeID: v.local, Transport: v.transport, Links: []jsonLinkStatus{}}
	for l := range cfg.MaxLinks {
		other := v.status[otherIdx].Links[l]
		if !other.Enabled || !t.linkSelected(l, other.Src) {
			continue
		}
		t.printf("LINK ID %d %s\n\taddr\t= %s\n", l, v.linkTrans[l], other.Src)
		jl := jsonLinkStatus{Link: l, Transport: v.linkTrans[l], Addr: other.Src}
		if t.o.brief {
			t.printf("\tstatus\t= ")
		} else {
			t.printf("\tstatus:\n")
		}
		for j, st := range v.status { // a node whose status failed is all zero, id 0 included
			ls := st.Links[l]
			ch := '0' + (b2u(ls.Enabled) | b2u(ls.Connected)<<1)
			state := "disconnected"
			if ls.Connected {
				state = "connected"
			}
			if j == localIdx {
				ch, state = 'n', "localhost"
			} else if ch != '3' {
				rc = exitFail
			}
			if t.o.brief {
				t.printf("%c", ch)
			} else {
				t.printf("\t\tnodeid: %10d:\t%s\n", st.NodeID, state)
			}
			jl.Nodes = append(jl.Nodes, jsonNodeLink{NodeID: st.NodeID, Status: string(ch), State: state})
		}
		if t.o.brief {
			t.printf("\n")
		}
		doc.Links = append(doc.Links, jl)
	}
	t.writeJSON(doc)
	if !t.o.brief {
		return exitOK
	}
	return rc
}

// linkSelected applies -i: a link number or the link's address.
func (t *tool) linkSelected(l int, addr string) bool {
	return t.o.iface == "" || t.o.iface == strconv.Itoa(l) || t.o.iface == addr
}

func b2u(b bool) byte {
	if b {
		return 1
	}
	return 0
}

// The JSON documents.
type (
	jsonNodes struct {
		LocalNodeID uint32     `json:"local_nodeid"`
		Transport   string     `json:"transport"`
		Nodes       []jsonNode `json:"nodes"`
	}
	jsonNode struct {
		NodeID    uint32     `json:"nodeid"`
		Reachable bool       `json:"reachable"`
		Remote    bool       `json:"remote"`
		External  bool       `json:"external"`
		Links     []jsonLink `json:"links"`
	}
	jsonLink struct {
		Link         int    `json:"link"`
		Transport    string `json:"transport"`
		Src          string `json:"src"`
		Dst          string `json:"dst"`
		Enabled      bool   `json:"enabled"`
		Connected    bool   `json:"connected"`
		DynConnected bool   `json:"dynconnected"`
		MTU          uint32 `json:"mtu"`
	}
	jsonLinks struct {
		LocalNodeID uint32           `json:"local_nodeid"`
		Transport   string           `json:"transport"`
		Links       []jsonLinkStatus `json:"links"`
	}
	jsonLinkStatus struct {
		Link      int            `json:"link"`
		Transport string         `json:"transport"`
		Addr      string         `json:"addr"`
		Nodes     []jsonNodeLink `json:"nodes"`
	}
	jsonNodeLink struct {
		NodeID uint32 `json:"nodeid"`
		Status string `json:"status"` // the -b character
		State  string `json:"state"`  // localhost, connected, disconnected
	}
)
