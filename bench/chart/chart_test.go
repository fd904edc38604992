package chart

import (
	"os"
	"strings"
	"testing"

	"github.com/gorosync/gorosync/bench/measure"
	"github.com/gorosync/gorosync/bench/suite"
)

func sample() *suite.Results {
	o := suite.DefaultOptions()
	o.Nodes, o.Sizes, o.Senders, o.Failover = []int{3}, []int{64, 1024}, []suite.Senders{suite.OneSender}, []suite.Totem{{TokenMs: 300}}
	r := &suite.Results{Options: o}
	for _, d := range o.Daemons {
		for _, size := range o.Sizes {
			r.Throughput = append(r.Throughput, suite.ThroughputPoint{Daemon: d, Nodes: 3, Senders: suite.OneSender, Size: size, MsgsPerS: 1e5 / float64(size)})
		}
		var samples []int64
		for i := int64(1); i <= 1000; i++ {
			samples = append(samples, i*1000)
		}
		h, _ := measure.Histogram(samples)
		r.Latency = append(r.Latency, suite.LatencyRun{Daemon: d, Mode: suite.Paced, Rate: 1000, Latency: measure.LatencyOf(h)})
		r.Failover = append(r.Failover, suite.FailoverTrial{Daemon: d, Totem: o.Failover[0], KillToConfchgMs: 600, Timeline: []suite.TimelineEvent{
			{AtMs: 0, What: "kill -9 node 3"}, {AtMs: 600, Node: 1, What: "ring 1 2"}, {AtMs: 600, Node: 1, What: "cpg confchg: node 3 left"},
			{AtMs: 1100, What: "restart node 3"}, {AtMs: 1200, Node: 1, What: "ring 1 2 3"}, {AtMs: 1250, Node: 1, What: "cpg confchg: node 3 joined"},
		}})
	}
	return r
}

func TestAll(t *testing.T) {
	for _, format := range []string{"svg", "png"} {
		dir := t.TempDir()
		files, err := All(sample(), dir, format)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"throughput-msgs", "throughput-mbs", "latency-cdf", "failover-300ms"} {
			path := files[name]
			st, err := os.Stat(path)
			if err != nil || st.Size() < 1000 || !strings.HasSuffix(path, "."+format) {
				t.Errorf("%s %s: %q %v", format, name, path, err)
			}
		}
	}
	if _, err := All(sample(), t.TempDir(), "pdf"); err == nil {
		t.Error("format pdf: no error")
	}
	// No data: no plots, no error.
	files, err := All(&suite.Results{Options: suite.DefaultOptions()}, t.TempDir(), "svg")
	if err != nil || len(files) != 0 {
		t.Errorf("empty results: %v, %v", files, err)
	}
}

func TestKindOf(t *testing.T) {
	for what, want := range map[string]string{
		"kill -9 node 3": "kill", "ring 1 2 3": "ring 1 2 3", "ring 1 2": "ring", "cpg confchg: node 3 left": "cpg confchg: node 3 left",
		"restart node 3": "restart", "cpg confchg: node 3 joined": "cpg confchg: node 3 joined", "other": "",
	} {
		if got := kindOf(what); got != want {
			t.Errorf("kindOf(%q) = %q, want %q", what, got, want)
		}
	}
}
