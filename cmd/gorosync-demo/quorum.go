package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/gorosync/gorosync/services/cmap/cmapclient"
	"github.com/gorosync/gorosync/services/quorum"
	"github.com/gorosync/gorosync/services/quorum/quorumclient"
	"github.com/gorosync/gorosync/services/votequorum"
	"github.com/gorosync/gorosync/services/votequorum/vqclient"
	"github.com/gorosync/gorosync/shm/client"
)

// pollEvery is how often a bounded wait tries again.
const pollEvery = 50 * time.Millisecond

// retry calls f until it succeeds, ctx ends (the error then names what
// was awaited and f's last error) or a daemon exits.
func retry(ctx context.Context, ds []*daemon, what string, f func() error) error {
	for {
		err := f()
		if err == nil {
			return nil
		}
		if dead := exited(ds); dead != nil {
			return fmt.Errorf("%s: %w", what, dead)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w (last: %v)", what, errTimeout, err)
		case <-time.After(pollEvery):
		}
	}
}

// waitRing waits until every daemon's votequorum counts all three nodes'
// votes: the ring has formed with every node and sync has completed
// (the daemons refuse IPC clients until then).
func waitRing(ctx context.Context, ds []*daemon) error {
	for _, d := range ds {
		if err := checkServer(ctx, ds, d); err != nil {
			return err
		}
		var vq *vqclient.Client
		err := retry(ctx, ds, fmt.Sprintf("connecting to %s", d.service("votequorum")), func() (err error) {
			vq, err = vqclient.Dial(ctx, vqclient.Options{Service: d.service("votequorum")})
			return err
		})
		if err != nil {
			return err
		}
		err = retry(ctx, ds, fmt.Sprintf("node %d seeing all %d nodes' votes", d.id, nodeCount), func() error {
			info, err := vq.GetInfo(ctx, 0)
			if err == nil && info.TotalVotes != nodeCount {
				err = fmt.Errorf("total votes %d", info.TotalVotes)
			}
			return err
		})
		vq.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// checkServer makes sure that d's IPC names are served by d: the names
// are shared by every process of the network namespace, so another demo
// with the same prefix would otherwise answer for it.
func checkServer(ctx context.Context, ds []*daemon, d *daemon) error {
	name := d.service("cmap")
	var c *client.Client
	err := retry(ctx, ds, "connecting to "+name, func() (err error) {
		c, err = client.Dial(ctx, name, client.Options{})
		return err
	})
	if err != nil {
		return err
	}
	defer c.Close()
	if pid, _, _ := c.Server(); int(pid) != d.cmd.Process.Pid {
		return fmt.Errorf("%s is served by pid %d, not by node %d's daemon (pid %d): "+
			"another gorosync serves this prefix in this network namespace (a demo running? try -ipc-prefix)",
			name, pid, d.id, d.cmd.Process.Pid)
	}
	return nil
}

// view is what one node's quorum and votequorum services say.
type view struct {
	node    uint32
	quorate bool
	ring    quorumRing
	members []uint32
	info    votequorum.Info
}

type quorumRing struct {
	rep uint32
	seq uint64
}

func (r quorumRing) String() string { return fmt.Sprintf("%x.%x", r.rep, r.seq) }

// readView asks node d's quorum service (model v1, current state) and its
// votequorum service.
func readView(ctx context.Context, d *daemon) (view, error) {
	v := view{node: d.id}
	qc, err := quorumclient.Dial(ctx, quorumclient.Options{Service: d.service("quorum"), Model: quorum.ModelV1})
	if err != nil {
		return v, fmt.Errorf("%s: %w", d.service("quorum"), err)
	}
	defer qc.Close()
	if v.quorate, err = qc.Quorate(ctx); err != nil {
		return v, fmt.Errorf("quorum_getquorate on node %d: %w", d.id, err)
	}
	if err := qc.TrackStart(ctx, quorum.TrackCurrent); err != nil {
		return v, fmt.Errorf("quorum_trackstart on node %d: %w", d.id, err)
	}
	for i := 0; i < 4; i++ { // the current state is a nodelist and a quorum event
		ev, err := qc.Event(ctx)
		if err != nil {
			return v, fmt.Errorf("quorum event on node %d: %w", d.id, err)
		}
		if ev.ID == quorum.ResV1Quorum {
			v.ring, v.members = quorumRing{ev.Ring.Rep, ev.Ring.Seq}, ev.Members
			break
		}
	}
	if v.members == nil {
		return v, fmt.Errorf("node %d's quorum service sent no quorum event", d.id)
	}
	vq, err := vqclient.Dial(ctx, vqclient.Options{Service: d.service("votequorum")})
	if err != nil {
		return v, fmt.Errorf("%s: %w", d.service("votequorum"), err)
	}
	defer vq.Close()
	if v.info, err = vq.GetInfo(ctx, 0); err != nil {
		return v, fmt.Errorf("votequorum_getinfo on node %d: %w", d.id, err)
	}
	return v, nil
}

// printQuorum prints node 1's view in corosync-quorumtool -s's shape
// (provider and node names from its cmap), then checks that the other
// nodes agree and prints one line for each.
func printQuorum(ctx context.Context, ds []*daemon) error {
	first, err := readView(ctx, ds[0])
	if err != nil {
		return err
	}
	if err := printStatus(ctx, ds[0], first); err != nil {
		return err
	}
	for _, d := range ds {
		v := first
		if d != ds[0] {
			if v, err = readView(ctx, d); err != nil {
				return err
			}
		}
		fmt.Printf("  node %d: quorate %s, expected votes %d, total votes %d, quorum %d, ring %s, members %v\n",
			d.id, yesNo(v.quorate), v.info.ExpectedVotes, v.info.TotalVotes, v.info.Quorum, v.ring, v.members)
		if !v.quorate || v.ring != first.ring || len(v.members) != nodeCount {
			return fmt.Errorf("node %d disagrees with node 1 on quorum or ring", d.id)
		}
	}
	return nil
}

// printStatus prints one node's view as corosync-quorumtool -s does.
func printStatus(ctx context.Context, d *daemon, v view) error {
	cm, err := cmapclient.Dial(ctx, cmapclient.Options{Service: d.service("cmap")})
	if err != nil {
		return fmt.Errorf("%s: %w", d.service("cmap"), err)
	}
	defer cm.Close()
	provider, err := cm.GetString(ctx, "quorum.provider")
	if err != nil {
		return fmt.Errorf("cmap quorum.provider on node %d: %w", d.id, err)
	}
	names, err := nodeNames(ctx, cm)
	if err != nil {
		return err
	}
	vq, err := vqclient.Dial(ctx, vqclient.Options{Service: d.service("votequorum")})
	if err != nil {
		return fmt.Errorf("%s: %w", d.service("votequorum"), err)
	}
	defer vq.Close()
	fmt.Printf("\nquorum (node %d's quorum, votequorum and cmap services, as corosync-quorumtool -s prints it):\n", d.id)
	fmt.Printf("  Quorum provider:  %s\n  Nodes:            %d\n  Node ID:          %d\n  Ring ID:          %s\n  Quorate:          %s\n\n",
		provider, len(v.members), d.id, v.ring, yesNo(v.quorate))
	fmt.Printf("  Expected votes:   %d\n  Highest expected: %d\n  Total votes:      %d\n  Quorum:           %d\n  Flags:            %s\n\n",
		v.info.ExpectedVotes, v.info.HighestExpected, v.info.TotalVotes, v.info.Quorum, flags(v.info.Flags))
	fmt.Printf("  %8s %10s Name\n", "Nodeid", "Votes")
	for _, id := range v.members {
		local := ""
		if id == d.id {
			local = " (local)"
		}
		info, err := vq.GetInfo(ctx, id)
		if err != nil {
			return fmt.Errorf("votequorum_getinfo(%d) on node %d: %w", id, d.id, err)
		}
		fmt.Printf("  %8d %10d %s%s\n", id, info.Votes, names[id], local)
	}
	fmt.Println()
	return nil
}

// nodeNames reads nodelist.node.<i>.{nodeid,name} from cmap.
func nodeNames(ctx context.Context, cm *cmapclient.Client) (map[uint32]string, error) {
	names := map[uint32]string{}
	for i := 0; i < 64; i++ {
		id, err := cm.GetUint32(ctx, fmt.Sprintf("nodelist.node.%d.nodeid", i))
		if err != nil && i == 0 {
			return nil, fmt.Errorf("cmap nodelist.node.0.nodeid: %w", err)
		}
		if err != nil { // past the last node
			break
		}
		names[id], _ = cm.GetString(ctx, fmt.Sprintf("nodelist.node.%d.name", i))
	}
	return names, nil
}

// flags names votequorum's flags as corosync-quorumtool does.
func flags(f uint32) string {
	var out []string
	for _, n := range []struct {
		bit  uint32
		name string
	}{
		{votequorum.InfoTwoNode, "2Node"}, {votequorum.InfoQuorate, "Quorate"},
		{votequorum.InfoWaitForAll, "WaitForAll"}, {votequorum.InfoLastManStanding, "LastManStanding"},
		{votequorum.InfoAutoTieBreaker, "AutoTieBreaker"}, {votequorum.InfoAllowDownscale, "AllowDownscale"},
		{votequorum.InfoQdeviceRegistered, "Qdevice"},
	} {
		if f&n.bit != 0 {
			out = append(out, n.name)
		}
	}
	return strings.Join(out, " ")
}

func yesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}
