package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/gorosync/gorosync/services/cfg/cfgclient"
	"github.com/gorosync/gorosync/services/cmap/cmapclient"
	"github.com/gorosync/gorosync/services/cserror"
	"github.com/gorosync/gorosync/services/quorum"
	"github.com/gorosync/gorosync/services/quorum/quorumclient"
	"github.com/gorosync/gorosync/services/votequorum"
	"github.com/gorosync/gorosync/services/votequorum/vqclient"
)

// Exit codes (corosync-quorumtool(8)).
const (
	exitOK         = 0
	exitFailure    = 1
	exitNotQuorate = 2
)

const (
	versionString  = "3.1.7"
	votequorumName = "corosync_votequorum"
)

// tool is one run: the options, the connections and what the
// notifications told.
type tool struct {
	o        options
	prog     string
	out, err io.Writer

	cmap  *cmapclient.Client
	q     *quorumclient.Client
	vq    *vqclient.Client  // nil unless votequorum is the provider
	cfg   *cfgclient.Client // nil when the cfg service cannot be reached
	ourID uint32

	// The quorum service's last notification and votequorum's ring.
	quorate bool
	ringSeq uint64
	ringRep uint32
	view    []uint32
}

func run(ctx context.Context, prog string, args []string, stdout, stderr io.Writer) int {
	o, err := parseArgs(prog, args)
	var ue usageError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintln(stderr, ue)
		usage(stdout, prog)
		return exitFailure
	case err != nil:
		fmt.Fprintln(stderr, err)
		return exitFailure
	}
	switch o.cmd {
	case cmdHelp:
		usage(stdout, prog)
		return exitOK
	case cmdVersion:
		fmt.Fprintf(stdout, "gorosync-quorumtool version: %s\n", versionString)
		return exitOK
	}
	t := &tool{o: o, prog: prog, out: stdout, err: stderr}
	defer t.close()
	if !t.connect(ctx) {
		return exitFailure
	}
	return t.dispatch(ctx)
}

func (t *tool) dispatch(ctx context.Context) int {
	switch t.o.cmd {
	case cmdShowNodes:
		return t.showNodes(ctx)
	case cmdSetVotes:
		if !t.usingVotequorum(ctx) {
			fmt.Fprintln(t.err, "You cannot change node votes, corosync is not using votequorum")
			return exitFailure
		}
		return t.setVotes(ctx)
	case cmdSetExpected:
		if !t.usingVotequorum(ctx) {
			fmt.Fprintln(t.err, "You cannot change expected votes, corosync is not using votequorum")
			return exitFailure
		}
		return t.setExpected(ctx)
	case cmdMonitor:
		return t.monitor(ctx)
	case cmdUnregisterQdevice:
		if !t.usingVotequorum(ctx) {
			fmt.Fprintln(t.err, "You cannot unregister quorum device, corosync is not using votequorum")
			return exitFailure
		}
		return t.unregisterQdevice(ctx)
	}
	return t.showStatus(ctx)
}

// connect is corosync-quorumtool's init_all: cmap, quorum, cfg, then
// votequorum and this node's id when votequorum is the provider. Unlike
// 3.1.7 a missing cfg service is not fatal: names and addresses then come
// from cmap's nodelist.
func (t *tool) connect(ctx context.Context) bool {
	var err error
	if t.cmap, err = cmapclient.Dial(ctx, cmapclient.Options{}); err != nil {
		fmt.Fprintln(t.err, "Cannot initialize CMAP service")
		return false
	}
	if t.q, err = quorumclient.Dial(ctx, quorumclient.Options{}); err != nil {
		fmt.Fprintln(t.err, "Cannot initialize QUORUM service")
		return false
	}
	if t.cfg, err = cfgclient.Dial(ctx); err != nil {
		t.cfg = nil
	}
	if !t.usingVotequorum(ctx) {
		return true
	}
	if t.vq, err = vqclient.Dial(ctx, vqclient.Options{}); err != nil {
		fmt.Fprintln(t.err, "Cannot initialise VOTEQUORUM service")
		return false
	}
	if t.ourID, err = t.cmap.GetUint32(ctx, "runtime.votequorum.this_node_id"); err != nil {
		fmt.Fprintln(t.err, "Unable to retrieve this_node_id")
		return false
	}
	return true
}

func (t *tool) close() {
	if t.vq != nil {
		t.vq.Close()
	}
	if t.cfg != nil {
		t.cfg.Close()
	}
	if t.q != nil {
		t.q.Close()
	}
	if t.cmap != nil {
		t.cmap.Close()
	}
}

// provider is quorum.provider, or "" when the node has none (quorum type
// QUORUM_FREE) or cmap does not say.
func (t *tool) provider(ctx context.Context) string {
	if t.q.Type() == quorum.TypeFree {
		return ""
	}
	s, err := t.cmap.GetString(ctx, "quorum.provider")
	if err != nil {
		return ""
	}
	return s
}

func (t *tool) usingVotequorum(ctx context.Context) bool { return t.provider(ctx) == votequorumName }

// csError is the cs_error_t text corosync's tools print for err.
func csError(err error) string { return cserror.Code(err).String() }

func (t *tool) setVotes(ctx context.Context) int {
	id := t.o.nodeID
	if !t.o.nodeIDSet {
		id = t.ourID
	}
	if err := t.vq.SetVotes(ctx, id, uint32(t.o.votes)); err != nil {
		fmt.Fprintf(t.err, "Unable to set votes %d for nodeid: %d: %s\n", t.o.votes, id, csError(err))
		return exitFailure
	}
	return exitOK
}

func (t *tool) setExpected(ctx context.Context) int {
	if err := t.vq.SetExpected(ctx, uint32(t.o.votes)); err != nil {
		fmt.Fprintf(t.err, "Unable to set expected votes: %s\n", csError(err))
		return exitFailure
	}
	return exitOK
}

func (t *tool) unregisterQdevice(ctx context.Context) int {
	in, err := t.vq.GetInfo(ctx, t.ourID)
	if err != nil {
		fmt.Fprintf(t.err, "Unable to get quorum device info: %s\n", csError(err))
		return exitFailure
	}
	if in.Flags&votequorum.InfoQdeviceRegistered == 0 {
		return exitOK
	}
	if err := t.vq.QdeviceUnregister(ctx, in.QdeviceName); err != nil {
		fmt.Fprintf(t.err, "Unable to unregister quorum device: %s\n", csError(err))
		return exitFailure
	}
	return exitOK
}
