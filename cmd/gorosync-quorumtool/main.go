// Command gorosync-quorumtool is corosync-quorumtool for gorosync (and
// corosync 3.1.7): it shows the quorum and membership of the cluster and
// changes votes and expected votes.
//
//	gorosync-quorumtool [-s|-m|-l|-e N|-v N [-n ID]|-f] [-a] [-p] [-H] [-i] [-o a|n|i] [--json] [-h] [-V]
//
//	-s         show quorum status (the default); exit 0 quorate, 2 not
//	-m         show it again at every change of membership
//	-l         list the nodes
//	-a         every address of each node
//	-p         machine parsable output (the Qdevice column always)
//	-v VOTES   set the votes of this node (or -n ID)
//	-n ID      the node for -v
//	-e VOTES   set the cluster's expected votes
//	-H         node ids in hexadecimal
//	-i         addresses instead of names
//	-o a|n|i   order by address (as given, the default), name or node id
//	-f         forcefully unregister the quorum device
//	--json     print -s, -l and -m as JSON (one document per status)
//	-h, -V     usage, version
//
// Output, messages and exit codes are corosync-quorumtool 3.1.7's: 0 on
// success (quorate for -s), 1 on errors, 2 when -s finds the node not
// quorate. Where this tool differs: node names and addresses fall back on
// cmap's nodelist when the cfg service cannot be reached (3.1.7 gives up),
// and -o n keeps each node's votes on its own row (3.1.7 mixes them up).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[0], os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
