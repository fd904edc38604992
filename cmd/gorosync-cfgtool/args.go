package main

import (
	"fmt"
	"strconv"
	"strings"
)

// action is what the command line asks for (the last one given wins, as
// in corosync-cfgtool).
type action int

const (
	actNone action = iota
	actLinkStatus
	actNodeStatus
	actReload
	actReopen
	actShutdown
	actShowAddr
	actKill
)

// options are the parsed command line.
type options struct {
	action action
	brief  bool
	force  bool
	json   bool
	iface  string // -i
	nodeid uint32 // -k, -a
}

type longOpt struct {
	name   string
	short  byte // 0: long only
	hasArg bool
}

var longOpts = []longOpt{
	{"if", 'i', true}, {"status", 's', false}, {"nodes", 'n', false}, {"brief", 'b', false},
	{"reload", 'R', false}, {"reopen", 'L', false}, {"kill", 'k', true}, {"address", 'a', true},
	{"shutdown", 'H', false}, {"force", 0, false}, {"json", 0, false},
}

// shortOpts is corosync-cfgtool's getopt string: -r is accepted and does
// nothing there too.
const shortOpts = "i:snbrRLk:a:hH"

// usageError is a command-line error: its message goes to stderr (after
// the program's name, as getopt prints it, unless bare) and the tool
// exits 1.
type usageError struct {
	msg  string
	bare bool
}

func (e *usageError) Error() string { return e.msg }

func fail(format string, a ...any) error { return &usageError{msg: fmt.Sprintf(format, a...)} }

var errBadNodeID = &usageError{msg: "The nodeid was not valid, try a positive number", bare: true}

// parseArgs reads the options getopt_long-style: clustered short flags
// (-sb), -kN and -k N, --kill=N and --kill N, unambiguous abbreviations of
// long names, "--" ending the options; operands are ignored, as GNU getopt
// moves them aside and corosync-cfgtool never reads them.
func parseArgs(args []string) (options, error) {
	var o options
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return o, nil
		case strings.HasPrefix(a, "--"):
			lo, val, err := matchLong(a[2:])
			if err != nil {
				return o, err
			}
			if lo.hasArg && val == nil {
				if i+1 >= len(args) {
					return o, fail("option '--%s' requires an argument", lo.name)
				}
				i++
				val = &args[i]
			}
			v := ""
			if val != nil {
				v = *val
			}
			if err := o.set(lo, v); err != nil {
				return o, err
			}
		case len(a) > 1 && a[0] == '-':
			var err error
			if i, err = o.shortCluster(args, i); err != nil {
				return o, err
			}
		}
	}
	return o, nil
}

// matchLong finds the long option named (or abbreviated) by arg, "name" or
// "name=value"; val is nil when no "=" was given.
func matchLong(arg string) (longOpt, *string, error) {
	name, v, hasVal := strings.Cut(arg, "=")
	var match *longOpt
	for j := range longOpts {
		if longOpts[j].name == name {
			match = &longOpts[j]
			break
		}
		if strings.HasPrefix(longOpts[j].name, name) {
			if match != nil {
				return longOpt{}, nil, fail("option '--%s' is ambiguous", name)
			}
			match = &longOpts[j]
		}
	}
	if match == nil {
		return longOpt{}, nil, fail("unrecognized option '--%s'", name)
	}
	if !match.hasArg && hasVal {
		return longOpt{}, nil, fail("option '--%s' doesn't allow an argument", match.name)
	}
	if hasVal {
		return *match, &v, nil
	}
	return *match, nil, nil
}

// shortCluster reads the short flags of args[i], taking an option's
// argument from the rest of the word or the next one; it returns the index
// of the last word used.
func (o *options) shortCluster(args []string, i int) (int, error) {
	a := args[i]
	for j := 1; j < len(a); j++ {
		c := a[j]
		k := strings.IndexByte(shortOpts, c)
		if k < 0 || c == ':' {
			return i, fail("invalid option -- '%c'", c)
		}
		lo := longOpt{short: c, hasArg: k+1 < len(shortOpts) && shortOpts[k+1] == ':'}
		if !lo.hasArg {
			if err := o.set(lo, ""); err != nil {
				return i, err
			}
			continue
		}
		val := a[j+1:]
		if val == "" {
			if i+1 >= len(args) {
				return i, fail("option requires an argument -- '%c'", c)
			}
			i++
			val = args[i]
		}
		return i, o.set(lo, val)
	}
	return i, nil
}

func (o *options) set(lo longOpt, val string) error {
	switch lo.short {
	case 0:
		switch lo.name {
		case "force":
			o.force = true
		case "json":
			o.json = true
		}
	case 'i':
		o.iface = truncate(val, 127)
	case 's':
		o.action = actLinkStatus
	case 'n':
		o.action = actNodeStatus
	case 'b':
		o.brief = true
	case 'R':
		o.action = actReload
	case 'L':
		o.action = actReopen
	case 'H':
		o.action = actShutdown
	case 'k', 'a':
		// strtoll's syntax: leading blanks and a sign allowed.
		n, err := strconv.ParseInt(strings.TrimLeft(val, " \t\n\v\f\r"), 10, 64)
		if err != nil || n < 1 || n > 1<<32-1 {
			return errBadNodeID
		}
		o.nodeid = uint32(n)
		o.action = actKill
		if lo.short == 'a' {
			o.action = actShowAddr
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
