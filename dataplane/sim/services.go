package sim

import (
	"github.com/gorosync/gorosync/dataplane/totempg"
	"github.com/gorosync/gorosync/services"
)

// Service engines on the simulated nodes: each incarnation of a node gets
// fresh engines from Options.Services and a services.Host whose exec
// messages travel in their own totempg group next to the workload's, so
// the engines and sync run over the real SRP with the run's faults.

var groupServices = [][]byte{[]byte("s")}

// servicePollNs is how often a node's host is polled (its timers and the
// sync steps that asked to be called again), in the node's own time.
const servicePollNs = int64(1_000_000)

// HostSetter is implemented by engines that want their host.
type HostSetter interface{ SetHost(*services.Host) }

// bootServices builds the node's host for a new incarnation.
func (c *Cluster) bootServices(nd *simNode) error {
	nd.host = nil
	if c.opt.Services == nil {
		return nil
	}
	engines := c.opt.Services(nd.id)
	h, err := services.New(services.Config{
		NodeID:  nd.id,
		Engines: engines,
		Now:     func() int64 { return nd.clock.local(c.now) },
		Send: func(msg []byte, safe bool) error {
			return nd.sender.Mcast(groupServices, msg, safe)
		},
	})
	if err != nil {
		return err
	}
	for _, e := range engines {
		if s, ok := e.(HostSetter); ok {
			s.SetHost(h)
		}
	}
	nd.host = h
	c.schedule(event{at: c.now + servicePollNs, kind: evPoll, node: int32(nd.idx), size: int32(nd.life)})
	return nil
}

// pollServices runs one node's host and schedules the next poll.
func (c *Cluster) pollServices(nd *simNode, life int32) {
	if !nd.up || nd.host == nil || int(life) != nd.life {
		return // a dead incarnation's poll
	}
	nd.host.Poll()
	c.schedule(event{at: c.now + servicePollNs, kind: evPoll, node: int32(nd.idx), size: life})
}

// Host returns the services host of node id's current incarnation (nil
// when it is down or the run has no services).
func (c *Cluster) Host(id uint32) *services.Host {
	if id == 0 || int(id) > len(c.nodes) || !c.nodes[id-1].up {
		return nil
	}
	return c.nodes[id-1].host
}

// servicesSettled: no up node is in the middle of a sync round.
func (c *Cluster) servicesSettled() bool {
	for _, nd := range c.nodes {
		if nd.up && nd.host != nil && (nd.host.Syncing() || !nd.host.SyncedOnce()) {
			return false
		}
	}
	return true
}

// isServiceMessage tells the services' group from the workload's.
func isServiceMessage(groups totempg.GroupHeader) bool {
	return groups.Count() == 1 && groups.Contains(groupServices[0])
}
