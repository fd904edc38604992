package main

import (
	"slices"
	"testing"

	"github.com/gorosync/gorosync/bench/suite"
)

func TestParseFlags(t *testing.T) {
	c, err := parseFlags([]string{"-scenarios", "throughput, latency", "-daemons", "gorosync", "-nodes", "3,5", "-sizes", "64,16K", "-tokens", "default,150", "-senders", "all"})
	if err != nil {
		t.Fatal(err)
	}
	o := c.Suite
	if !slices.Equal(o.Scenarios, []string{"throughput", "latency"}) || !slices.Equal(o.Daemons, []suite.Daemon{suite.Gorosync}) ||
		!slices.Equal(o.Nodes, []int{3, 5}) || !slices.Equal(o.Sizes, []int{64, 16384}) ||
		!slices.Equal(o.Failover, []suite.Totem{{}, {TokenMs: 150}}) || !slices.Equal(o.Senders, []suite.Senders{suite.AllSenders}) {
		t.Errorf("parsed %+v", o)
	}
	def, err := parseFlags(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(def.Suite.Failover, suite.DefaultOptions().Failover) || !slices.Equal(def.Suite.Sizes, suite.DefaultOptions().Sizes) {
		t.Errorf("defaults differ from suite.DefaultOptions: %+v", def.Suite)
	}
	for _, bad := range [][]string{
		{"-daemons", "heartbeat"}, {"-sizes", "12"}, {"-sizes", "x"}, {"-tokens", "10"}, {"-scenarios", "fly"},
		{"-senders", "some"}, {"-nodes", "1"}, {"-repeat", "0"}, {"extra"},
	} {
		if _, err := parseFlags(bad); err == nil {
			t.Errorf("parseFlags(%q): no error", bad)
		}
	}
}
