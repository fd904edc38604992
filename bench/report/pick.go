package report

import (
	"math"

	"github.com/gorosync/gorosync/bench/measure"
	"github.com/gorosync/gorosync/bench/suite"
)

// summarize collects f over the records that match keep.
func summarize[T any](xs []T, keep func(T) bool, f func(T) float64) measure.Summary {
	var v []float64
	for _, x := range xs {
		if keep(x) {
			v = append(v, f(x))
		}
	}
	return measure.Summarize(v)
}

// tput summarises f over the throughput points of one configuration.
func tput(r *suite.Results, d suite.Daemon, nodes int, snd suite.Senders, size int, f func(suite.ThroughputPoint) float64) measure.Summary {
	return summarize(r.Throughput, func(p suite.ThroughputPoint) bool {
		return p.Daemon == d && p.Nodes == nodes && p.Senders == snd && p.Size == size
	}, f)
}

func msgs(p suite.ThroughputPoint) float64 { return p.MsgsPerS }
func mbs(p suite.ThroughputPoint) float64  { return p.MBPerS() }
func cpu(p suite.ThroughputPoint) float64  { return p.CPUUsPerMsg }
func clientCPU(p suite.ThroughputPoint) float64 {
	if p.ClientCPUUsPerMsg == 0 {
		return math.NaN() // results from before the client reported its CPU
	}
	return p.ClientCPUUsPerMsg
}

// nanIfNone is the median, NaN when nothing was measured.
func nanIfNone(s measure.Summary) float64 {
	if s.N == 0 {
		return math.NaN()
	}
	return s.Median
}

// unchecked counts what the clients' checks flagged.
func unchecked(p suite.ThroughputPoint) float64 {
	return float64(p.Lost + p.Misordered + p.Corrupt)
}

func rings(p suite.ThroughputPoint) float64 { return float64(p.RingChanges) }
func peakMiB(p suite.ThroughputPoint) float64 {
	return float64(p.PeakKiB) / 1024
}
func gcCycles(p suite.ThroughputPoint) float64 {
	if p.GCCycles < 0 {
		return math.NaN()
	}
	return float64(p.GCCycles)
}
func allocPerMsg(p suite.ThroughputPoint) float64 {
	if p.AllocBytes < 0 || p.Messages == 0 {
		return math.NaN()
	}
	return float64(p.AllocBytes) / float64(p.Messages)
}

// lat summarises a latency percentile over the runs of one mode.
func lat(r *suite.Results, d suite.Daemon, m suite.LatencyMode, f func(measure.Latency) float64) measure.Summary {
	return summarize(r.Latency, func(x suite.LatencyRun) bool { return x.Daemon == d && x.Mode == m },
		func(x suite.LatencyRun) float64 { return f(x.Latency) })
}

// fail summarises a failover measure over the trials of one token setting.
func fail(r *suite.Results, d suite.Daemon, t suite.Totem, f func(suite.FailoverTrial) float64) measure.Summary {
	return summarize(r.Failover, func(x suite.FailoverTrial) bool { return x.Daemon == d && x.Totem == t }, f)
}

func ipc(r *suite.Results, d suite.Daemon, op string, f func(suite.IPCRun) float64) measure.Summary {
	return summarize(r.IPC, func(x suite.IPCRun) bool { return x.Daemon == d && x.Op == op }, f)
}

// pair is gorosync's and corosync's summaries and their ratio.
type pair struct {
	g, c measure.Summary
}

func (p pair) ratio() float64 { return measure.Ratio(p.g, p.c) }

func both(f func(suite.Daemon) measure.Summary) pair {
	return pair{g: f(suite.Gorosync), c: f(suite.Corosync)}
}
