package cfg

import "github.com/gorosync/gorosync/services/cmap/coroparse"

// NodesFromConf turns a parsed nodelist into the engine's Nodes: each
// node's resolved ringX_addr (or the literal address) per link.
func NodesFromConf(c *coroparse.Config) []Node {
	out := make([]Node, 0, len(c.Nodes))
	for _, n := range c.Nodes {
		nd := Node{ID: n.NodeID, Name: n.Name}
		for l := range min(len(n.IPs), MaxLinks) {
			nd.Addrs[l] = n.IPs[l].Unmap()
		}
		out = append(out, nd)
	}
	return out
}
