package main

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

type command int

const (
	cmdShowStatus command = iota
	cmdShowNodes
	cmdSetVotes
	cmdSetExpected
	cmdMonitor
	cmdUnregisterQdevice
	cmdHelp
	cmdVersion
)

type sortOrder int

const (
	sortAddr sortOrder = iota // as the quorum service lists them
	sortNodeID
	sortName
)

// options are the parsed command line.
type options struct {
	cmd       command
	hex       bool // -H
	ipAddrs   bool // -i
	allAddrs  bool // -a
	parsable  bool // -p
	json      bool // --json
	order     sortOrder
	votes     int64 // -v, -e
	nodeID    uint32
	nodeIDSet bool
}

// optString is corosync-quorumtool's getopt string.
const optString = "VHaslpmfe:v:hin:o:"

// usageError is a bad command line: its message goes to stderr, then
// the usage to stdout, exit 1 (getopt's errors); a valueError prints only
// its message, exit 1.
type usageError string
type valueError string

func (e usageError) Error() string { return string(e) }
func (e valueError) Error() string { return string(e) }

// parseArgs reads args as glibc's getopt does with optString: options
// may be grouped (-sp) and take their argument attached (-e3) or as the
// next word; words that are not options are skipped; "--" ends them.
// --json is our long option.
func parseArgs(prog string, args []string) (options, error) {
	var o options
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return o, nil
		case a == "--json":
			o.json = true
			continue
		case len(a) < 2 || a[0] != '-':
			continue
		}
		for j := 1; j < len(a); j++ {
			c := a[j]
			k := strings.IndexByte(optString, c)
			if k < 0 || c == ':' {
				return o, usageError(fmt.Sprintf("%s: invalid option -- '%c'", prog, c))
			}
			if k+1 < len(optString) && optString[k+1] == ':' {
				var arg string
				switch {
				case j+1 < len(a):
					arg = a[j+1:]
				case i+1 < len(args):
					i++
					arg = args[i]
				default:
					return o, usageError(fmt.Sprintf("%s: option requires an argument -- '%c'", prog, c))
				}
				if err := o.setArg(c, arg); err != nil {
					return o, err
				}
				break
			}
			o.setFlag(c)
			if o.cmd == cmdHelp || o.cmd == cmdVersion {
				return o, nil // getopt's caller exits at once
			}
		}
	}
	return o, nil
}

func (o *options) setFlag(c byte) {
	switch c {
	case 'f':
		o.cmd = cmdUnregisterQdevice
	case 's':
		o.cmd = cmdShowStatus
	case 'a':
		o.allAddrs = true
	case 'm':
		o.cmd = cmdMonitor
	case 'i':
		o.ipAddrs = true
	case 'H':
		o.hex = true
	case 'l':
		o.cmd = cmdShowNodes
	case 'p':
		o.parsable = true
	case 'V':
		o.cmd = cmdVersion
	case 'h':
		o.cmd = cmdHelp
	}
}

func (o *options) setArg(c byte, arg string) error {
	switch c {
	case 'e':
		v, ok := strtonum(arg, 1, math.MaxInt32)
		if !ok {
			return valueError("New expected votes value was not valid, try a positive number")
		}
		o.votes, o.cmd = v, cmdSetExpected
	case 'n':
		v, ok := strtonum(arg, 1, math.MaxUint32)
		if !ok {
			return valueError("The nodeid was not valid, try a positive number")
		}
		o.nodeID, o.nodeIDSet = uint32(v), true
	case 'v':
		v, ok := strtonum(arg, 0, math.MaxInt32)
		if !ok {
			return valueError("New votes value was not valid, try a positive number or zero")
		}
		o.votes, o.cmd = v, cmdSetVotes
	case 'o':
		switch arg {
		case "a":
			o.order = sortAddr
		case "i":
			o.order = sortNodeID
		case "n":
			o.order = sortName
		default:
			return valueError("Invalid ordering option. valid orders are a(address), i(node ID) or n(name)")
		}
	}
	return nil
}

// strtonum is corosync's util_strtonum: a whole base-10 number (strtoll's
// leading blanks and sign allowed) within [lo, hi].
func strtonum(s string, lo, hi int64) (int64, bool) {
	t := strings.TrimLeft(s, " \t\n\v\f\r")
	v, err := strconv.ParseInt(t, 10, 64)
	if err != nil {
		return 0, false
	}
	return v, v >= lo && v <= hi
}

func usage(w io.Writer, prog string) {
	fmt.Fprintf(w, "usage: \n%s <options>\n\n", prog)
	fmt.Fprint(w, `  options:

  -s             show quorum status
  -m             constantly monitor quorum status
  -l             list nodes
  -a             show all names or addresses for each node
  -p             when used with -s or -l, generates machine parsable output
  -v <votes>     change the number of votes for a node (*)
  -n <nodeid>    optional nodeid of node for -v
  -e <expected>  change expected votes for the cluster (*)
  -H             show nodeids in hexadecimal rather than decimal
  -i             show node IP addresses instead of the resolved name
  -o <a|n|i>     order by [a] IP address (default), [n] name, [i] nodeid
  -f             forcefully unregister a quorum device *DANGEROUS* (*)
  -h             show this help text
  -V             show version and exit
      --json     print -s, -l and -m as JSON

  (*) Starred items only work if votequorum is the quorum provider for corosync

`)
}
