package main

import (
	"fmt"
	"path/filepath"
	"strings"
)

// options are the parsed command line.
type options struct {
	delimiter byte // 0: the table layout
	escape    bool
	namesOnly bool
	json      bool
	help      bool
}

// optString is corosync-cpgtool's getopt string.
const optString = "hd:ne"

// parseArgs reads args as glibc's getopt does with optString: grouped
// options (-ne), an argument attached (-d,) or the next word; words that
// are not options are skipped; "--" ends them; -h stops at once (the
// tool prints its usage there). --json is our long option. The error is
// getopt's message (prog is argv[0] as given).
func parseArgs(prog string, args []string) (options, error) {
	o := options{escape: true}
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
				return o, fmt.Errorf("%s: invalid option -- '%c'", prog, c)
			}
			switch c {
			case 'h':
				o.help = true
				return o, nil
			case 'n':
				o.namesOnly = true
			case 'e':
				o.escape = false
			case 'd':
				arg := a[j+1:]
				if arg == "" {
					if i+1 >= len(args) {
						return o, fmt.Errorf("%s: option requires an argument -- '%c'", prog, c)
					}
					i++
					arg = args[i]
				}
				if arg != "" {
					o.delimiter = arg[0]
				}
				j = len(a)
			}
		}
	}
	return o, nil
}

// usage is corosync-cpgtool's -h text (with our --json).
func usage(prog string) string {
	return filepath.Base(prog) + " [-d delimiter] [-e] [-n] [-h]\n\n" +
		"A tool for displaying cpg groups and members.\n" +
		"options:\n" +
		"\t-d\tDelimiter between fields.\n" +
		"\t-e\tDon't escape unprintable characters in group name.\n" +
		"\t-n\tDisplay only all existing group names.\n" +
		"\t-h\tDisplay this help.\n"
}
