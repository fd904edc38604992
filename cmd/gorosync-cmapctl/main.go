// Command gorosync-cmapctl is corosync-cmapctl for gorosync (and
// corosync 3.1.7): the same flags, the same output, the same exit
// statuses, over the Go cmap client (services/cmap/cmapclient).
//
//	gorosync-cmapctl [-b] [-DdghsqTCt] [-p filename] [-m map] [params...]
//
// With no action it prints the keys with the given prefixes (all keys
// without one) as "key (type) = value"; -g prints keys, -s key type value
// sets one, -d and -D delete keys and prefixes, -p loads a file of
// settings, -t and -T track keys and prefixes until "q" or the end of
// input, -m selects the map (icmap or stats), -C clears statistics, -b
// shows binary values, -q prints values alone. `-h` prints
// corosync-cmapctl's help.
//
// Our extension: --json prints the keys of a listing or of -g as a JSON
// array of {"key", "type", "value"} objects (integers and finite floats
// as numbers, NaN and infinities as "nan", "inf", "-inf", strings as
// strings, binary values in base64, whatever -b says), and the changes of
// -t/-T as one such object per line with an "event" member.
package main

import (
	"io"
	"os"

	"github.com/gorosync/gorosync/services/cmap/cmapclient"
)

func main() {
	os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr))
}

// run is the whole tool: args as os.Args, the exit status returned.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runOn(cmapclient.ServiceName, args, stdin, stdout, stderr)
}

// runOn is run against the cmap service of that socket name (tests serve
// private names).
func runOn(service string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		args = []string{"gorosync-cmapctl"}
	}
	t := newTool(stdout, stderr)
	t.service = service
	defer t.out.Flush() // C's stdout is flushed at exit, whatever the path
	cfg, code, done := parseArgs(args, t.out, stderr)
	if done {
		return code
	}
	t.cfg = cfg
	return t.do(stdin)
}
