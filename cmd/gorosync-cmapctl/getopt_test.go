package main

import (
	"fmt"
	"strings"
	"testing"
)

// parse runs getopt over args and returns what it saw, as text.
func parse(args []string, posix bool) string {
	var errb strings.Builder
	g := &getopt{prog: "prog", args: args, spec: "m:hqgsdDtTbp:C:", long: []string{"json"}, posix: posix, errw: &errb}
	var out []string
	for {
		c, arg := g.next()
		switch c {
		case optEnd:
			return fmt.Sprintf("%s | %q%s", strings.Join(out, " "), g.operands(), errb.String())
		case optBad:
			return strings.Join(out, " ") + " ? " + errb.String()
		case optLong:
			out = append(out, "--"+arg)
		default:
			out = append(out, string(rune(c))+arg)
		}
	}
}

// TestGetopt: glibc getopt's behaviour for corosync-cmapctl's options.
func TestGetopt(t *testing.T) {
	for _, c := range []struct {
		args  string
		posix bool
		want  string
	}{
		{"-g a b", false, `g | ["a" "b"]`},
		{"a -g b -b", false, `g b | ["a" "b"]`},                           // permuted
		{"a -g b", true, ` | ["a" "-g" "b"]`},                             // POSIXLY_CORRECT stops at "a"
		{"-bqg key", false, `b q g | ["key"]`},                            // a cluster
		{"-mstats -m icmap", false, `mstats micmap | []`},                 // attached and separate
		{"-bm stats x", false, `b mstats | ["x"]`},                        // an argument after a cluster
		{"-m -g", false, `m-g | []`},                                      // the next word, whatever it is
		{"-s -- key i8 -5", false, `s | ["key" "i8" "-5"]`},               // "--" ends the options
		{"-s key i8 -5", false, `s ? prog: invalid option -- '5'` + "\n"}, // a negative value needs "--"
		{"- -g", false, `g | ["-"]`},                                      // "-" is an operand
		{"--json -g k", false, `--json g | ["k"]`},                        // our long option
		{"--jso", false, ` ? prog: invalid option -- '-'` + "\n"},         // glibc reads "--jso" as letters
		{"-x", false, ` ? prog: invalid option -- 'x'` + "\n"},
		{"-b -m", false, `b ? prog: option requires an argument -- 'm'` + "\n"},
		{"-:", false, ` ? prog: invalid option -- ':'` + "\n"},
	} {
		if got := parse(strings.Fields(c.args), c.posix); got != c.want {
			t.Errorf("%q (posix %v):\n got %s\nwant %s", c.args, c.posix, got, c.want)
		}
	}
}
