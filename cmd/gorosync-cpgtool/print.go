package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/gorosync/gorosync/services/cpg"
)

// groupName prints a group name as corosync-cpgtool does: with escape,
// printable ASCII but '\' as is, '\' as "\\", other bytes as \xNN, where
// bytes above 0x7f print as the sign-extended char they are in C
// (\xFFFFFF80 …).
func groupName(name []byte, escape bool) string {
	if !escape {
		return string(name)
	}
	var b strings.Builder
	for _, c := range name {
		switch {
		case c >= ' ' && c < 0x7f && c != '\\':
			b.WriteByte(c)
		case c == '\\':
			b.WriteString(`\\`)
		case c >= 0x80:
			fmt.Fprintf(&b, `\x%02X`, uint32(int32(int8(c))))
		default:
			fmt.Fprintf(&b, `\x%02X`, c)
		}
	}
	return b.String()
}

// printNames is -n: each name followed by the delimiter (a newline
// without one), and a final newline with one.
func printNames(w io.Writer, entries []cpg.Entry, o options) {
	sep := byte('\n')
	if o.delimiter != 0 {
		sep = o.delimiter
	}
	for _, e := range entries {
		io.WriteString(w, groupName([]byte(e.Group), o.escape))
		w.Write([]byte{sep})
	}
	if o.delimiter != 0 {
		io.WriteString(w, "\n")
	}
}

// addrLister returns the addresses corosync_cfg_get_node_addrs gives for
// a node (unspecified ones included, printed as nothing) and whether the
// call succeeded.
type addrLister func(nodeid uint32) ([]netip.Addr, bool)

// printFull is the default listing: a header, then per group its name on
// a line and each process on its own; with a delimiter, one line per
// process (name, pid, node id).
func printFull(w io.Writer, entries []cpg.Entry, o options, addrs addrLister) {
	d := o.delimiter
	if d != 0 {
		fmt.Fprintf(w, "GRP_NAME%cPID%cNODEID\n", d, d)
	} else {
		fmt.Fprintf(w, "Group Name\t%10s\t%10s\n", "PID", "Node ID")
	}
	prev := "" // corosync starts from a zeroed name: an empty first name prints no line
	for _, e := range entries {
		name := groupName([]byte(e.Group), o.escape)
		if d != 0 {
			fmt.Fprintf(w, "%s%c%d%c%d\n", name, d, e.PID, d, e.NodeID)
			continue
		}
		if e.Group != prev {
			io.WriteString(w, name+"\n")
			prev = e.Group
		}
		fmt.Fprintf(w, "\t\t%10d\t%10d (%s)\n", e.PID, e.NodeID, addrText(addrs, e.NodeID))
	}
}

// addrText joins a node's addresses as corosync-cpgtool does: every one
// after the first preceded by a space, unspecified ones left out (so a
// list that starts with one starts with a space).
func addrText(addrs addrLister, nodeid uint32) string {
	list, ok := addrs(nodeid)
	if !ok {
		return ""
	}
	var b strings.Builder
	for i, a := range list {
		if !a.IsValid() || a.IsUnspecified() {
			continue
		}
		if i != 0 {
			b.WriteByte(' ')
		}
		b.WriteString(a.String())
	}
	return b.String()
}

// jsonGroup is one group of --json.
type jsonGroup struct {
	Name    string       `json:"name"`
	Length  int          `json:"length"`
	Members []jsonMember `json:"members,omitempty"`
}

type jsonMember struct {
	PID    uint32   `json:"pid"`
	NodeID uint32   `json:"nodeid"`
	Addrs  []string `json:"addrs"`
}

// printJSON prints the listing as one JSON document: {"groups": [...]},
// groups in iteration order, names escaped as the text output escapes
// them (raw with -e; JSON then shows invalid UTF-8 as U+FFFD), members
// left out with -n.
func printJSON(w io.Writer, entries []cpg.Entry, o options, addrs addrLister) error {
	var groups []jsonGroup
	prev := ""
	for i, e := range entries {
		if i == 0 || e.Group != prev {
			groups = append(groups, jsonGroup{Name: groupName([]byte(e.Group), o.escape), Length: len(e.Group)})
			prev = e.Group
		}
		if o.namesOnly {
			continue
		}
		m := jsonMember{PID: e.PID, NodeID: e.NodeID, Addrs: []string{}}
		list, _ := addrs(e.NodeID)
		for _, a := range list {
			if a.IsValid() && !a.IsUnspecified() {
				m.Addrs = append(m.Addrs, a.String())
			}
		}
		g := &groups[len(groups)-1]
		g.Members = append(g.Members, m)
	}
	if groups == nil {
		groups = []jsonGroup{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{"groups": groups})
}
