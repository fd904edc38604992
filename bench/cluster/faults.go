//go:build linux

package cluster

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// nodeFaults is one node's loss configuration.
type nodeFaults struct {
	loss   int         // percent of all outgoing UDP
	lossTo map[int]int // peer → percent of outgoing UDP to its addresses
}

// Loss drops percent (0..100) of node's outgoing UDP, all ports, at random
// (nft `numgen random mod 100 < percent drop`), on every interface but lo.
// 0 removes it. It compounds with LossTo.
func (c *Cluster) Loss(node int, percent int) error {
	if err := c.checkNode(node); err != nil {
		return err
	}
	if percent < 0 || percent > 100 {
		return fmt.Errorf("cluster: loss %d%%, want 0..100", percent)
	}
	c.mu.Lock()
	c.faults[node-1].loss = percent
	c.mu.Unlock()
	return c.apply(node)
}

// LossTo drops percent (0..100) of node's outgoing UDP towards peer's
// addresses only (an asymmetric fault). 0 removes it.
func (c *Cluster) LossTo(node, peer int, percent int) error {
	if err := c.checkNode(node); err != nil {
		return err
	}
	if err := c.checkNode(peer); err != nil {
		return err
	}
	if node == peer {
		return fmt.Errorf("cluster: LossTo(%d, %d): node and peer are the same", node, peer)
	}
	if percent < 0 || percent > 100 {
		return fmt.Errorf("cluster: loss %d%%, want 0..100", percent)
	}
	c.mu.Lock()
	f := &c.faults[node-1]
	if percent == 0 {
		delete(f.lossTo, peer)
	} else {
		if f.lossTo == nil {
			f.lossTo = map[int]int{}
		}
		f.lossTo[peer] = percent
	}
	c.mu.Unlock()
	return c.apply(node)
}

// Partition drops all IP traffic, input and output on every link, between
// nodes of different groups. Nodes named in no group form one more group
// together. It replaces any earlier partition; loss rules stay.
func (c *Cluster) Partition(groups ...[]int) error {
	g := make([]int, len(c.nodes)) // 0: not named
	for gi, group := range groups {
		for _, i := range group {
			if err := c.checkNode(i); err != nil {
				return err
			}
			if g[i-1] != 0 {
				return fmt.Errorf("cluster: node %d in two partition groups", i)
			}
			g[i-1] = gi + 1
		}
	}
	c.mu.Lock()
	c.groups = g
	c.mu.Unlock()
	return c.applyAll()
}

// Heal removes every partition and loss rule. Links set down stay down.
func (c *Cluster) Heal() error {
	c.mu.Lock()
	c.groups = nil
	for i := range c.faults {
		c.faults[i] = nodeFaults{}
	}
	c.mu.Unlock()
	return c.applyAll()
}

func (c *Cluster) applyAll() error {
	var errs []error
	for i := 1; i <= len(c.nodes); i++ {
		if err := c.apply(i); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// apply installs node's rules, replacing its table atomically, or deletes
// the table when no rule is left.
func (c *Cluster) apply(node int) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	rules := c.rules(node)
	had := c.tables[node]
	c.mu.Unlock()

	n := c.nodes[node-1]
	ctx := context.Background()
	if rules == "" {
		if !had {
			return nil
		}
		if err := c.nft(ctx, n, deleteTableScript(c.prefix)); err != nil {
			return err
		}
		c.mu.Lock()
		delete(c.tables, node)
		c.mu.Unlock()
		return nil
	}
	if err := c.nft(ctx, n, deleteTableScript(c.prefix)+rules); err != nil {
		return err
	}
	c.mu.Lock()
	c.tables[node] = true
	c.mu.Unlock()
	return nil
}

// deleteTableScript deletes the table whether or not it exists (declaring
// it first makes the delete succeed).
func deleteTableScript(prefix string) string {
	return fmt.Sprintf("table inet %s\ndelete table inet %s\n", prefix, prefix)
}

// rules renders node's table, "" when it has no rule. Caller holds c.mu.
func (c *Cluster) rules(node int) string {
	var out, in []string
	if c.groups != nil {
		var peers []netip.Addr
		for j, n := range c.nodes {
			if c.groups[j] != c.groups[node-1] {
				peers = append(peers, n.Addrs...)
			}
		}
		if len(peers) > 0 {
			set := addrSet(peers)
			out = append(out, "ip daddr "+set+" drop")
			in = append(in, "ip saddr "+set+" drop")
		}
	}
	f := c.faults[node-1]
	peers := make([]int, 0, len(f.lossTo))
	for p := range f.lossTo {
		peers = append(peers, p)
	}
	slices.Sort(peers)
	for _, p := range peers {
		out = append(out, fmt.Sprintf("ip daddr %s meta l4proto udp %s", addrSet(c.nodes[p-1].Addrs), lossExpr(f.lossTo[p])))
	}
	if f.loss > 0 {
		out = append(out, "meta l4proto udp "+lossExpr(f.loss))
	}
	if len(out) == 0 && len(in) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "table inet %s {\n", c.prefix)
	b.WriteString("\tchain out {\n\t\ttype filter hook output priority 0; policy accept;\n\t\toifname \"lo\" accept\n")
	for _, r := range out {
		b.WriteString("\t\t" + r + "\n")
	}
	b.WriteString("\t}\n\tchain in {\n\t\ttype filter hook input priority 0; policy accept;\n\t\tiifname \"lo\" accept\n")
	for _, r := range in {
		b.WriteString("\t\t" + r + "\n")
	}
	b.WriteString("\t}\n}\n")
	return b.String()
}

func lossExpr(percent int) string {
	if percent >= 100 {
		return "drop"
	}
	return fmt.Sprintf("numgen random mod 100 < %d drop", percent)
}

func addrSet(as []netip.Addr) string {
	s := make([]string, len(as))
	for i, a := range as {
		s[i] = a.String()
	}
	return "{ " + strings.Join(s, ", ") + " }"
}

// nft runs an nft script inside node's namespace.
func (c *Cluster) nft(ctx context.Context, n *Node, script string) error {
	_, err := run(ctx, script, "ip", "netns", "exec", n.NS, "nft", "-f", "-")
	return err
}

// Rules returns the nft ruleset now in node's namespace (for debugging).
func (c *Cluster) Rules(node int) (string, error) {
	if err := c.checkNode(node); err != nil {
		return "", err
	}
	out, err := run(context.Background(), "", "ip", "netns", "exec", c.nodes[node-1].NS, "nft", "list", "ruleset")
	return string(out), err
}
