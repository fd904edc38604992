package main

import "testing"

func TestParseArgs(t *testing.T) {
	for _, c := range []struct {
		args []string
		want options
		err  string
	}{
		{nil, options{escape: true}, ""},
		{[]string{"-n", "-e"}, options{namesOnly: true}, ""},
		{[]string{"-ne"}, options{namesOnly: true}, ""},
		{[]string{"-d", ","}, options{escape: true, delimiter: ','}, ""},
		{[]string{"-d;x"}, options{escape: true, delimiter: ';'}, ""},
		{[]string{"-d", ""}, options{escape: true}, ""},
		{[]string{"-nd", "|"}, options{escape: true, namesOnly: true, delimiter: '|'}, ""},
		{[]string{"stray", "-n"}, options{escape: true, namesOnly: true}, ""},
		{[]string{"--", "-n"}, options{escape: true}, ""},
		{[]string{"--json", "-n"}, options{escape: true, namesOnly: true, json: true}, ""},
		{[]string{"-h", "-x"}, options{escape: true, help: true}, ""},
		{[]string{"-x", "-h"}, options{}, "prog: invalid option -- 'x'"},
		{[]string{"-n", "-d"}, options{}, "prog: option requires an argument -- 'd'"},
		{[]string{"-:"}, options{}, "prog: invalid option -- ':'"},
	} {
		got, err := parseArgs("prog", c.args)
		if c.err != "" {
			if err == nil || err.Error() != c.err {
				t.Errorf("%q: error %v, want %q", c.args, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q: %+v %v, want %+v", c.args, got, err, c.want)
		}
	}
}

func TestUsage(t *testing.T) {
	want := "corosync-cpgtool [-d delimiter] [-e] [-n] [-h]\n\nA tool for displaying cpg groups and members.\noptions:\n" +
		"\t-d\tDelimiter between fields.\n\t-e\tDon't escape unprintable characters in group name.\n" +
		"\t-n\tDisplay only all existing group names.\n\t-h\tDisplay this help.\n"
	if got := usage("/usr/sbin/corosync-cpgtool"); got != want {
		t.Errorf("usage:\n%q\nwant\n%q", got, want)
	}
}
