package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"

	"github.com/gorosync/gorosync/services/cpg"
	"github.com/gorosync/gorosync/services/cpg/cpgclient"
	"github.com/gorosync/gorosync/services/cserror"
)

// run is the tool: parse, connect to cpg then cfg (as corosync-cpgtool
// does), list, disconnect. It returns the exit code.
func run(ctx context.Context, prog string, args []string, stdout, stderr io.Writer) int {
	o, err := parseArgs(prog, args)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if o.help {
		io.WriteString(stdout, usage(prog))
		return 0
	}
	cl, err := cpgclient.Initialize(ctx, cpgclient.Options{})
	if err != nil {
		fmt.Fprintf(stderr, "Could not initialize corosync cpg API error %d\n", cserror.Code(err))
		return 1
	}
	defer cl.Close()
	cfgc, err := dialCfg(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "Could not initialize corosync configuration API error %d\n", cserror.Code(err))
		return 1
	}
	defer cfgc.Close()
	typ := cpg.IterAll
	if o.namesOnly {
		typ = cpg.IterNameOnly
	}
	entries, err := list(ctx, cl, typ)
	if err != nil {
		var init initError
		switch {
		case errors.As(err, &init):
			fmt.Fprintf(stderr, "Cannot initialize cpg iterator error %d\n", cserror.Code(init.err))
			return 1
		case !o.namesOnly:
			// corosync-cpgtool prints the processes it got, then the error
			o.print(stdout, entries, addrsOf(ctx, cfgc))
			fmt.Fprintf(stderr, "cpg iteration error %d\n", cserror.Code(err))
			return 1
		}
		// -n stops quietly at an error, as corosync-cpgtool does
	}
	if err := o.print(stdout, entries, addrsOf(ctx, cfgc)); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

func addrsOf(ctx context.Context, c *cfgConn) addrLister {
	cache := map[uint32][]netip.Addr{}
	ok := map[uint32]bool{}
	return func(nodeid uint32) ([]netip.Addr, bool) {
		if _, seen := ok[nodeid]; !seen {
			cache[nodeid], ok[nodeid] = c.nodeAddrs(ctx, nodeid)
		}
		return cache[nodeid], ok[nodeid]
	}
}

func (o options) print(w io.Writer, entries []cpg.Entry, addrs addrLister) error {
	switch {
	case o.json:
		return printJSON(w, entries, o, addrs)
	case o.namesOnly:
		printNames(w, entries, o)
	default:
		printFull(w, entries, o, addrs)
	}
	return nil
}

// initError: the iteration could not even start.
type initError struct{ err error }

func (e initError) Error() string { return e.err.Error() }

// list walks one iteration; on an error it returns what it got so far.
func list(ctx context.Context, cl *cpgclient.Client, typ cpg.IterType) ([]cpg.Entry, error) {
	it, err := cl.IterationInitialize(ctx, typ, nil)
	if err != nil {
		return nil, initError{err}
	}
	var out []cpg.Entry
	for {
		e, err := it.Next(ctx)
		if errors.Is(err, cserror.ErrNoSections) {
			break
		}
		if err != nil {
			return out, err
		}
		out = append(out, e)
	}
	_ = it.Finalize(ctx)
	return out, nil
}
