package main

import (
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	"github.com/gorosync/gorosync/services/cpg"
)

func TestGroupName(t *testing.T) {
	for _, c := range []struct{ in, esc string }{
		{"plain", "plain"},
		{"cib\x00", `cib\x00`},
		{"a\\b", `a\\b`},
		{"tab\there", `tab\x09here`},
		{"hi\x7f", `hi\x7F`},
		{"\x80\xff", `\xFFFFFF80\xFFFFFFFF`},
	} {
		if got := groupName([]byte(c.in), true); got != c.esc {
			t.Errorf("%q escaped: %q, want %q", c.in, got, c.esc)
		}
		if got := groupName([]byte(c.in), false); got != c.in {
			t.Errorf("%q unescaped: %q", c.in, got)
		}
	}
}

var testEntries = []cpg.Entry{{Group: "b", NodeID: 2, PID: 21}, {Group: "a", NodeID: 1, PID: 11}, {Group: "a", NodeID: 3, PID: 31}}

func testAddrs(nodeid uint32) ([]netip.Addr, bool) {
	switch nodeid {
	case 1:
		return []netip.Addr{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.1.0.1")}, true
	case 2:
		return []netip.Addr{netip.IPv4Unspecified(), netip.MustParseAddr("10.1.0.2")}, true
	}
	return nil, false
}

func TestPrintFull(t *testing.T) {
	var b strings.Builder
	printFull(&b, testEntries, options{escape: true}, testAddrs)
	want := "Group Name\t       PID\t   Node ID\n" +
		"b\n\t\t        21\t         2 ( 10.1.0.2)\n" +
		"a\n\t\t        11\t         1 (10.0.0.1 10.1.0.1)\n\t\t        31\t         3 ()\n"
	if b.String() != want {
		t.Errorf("got\n%q\nwant\n%q", b.String(), want)
	}
	b.Reset()
	printFull(&b, testEntries, options{escape: true, delimiter: ':'}, testAddrs)
	if want := "GRP_NAME:PID:NODEID\nb:21:2\na:11:1\na:31:3\n"; b.String() != want {
		t.Errorf("got %q", b.String())
	}
	b.Reset() // an empty first name prints no name line (corosync's zeroed "previous" name)
	printFull(&b, []cpg.Entry{{Group: "", NodeID: 1, PID: 5}}, options{escape: true}, testAddrs)
	if want := "Group Name\t       PID\t   Node ID\n\t\t         5\t         1 (10.0.0.1 10.1.0.1)\n"; b.String() != want {
		t.Errorf("got %q", b.String())
	}
}

func TestPrintNames(t *testing.T) {
	names := []cpg.Entry{{Group: "b"}, {Group: "a\x01"}}
	var b strings.Builder
	printNames(&b, names, options{escape: true})
	if b.String() != "b\na\\x01\n" {
		t.Errorf("got %q", b.String())
	}
	b.Reset()
	printNames(&b, names, options{delimiter: ','})
	if b.String() != "b,a\x01,\n" {
		t.Errorf("got %q", b.String())
	}
	b.Reset()
	printNames(&b, nil, options{delimiter: ','})
	if b.String() != "\n" {
		t.Errorf("no groups with a delimiter: %q", b.String())
	}
}

func TestPrintJSON(t *testing.T) {
	var b strings.Builder
	if err := printJSON(&b, testEntries, options{escape: true}, testAddrs); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Groups []jsonGroup `json:"groups"`
	}
	if err := json.Unmarshal([]byte(b.String()), &got); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if len(got.Groups) != 2 || got.Groups[1].Name != "a" || len(got.Groups[1].Members) != 2 ||
		got.Groups[0].Members[0].Addrs[0] != "10.1.0.2" || len(got.Groups[1].Members[1].Addrs) != 0 {
		t.Errorf("got %+v", got)
	}
	b.Reset()
	printJSON(&b, nil, options{namesOnly: true}, testAddrs)
	if strings.TrimSpace(b.String()) != `{
  "groups": []
}` {
		t.Errorf("empty: %s", b.String())
	}
}
