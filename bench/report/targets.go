package report

import (
	"fmt"
	"math"
	"strings"

	"github.com/gorosync/gorosync/bench/measure"
	"github.com/gorosync/gorosync/bench/suite"
)

// Targets writes the targets with the run's figures against them.
// A target the run did not measure says so.
func Targets(r *suite.Results) string {
	t := table{head: []string{"target (3 nodes, same run)", "wanted", "measured gorosync/corosync", "met"}}
	row := func(name, want, got string, ok, known bool) {
		met := "not measured"
		if known {
			met = map[bool]string{true: "**yes**", false: "**no**"}[ok]
		}
		t.add(name, want, got, met)
	}
	tp := func(size int, f func(suite.ThroughputPoint) float64) pair {
		return both(func(d suite.Daemon) measure.Summary { return tput(r, d, 3, suite.OneSender, size, f) })
	}
	x := tp(64, msgs)
	row("cpg throughput, 64 B, one sender", "≥ 10×", ratio(x.ratio()), x.ratio() >= 10, known(x.ratio()))
	x = tp(64<<10, mbs)
	row("cpg throughput, 64 KiB MB/s, one sender", "≥ 3×", ratio(x.ratio()), x.ratio() >= 3, known(x.ratio()))
	for _, m := range []suite.LatencyMode{suite.Paced, suite.PingPong} {
		x = both(func(d suite.Daemon) measure.Summary {
			return lat(r, d, m, func(l measure.Latency) float64 { return l.P99Us })
		})
		row(fmt.Sprintf("cpg p99 latency, %s", m), "≤ 0.20×", ratio(x.ratio()), x.ratio() <= 0.2, known(x.ratio()))
	}
	cpuRow(r, row)
	for _, tok := range r.Options.Failover {
		x = both(func(d suite.Daemon) measure.Summary {
			return fail(r, d, tok, func(f suite.FailoverTrial) float64 { return f.KillToConfchgMs })
		})
		row("failover kill → cpg confchg, token "+tok.String(), "≤ 1.00× (no slower)", ratio(x.ratio()), x.ratio() <= 1, known(x.ratio()))
	}
	cmapRow(r, row)
	gcRow(r, row)
	return t.String()
}

func known(r float64) bool { return !math.IsNaN(r) && !math.IsInf(r, 0) }

// cpuRow: CPU per message at every size with one sender; met only if
// every size is.
func cpuRow(r *suite.Results, row func(string, string, string, bool, bool)) {
	var cells []string
	ok, measured := true, false
	for _, size := range r.Options.Sizes {
		x := both(func(d suite.Daemon) measure.Summary { return tput(r, d, 3, suite.OneSender, size, cpu) })
		if !known(x.ratio()) {
			continue
		}
		measured = true
		ok = ok && x.ratio() <= 0.1
		cells = append(cells, fmt.Sprintf("%s %s", sizeName(size), ratio(x.ratio())))
	}
	row("daemon CPU per message, one sender", "≤ 0.10× at every size", strings.Join(cells, ", "), ok, measured)
}

// cmapRow: cmap_get at every placement measured; met only if every one is.
func cmapRow(r *suite.Results, row func(string, string, string, bool, bool)) {
	var cells []string
	ok, measured := true, false
	for _, op := range []string{suite.IPCCmapGet, suite.IPCCmapGetSameCPU, suite.IPCCmapGetCrossCPU} {
		x := both(func(d suite.Daemon) measure.Summary {
			return ipc(r, d, op, func(i suite.IPCRun) float64 { return i.OpsPerS })
		})
		if !known(x.ratio()) {
			continue
		}
		measured = true
		ok = ok && x.ratio() >= 5
		cells = append(cells, fmt.Sprintf("%s %s", map[string]string{suite.IPCCmapGet: "unpinned", suite.IPCCmapGetSameCPU: "one CPU", suite.IPCCmapGetCrossCPU: "two CPUs"}[op], ratio(x.ratio())))
	}
	row("cmap_get ops/s", "≥ 5× at every placement", strings.Join(cells, ", "), ok, measured)
}

func gcRow(r *suite.Results, row func(string, string, string, bool, bool)) {
	if len(r.GC) == 0 {
		row("GC cycles during a 30 s throughput run", "0", "–", false, false)
		return
	}
	for _, g := range r.GC {
		var total int64
		for _, c := range g.GCCycles {
			total += c
		}
		row(fmt.Sprintf("GC cycles during a %g s throughput run, %s, one sender", g.Seconds, sizeName(g.Size)), "0",
			fmt.Sprintf("%d (all nodes; gorosync only)", total), total == 0, true)
	}
}
