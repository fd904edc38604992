package main

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gorosync/gorosync/services/cpg"
	"github.com/gorosync/gorosync/services/cpg/cpgclient"
)

// group is the cpg group every demo client joins.
var group = []byte("demo")

// agreed is the guarantee of the demo's multicasts (cpg_mcast_joined
// with CPG_TYPE_AGREED, what most cpg applications use).
const agreed = cpg.Agreed

// member is one Go cpg client, connected to one daemon and joined to group.
type member struct {
	node     uint32
	c        *cpgclient.Client
	confchgs chan []uint32 // group members after each confchg, for the join step
	recvDone chan error    // the receiver's end
	got      deliveries
	seq      uint64 // the next message's number (the sender's)
}

// joinAll connects one cpg client per daemon and joins them one after
// the other, printing the confchg each client sees as the group grows.
func joinAll(ctx context.Context, ds []*daemon, recvCtx context.Context) ([]*member, error) {
	fmt.Printf("\ncpg group %q: one Go cpg client per daemon (over %s, %s, %s) joins in turn; each client's confchgs:\n",
		group, ds[0].service("cpg"), ds[1].service("cpg"), ds[2].service("cpg"))
	var ms []*member
	for _, d := range ds {
		m, err := join(ctx, ds, d, recvCtx)
		if m != nil {
			ms = append(ms, m) // to be closed, also on failure
		}
		if err != nil {
			return ms, err
		}
		if err := awaitConfchgs(ctx, ms); err != nil {
			return ms, err
		}
	}
	return ms, nil
}

// join connects to d's cpg service, starts the client's receiver and joins.
func join(ctx context.Context, ds []*daemon, d *daemon, recvCtx context.Context) (*member, error) {
	m := &member{node: d.id, confchgs: make(chan []uint32, 16), recvDone: make(chan error, 1)}
	m.got.init()
	err := retry(ctx, ds, "connecting to "+d.service("cpg"), func() (err error) {
		m.c, err = cpgclient.Initialize(ctx, cpgclient.Options{Service: d.service("cpg")})
		return err
	})
	if err != nil {
		return nil, err
	}
	go func() { m.recvDone <- m.receive(recvCtx) }()
	if err := m.c.Join(ctx, group); err != nil {
		return m, fmt.Errorf("cpg_join on node %d: %w", d.id, err)
	}
	return m, nil
}

// awaitConfchgs waits until every member saw the confchg of the last one
// joining, and prints them in node order.
func awaitConfchgs(ctx context.Context, ms []*member) error {
	newest := ms[len(ms)-1].node
	for _, m := range ms {
		select {
		case members := <-m.confchgs:
			if len(members) != len(ms) {
				return fmt.Errorf("node %d's client saw group members %v, want %d members", m.node, members, len(ms))
			}
			fmt.Printf("  node %d's client: members %-7s joined %d\n", m.node, ids(members), newest)
		case err := <-m.recvDone:
			return fmt.Errorf("node %d's client stopped receiving: %v", m.node, err)
		case <-ctx.Done():
			return fmt.Errorf("node %d's client seeing node %d join: %w", m.node, newest, errTimeout)
		}
	}
	return nil
}

// receive reads the client's callbacks until ctx ends: deliveries are
// counted and checked, confchgs handed to the join step.
func (m *member) receive(ctx context.Context) error {
	for {
		msg, err := m.c.Recv(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		switch msg.Kind {
		case cpgclient.Deliver:
			m.got.add(msg.NodeID, msg.Data, time.Now())
		case cpgclient.Confchg:
			members := make([]uint32, 0, len(msg.Members))
			for _, a := range msg.Members {
				members = append(members, a.NodeID)
			}
			select {
			case m.confchgs <- members:
			default: // nobody waits for confchgs after the join step
			}
		}
	}
}

// close finalizes the client after its receiver stopped.
func (m *member) close(timeout time.Duration) error {
	select {
	case err := <-m.recvDone:
		if err != nil {
			return fmt.Errorf("node %d's client: %w", m.node, err)
		}
	case <-time.After(timeout):
		return fmt.Errorf("node %d's receiver did not stop: %w", m.node, errTimeout)
	}
	return m.c.Close()
}

// ids prints node ids as "1,2,3".
func ids(v []uint32) string {
	v = slices.Sorted(slices.Values(v))
	s := make([]string, len(v))
	for i, id := range v {
		s[i] = fmt.Sprint(id)
	}
	return strings.Join(s, ",")
}
