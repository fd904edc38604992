package main

import (
	"strings"
	"testing"
)

func TestParseArgs(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want options
		err  string
	}{
		{nil, options{cmd: cmdShowStatus}, ""},
		{[]string{"-lpH"}, options{cmd: cmdShowNodes, parsable: true, hex: true}, ""},
		{[]string{"-e3"}, options{cmd: cmdSetExpected, votes: 3}, ""},
		{[]string{"-v", "0", "-n", " 7"}, options{cmd: cmdSetVotes, votes: 0, nodeID: 7, nodeIDSet: true}, ""},
		{[]string{"-s", "--json", "-o", "n", "-ai"}, options{cmd: cmdShowStatus, json: true, order: sortName, allAddrs: true, ipAddrs: true}, ""},
		{[]string{"word", "-m"}, options{cmd: cmdMonitor}, ""},
		{[]string{"--", "-m"}, options{cmd: cmdShowStatus}, ""},
		{[]string{"-hs"}, options{cmd: cmdHelp}, ""},
		{[]string{"-x"}, options{}, "prog: invalid option -- 'x'"},
		{[]string{"-s", "-e"}, options{}, "prog: option requires an argument -- 'e'"},
		{[]string{"-e", "2147483648"}, options{}, "New expected votes value was not valid, try a positive number"},
		{[]string{"-n", "4294967296"}, options{}, "The nodeid was not valid, try a positive number"},
		{[]string{"-v", "3x"}, options{}, "New votes value was not valid, try a positive number or zero"},
		{[]string{"-o", "ai"}, options{}, "Invalid ordering option. valid orders are a(address), i(node ID) or n(name)"},
	} {
		got, err := parseArgs("prog", tc.args)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%q: error %v, want %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%q: %+v %v, want %+v", tc.args, got, err, tc.want)
		}
	}
}

func TestUsageAndVersion(t *testing.T) {
	var out, errb strings.Builder
	if code := run(t.Context(), "prog", []string{"-h"}, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "usage: \nprog <options>\n") {
		t.Errorf("-h: %d %q", code, out.String())
	}
	out.Reset()
	if code := run(t.Context(), "prog", []string{"-V"}, &out, &errb); code != 0 || out.String() != "gorosync-quorumtool version: 3.1.7\n" {
		t.Errorf("-V: %d %q", code, out.String())
	}
	out.Reset()
	if code := run(t.Context(), "prog", []string{"-q"}, &out, &errb); code != 1 || errb.String() != "prog: invalid option -- 'q'\n" || !strings.HasPrefix(out.String(), "usage:") {
		t.Errorf("-q: %d %q %q", code, out.String(), errb.String())
	}
}
