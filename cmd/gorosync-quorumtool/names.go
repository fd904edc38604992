package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// nodeName is corosync-quorumtool's node_name: the nodelist's name (not
// with -i) and then the node's addresses from the cfg service — the
// first only, unless -a; the first is skipped when a name was found —
// reverse-resolved, or numeric with -i.
func (t *tool) nodeName(ctx context.Context, id uint32) string {
	var b strings.Builder
	start := 0
	if !t.o.ipAddrs {
		if n := t.nodelistName(ctx, id); n != "" {
			b.WriteString(n)
			start = 1
		}
	}
	addrs, err := t.nodeAddrs(ctx, id)
	if err != nil {
		fmt.Fprintf(t.err, "Unable to get node address for nodeid %d: %s\n", id, csError(err))
		return ""
	}
	n := len(addrs)
	if !t.o.allAddrs {
		n = min(n, 1)
	}
	for i := start; i < n; i++ {
		if !addrs[i].IsValid() {
			continue // an unused link
		}
		if i > 0 {
			b.WriteString(", ")
		}
		if name, ok := t.addrName(ctx, addrs[i]); ok {
			b.WriteString(name)
		}
	}
	return b.String()
}

// nodelistName is nodelist.node.N.name of the node whose
// nodelist.node.N.nodeid is id ("" if none).
func (t *tool) nodelistName(ctx context.Context, id uint32) string {
	for ki, err := range t.cmap.Iter(ctx, "nodelist.node.") {
		if err != nil {
			return ""
		}
		pos, field, ok := nodelistKey(ki.Key)
		if !ok || field != "nodeid" {
			continue
		}
		if got, err := t.cmap.GetUint32(ctx, ki.Key); err != nil || got != id {
			continue
		}
		if name, err := t.cmap.GetString(ctx, "nodelist.node."+pos+".name"); err == nil {
			return name
		}
	}
	return ""
}

// nodelistKey splits nodelist.node.<pos>.<field>.
func nodelistKey(key string) (pos, field string, ok bool) {
	rest, ok := strings.CutPrefix(key, "nodelist.node.")
	if !ok {
		return "", "", false
	}
	pos, field, ok = strings.Cut(rest, ".")
	if _, err := strconv.ParseUint(pos, 10, 32); err != nil || field == "" {
		return "", "", false
	}
	return pos, field, ok
}

// nodeAddrs asks the cfg service for the node's link addresses; without
// it they come from the nodelist's ringX_addr keys (numeric ones).
func (t *tool) nodeAddrs(ctx context.Context, id uint32) ([]netip.Addr, error) {
	if t.cfg != nil {
		return t.cfg.GetNodeAddrs(ctx, id)
	}
	var out []netip.Addr
	var pos string
	for ki, err := range t.cmap.Iter(ctx, "nodelist.node.") {
		if err != nil {
			return nil, err
		}
		p, field, ok := nodelistKey(ki.Key)
		switch {
		case !ok:
		case field == "nodeid":
			if got, err := t.cmap.GetUint32(ctx, ki.Key); err == nil && got == id {
				pos = p
			}
		case p == pos && strings.HasPrefix(field, "ring") && strings.HasSuffix(field, "_addr"):
			s, _ := t.cmap.GetString(ctx, ki.Key)
			if a, err := netip.ParseAddr(s); err == nil {
				out = append(out, a)
			}
		}
	}
	return out, nil
}

// addrName is getnameinfo's answer: the address itself with -i, else its
// reverse name, the address when it has none, and nothing (false) when
// the lookup failed otherwise (no resolver reachable: glibc's EAI_AGAIN,
// which corosync-quorumtool prints as an empty name).
func (t *tool) addrName(ctx context.Context, a netip.Addr) (string, bool) {
	if t.o.ipAddrs {
		return a.String(), true
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	names, err := net.DefaultResolver.LookupAddr(ctx, a.String())
	var dnsErr *net.DNSError
	switch {
	case err == nil && len(names) > 0:
		return strings.TrimSuffix(names[0], "."), true
	case err == nil, errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return a.String(), true
	}
	return "", false
}
