// Command gorosync-cfgtool is corosync-cfgtool for gorosync (and corosync
// 3.1.7): it shows link and node status and drives the cfg service.
//
//	gorosync-cfgtool [[-i <interface ip>] [-b] -s] [-n] [-R] [-L] [-k nodeid] [-a nodeid] [-h] [-H [--force]] [--json]
//
//	-s, --status      the status of each link, node by node
//	-b, --brief       with -s: one character per node (n = this node,
//	                  '0' + enabled|connected<<1); exit 1 if a node's link
//	                  is not enabled and connected
//	-i, --if=LINK     with -s: only the link with this number or address
//	-n, --nodes       the reachable nodes and their links
//	-a, --address=ID  the addresses of node ID
//	-R, --reload      every node re-reads its corosync.conf
//	-L, --reopen      reopen the log files
//	-k, --kill=ID     stop node ID at once
//	-H, --shutdown    shut this node down cleanly, if the trackers agree
//	                  (--force: regardless of their answers)
//	--json            print the result as one JSON document instead
//	-h                usage
//
// Output, messages and exit codes are corosync-cfgtool 3.1.7's (Debian's
// build): 0 on success; 1 when the service cannot be reached, for bad
// options, -k, -a and -s/-n failures; the cs_error_t value for -R and -L
// failures; -H exits 0 even when the shutdown is refused. Where this tool
// differs, it follows the manual page: -i filters the links of -s (3.1.7
// ignores it) and -b exits 1 when a link is faulty (3.1.7 always exits 0).
package main

import (
	"context"
	"os"
)

func main() { os.Exit(run(context.Background(), os.Args[0], os.Args[1:], os.Stdout, os.Stderr)) }
