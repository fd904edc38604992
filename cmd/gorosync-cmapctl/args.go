package main

import (
	"fmt"
	"io"
	"os"

	"github.com/gorosync/gorosync/services/cmap/cmapclient"
)

// action is what the tool was asked to do.
type action int

const (
	actPrint action = iota // print keys with prefixes (the default)
	actGet
	actSet
	actDelete
	actDeletePrefix
	actTrack
	actLoad
	actClearStats
)

// config is the parsed command line.
type config struct {
	action      action
	showBinary  bool
	quiet       bool
	json        bool
	trackPrefix bool // -T (and the default); -t tracks single keys
	m           cmapclient.Map
	file        string // -p
	clear       string // -C
	args        []string
}

// clearOpts are -C's arguments.
var clearOpts = map[string]bool{"knet": true, "totem": true, "ipc": true, "schedmiss": true, "all": true}

// parseArgs reads the options as corosync-cmapctl does, in order: -h
// prints the help and ends there; a bad option or argument ends with its
// message. done is set when the tool must exit with code.
func parseArgs(args []string, stdout io.Writer, stderr io.Writer) (cfg config, code int, done bool) {
	cfg.trackPrefix = true
	_, posix := os.LookupEnv("POSIXLY_CORRECT")
	g := &getopt{prog: args[0], args: args[1:], spec: "m:hqgsdDtTbp:C:", long: []string{"json"}, posix: posix, errw: stderr}
	for {
		c, arg := g.next()
		switch c {
		case optEnd:
			cfg.args = g.operands()
			if cfg.missingKey(stderr) {
				return cfg, 1, true
			}
			return cfg, 0, false
		case optBad:
			return cfg, 1, true
		case optLong: // only "json" is recognised
			cfg.json = true
		case 'h':
			printHelp(stdout)
			return cfg, 0, true
		case 'm':
			switch arg {
			case "icmap", "default":
				cfg.m = cmapclient.MapICMap
			case "stats":
				cfg.m = cmapclient.MapStats
			default:
				fmt.Fprintf(stderr, "invalid map name, must be 'default', 'icmap' or 'stats'\n")
				return cfg, 1, true
			}
		case 'C':
			if !clearOpts[arg] {
				fmt.Fprintf(stderr, "argument to -C should be 'knet', 'totem', 'ipc', 'schedmiss' or 'all'\n")
				return cfg, 1, true
			}
			cfg.action, cfg.clear, cfg.m = actClearStats, arg, cmapclient.MapStats
		default:
			cfg.flag(c, arg)
		}
	}
}

// flag applies the options that cannot fail.
func (cfg *config) flag(c int, arg string) {
	switch c {
	case 'b':
		cfg.showBinary = true
	case 'q':
		cfg.quiet = true
	case 'g':
		cfg.action = actGet
	case 's':
		cfg.action = actSet
	case 'd':
		cfg.action = actDelete
	case 'D':
		cfg.action = actDeletePrefix
	case 'p':
		cfg.action, cfg.file = actLoad, arg
	case 't':
		cfg.action, cfg.trackPrefix = actTrack, false
	case 'T':
		cfg.action = actTrack
	}
}

// missingKey reports (and says) that the action needs keys and has none.
func (cfg *config) missingKey(stderr io.Writer) bool {
	if len(cfg.args) > 0 || cfg.action == actLoad || cfg.action == actClearStats || cfg.action == actPrint {
		return false
	}
	fmt.Fprintf(stderr, "Expected key after options\n")
	return true
}
