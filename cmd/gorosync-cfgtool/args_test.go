package main

import (
	"bytes"
	"context"
	"testing"
)

func TestParseArgs(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want options
	}{
		{[]string{"-s"}, options{action: actLinkStatus}},
		{[]string{"-sb"}, options{action: actLinkStatus, brief: true}},
		{[]string{"-b", "-s", "-i", "1"}, options{action: actLinkStatus, brief: true, iface: "1"}},
		{[]string{"-si10.0.0.1"}, options{action: actLinkStatus, iface: "10.0.0.1"}},
		{[]string{"-k2"}, options{action: actKill, nodeid: 2}},
		{[]string{"-k", " +2"}, options{action: actKill, nodeid: 2}},
		{[]string{"--kill=7"}, options{action: actKill, nodeid: 7}},
		{[]string{"--kil", "7"}, options{action: actKill, nodeid: 7}},
		{[]string{"-a", "4294967295"}, options{action: actShowAddr, nodeid: 4294967295}},
		{[]string{"-H", "--force"}, options{action: actShutdown, force: true}},
		{[]string{"--shutdown", "--fo", "--json"}, options{action: actShutdown, force: true, json: true}},
		{[]string{"-s", "-n"}, options{action: actNodeStatus}}, // the last action wins
		{[]string{"-r", "-h", "operand", "-R"}, options{action: actReload}},
		{[]string{"-L", "--", "-s"}, options{action: actReopen}},
		{nil, options{}},
	} {
		got, err := parseArgs(tc.args)
		if err != nil || got != tc.want {
			t.Errorf("%q: %+v %v, want %+v", tc.args, got, err, tc.want)
		}
	}
	for _, args := range [][]string{
		{"-k"}, {"-k", "0"}, {"-k", "-1"}, {"-a", "4294967296"}, {"-a", "2x"}, {"-x"}, {"-:"},
		{"--bogus"}, {"--force=yes"}, {"--kill"}, {"--s"}, // --s: status and shutdown
	} {
		if o, err := parseArgs(args); err == nil {
			t.Errorf("%q: accepted as %+v", args, o)
		}
	}
}

// noDaemon runs in the test's private network namespace before the
// cluster starts: corosync-cfgtool's messages and exit codes without a
// daemon.
func noDaemon(t *testing.T) {
	for _, tc := range []struct {
		args []string
		rc   int
		out  string
		err  string
	}{
		{[]string{"-R"}, 1, "Reloading corosync.conf...\n", "Could not initialize corosync configuration API error CS_ERR_LIBRARY\n"},
		{[]string{"-k", "3"}, 1, "Killing node 3\n", "Could not initialize corosync configuration API error 2\n"},
		{[]string{"-s"}, 1, "", "Could not initialize corosync configuration API error 2\n"},
		{[]string{"-z"}, 1, "", "prog: invalid option -- 'z'\n"},
		{[]string{"-k", "0"}, 1, "", "The nodeid was not valid, try a positive number\n"},
	} {
		var out, errb bytes.Buffer
		rc := run(context.Background(), "prog", tc.args, &out, &errb)
		if rc != tc.rc || out.String() != tc.out || errb.String() != tc.err {
			t.Errorf("%q: rc %d out %q err %q", tc.args, rc, out.String(), errb.String())
		}
		if d := debian(t, tc.args...); d.rc != rc || d.out != out.String() {
			t.Errorf("%q: corosync-cfgtool %+v", tc.args, d)
		}
	}
}
