// Command gorosync-cpgtool is corosync-cpgtool for gorosync (and corosync
// 3.1.7): it lists the closed process groups and their processes.
//
//	gorosync-cpgtool [-d delimiter] [-e] [-n] [--json] [-h]
//
//	-d C     fields separated by C (the first character of the argument)
//	-e       print group names as they are (no escaping)
//	-n       group names only
//	--json   the same listing as JSON
//	-h       usage
//
// Output, messages and exit codes are corosync-cpgtool 3.1.7's: groups
// and processes in the cpg service's iteration order, a process's node
// addresses from the cfg service, unprintable bytes of a name escaped as
// \xNN (bytes above 0x7f as corosync prints them, \xFFFFFFNN) and '\'
// as '\\'; exit 0, or 1 on errors.
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
