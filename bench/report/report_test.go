package report

import (
	"strings"
	"testing"
	"time"

	"github.com/gorosync/gorosync/bench/measure"
	"github.com/gorosync/gorosync/bench/suite"
)

func TestRewrite(t *testing.T) {
	doc := "# T\nhand\n<!-- gorosync-bench:suite -->\nold\n<!-- /gorosync-bench:suite -->\nhand 2\n<!-- gorosync-bench:micro -->\n<!-- /gorosync-bench:micro -->\n"
	got, err := Rewrite(doc, map[string]string{SectionSuite: "new table\n\n", SectionMicro: "m"})
	if err != nil {
		t.Fatal(err)
	}
	want := "# T\nhand\n<!-- gorosync-bench:suite -->\nnew table\n<!-- /gorosync-bench:suite -->\nhand 2\n<!-- gorosync-bench:micro -->\nm\n<!-- /gorosync-bench:micro -->\n"
	if got != want {
		t.Errorf("Rewrite =\n%s\nwant\n%s", got, want)
	}
	// Rewriting again gives the same file.
	if again, _ := Rewrite(got, map[string]string{SectionSuite: "new table", SectionMicro: "m"}); again != want {
		t.Errorf("second Rewrite changed the file:\n%s", again)
	}
	for name, bad := range map[string]string{
		"missing":   "no markers",
		"reversed":  "<!-- /gorosync-bench:suite -->\n<!-- gorosync-bench:suite -->",
		"duplicate": "<!-- gorosync-bench:suite --><!-- /gorosync-bench:suite --><!-- gorosync-bench:suite --><!-- /gorosync-bench:suite -->",
	} {
		if _, err := Rewrite(bad, map[string]string{SectionSuite: "x"}); err == nil {
			t.Errorf("%s markers: no error", name)
		}
	}
}

const benchOut = `goos: linux
goarch: amd64
pkg: github.com/gorosync/gorosync/dataplane/sim
cpu: AMD EPYC
BenchmarkOrderedDelivery/64B-2         	 4000000	       263.0 ns/op	 243.3 MB/s	   3800000 msgs/s	   4930000 virtual-msgs/s	       0 B/op	       0 allocs/op
BenchmarkOrderedDelivery/64B-2         	 4000000	       245.0 ns/op	 261.2 MB/s	   4081632 msgs/s	   4930000 virtual-msgs/s	       0 B/op	       0 allocs/op
BenchmarkOrderedDelivery/64B-2         	 4000000	       280.0 ns/op	 228.5 MB/s	   3571428 msgs/s	   4930000 virtual-msgs/s	       0 B/op	       0 allocs/op
PASS
ok  	github.com/gorosync/gorosync/dataplane/sim	12.3s
pkg: github.com/gorosync/gorosync/dataplane/wire
BenchmarkPeekHeader-2   	400000000	         2.7 ns/op
--- FAIL: BenchmarkBroken
`

func TestMicro(t *testing.T) {
	md, err := Micro([]byte(benchOut))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| dataplane/sim | OrderedDelivery/64B | 3 | 263 (245–280) | 243 MB/s, 3.80 M msgs/s, 4.93 M virtual-msgs/s | 0 (0 B/op) |",
		"| dataplane/wire | PeekHeader | 1 | 2.7 |  | – |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Micro output lacks %q:\n%s", want, md)
		}
	}
	if _, err := Micro([]byte("PASS\n")); err == nil {
		t.Error("no benchmark lines: no error")
	}
	if _, err := Micro([]byte("BenchmarkX-2 10 abc ns/op\n")); err == nil {
		t.Error("bad value: no error")
	}
}

// results builds a small synthetic run.
func results() *suite.Results {
	o := suite.DefaultOptions()
	o.Nodes, o.Sizes, o.Senders, o.Repeat = []int{3}, []int{64, 64 << 10}, []suite.Senders{suite.OneSender}, 3
	r := &suite.Results{Machine: "test box", Started: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC), Options: o}
	r.Finished = r.Started.Add(10 * time.Minute)
	tp := func(d suite.Daemon, size int, rates ...float64) {
		for i, m := range rates {
			r.Throughput = append(r.Throughput, suite.ThroughputPoint{Daemon: d, Nodes: 3, Senders: suite.OneSender, Size: size,
				Rep: i + 1, MsgsPerS: m, Messages: 1000, CPUUsPerMsg: 1e6 / m, GCCycles: -1, AllocBytes: -1})
		}
	}
	tp(suite.Gorosync, 64, 1.2e6, 1.1e6, 1.3e6) // median 1.2 M
	tp(suite.Corosync, 64, 1e5, 0.9e5, 1.1e5)   // median 100 k: 12×
	tp(suite.Gorosync, 64<<10, 1000, 1000, 1000)
	tp(suite.Corosync, 64<<10, 500, 500, 500) // 2×
	for _, d := range []suite.Daemon{suite.Gorosync, suite.Corosync} {
		ops := map[suite.Daemon]float64{suite.Gorosync: 2e5, suite.Corosync: 1e5}[d]
		r.IPC = append(r.IPC, suite.IPCRun{Daemon: d, Op: suite.IPCCmapGet, Rep: 1, OpsPerS: ops})
		p99 := map[suite.Daemon]float64{suite.Gorosync: 50, suite.Corosync: 300}[d]
		for _, m := range []suite.LatencyMode{suite.Paced, suite.PingPong} {
			visits := map[suite.Daemon]uint64{suite.Gorosync: 1100, suite.Corosync: 1000}[d]
			r.Latency = append(r.Latency, suite.LatencyRun{Daemon: d, Mode: m, Size: 64, Rep: 1, Latency: measure.Latency{P50Us: p99 / 2, P99Us: p99},
				Messages: 1000, Seconds: p99 / 1500, TokenVisits: visits})
		}
		for _, tok := range o.Failover {
			r.Failover = append(r.Failover, suite.FailoverTrial{Daemon: d, Totem: tok, Trial: 1, KillToConfchgMs: 1000, KillToRingMs: 999})
		}
	}
	r.GC = []suite.GCRun{{Daemon: suite.Gorosync, Nodes: 3, Size: 64, Seconds: 30, MsgsPerS: 1e5, Messages: 3e6, GCCycles: []int64{0, 1, 0}, AllocBytes: []int64{10, 20, 30}, HeapBytes: []int64{1, 2, 3}}}
	return r
}

func TestTargets(t *testing.T) {
	md := Targets(results())
	for _, want := range []string{
		"| cpg throughput, 64 B, one sender | ≥ 10× | 12.0× | **yes** |",
		"| cpg throughput, 64 KiB MB/s, one sender | ≥ 3× | 2.00× | **no** |",
		"| cpg p99 latency, paced | ≤ 0.20× | 0.17× | **yes** |",
		"| daemon CPU per message, one sender | ≤ 0.10× at every size | 64 B 0.08×, 64 KiB 0.50× | **no** |",
		"| failover kill → cpg confchg, token default | ≤ 1.00× (no slower) | 1.00× | **yes** |",
		"| cmap_get ops/s | ≥ 5× at every placement | unpinned 2.00× | **no** |",
		"| GC cycles during a 30 s throughput run, 64 B, one sender | 0 | 1 (all nodes; gorosync only) | **no** |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Targets lacks %q:\n%s", want, md)
		}
	}
	empty := Targets(&suite.Results{Options: suite.DefaultOptions()})
	if strings.Contains(empty, "**yes**") || strings.Contains(empty, "**no**") || !strings.Contains(empty, "not measured") {
		t.Errorf("Targets of an empty run:\n%s", empty)
	}
}

func TestSuite(t *testing.T) {
	var b strings.Builder
	Suite(&b, results(), Options{Plots: map[string]string{"latency-cdf": "bench/plots/latency-cdf.svg"}})
	md := b.String()
	for _, want := range []string{
		"| 64 B | 1.20 M (1.10 M–1.30 M) | 76.8 | 100 k (90 k–110 k) | 6.4 | 12.0× |",
		"| pingpong | p99 | 50 | 300 | 0.17× |",
		"| cmap_get | 200 k | 100 k | 2.00× |",
		"![latency distribution](bench/plots/latency-cdf.svg)",
		"| 64 B for 30 s, node 1 sending | 100 k | 0, 1, 0 |",
		"| pingpong | 1.10 | 1.00 | 30.3 | 200.0 | 0.15× |",
		"restarted 0.5 s after the survivors' confchgs, 3 times with the default token, 15 times with token 300 ms.",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("Suite lacks %q:\n%s", want, md)
		}
	}
	// Results from before the suite counted token visits: no such table.
	r := results()
	for i := range r.Latency {
		r.Latency[i].TokenVisits = 0
	}
	b.Reset()
	Suite(&b, r, Options{})
	if strings.Contains(b.String(), "visits/msg") {
		t.Errorf("a token visit table without token visits:\n%s", b.String())
	}
}
