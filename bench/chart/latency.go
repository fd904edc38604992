package chart

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"

	"github.com/gorosync/gorosync/bench/suite"
)

// LatencyCDF plots latency against percentile in HdrHistogram's style:
// the x axis is log10(1/(1−p)), so 90 %, 99 %, 99.9 % are evenly spaced
// and the tail is visible. One line per daemon and mode, from the run
// whose p99 is the median of that daemon's and mode's runs.
func LatencyCDF(r *suite.Results) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("cpg latency, %d B, send → own agreed delivery (3 nodes)", r.Options.LatSize)
	p.X.Label.Text = "percentile"
	p.Y.Label.Text = "latency (µs)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.X.Tick.Marker = plot.ConstantTicks{{Value: 0, Label: "0%"}, {Value: 1, Label: "90%"}, {Value: 2, Label: "99%"}, {Value: 3, Label: "99.9%"}, {Value: 4, Label: "99.99%"}}
	p.Legend.Top = true
	p.Legend.Left = true
	n := 0
	lo, hi := math.Inf(1), math.Inf(-1)
	for mi, m := range []suite.LatencyMode{suite.Paced, suite.PingPong} {
		for _, d := range r.Options.Daemons {
			run, ok := medianRun(r, d, m)
			if !ok {
				continue
			}
			xys := cdfXYs(run)
			if len(xys) < 2 {
				continue
			}
			for _, xy := range xys {
				lo, hi = math.Min(lo, xy.Y), math.Max(hi, xy.Y)
			}
			l, err := plotter.NewLine(xys)
			if err != nil {
				return nil, err
			}
			l.Color = daemonColor(d)
			l.Dashes = dashes(mi)
			l.Width = 1.5
			p.Add(l)
			label := string(m)
			if m == suite.Paced {
				label = fmt.Sprintf("paced %d/s", run.Rate)
			}
			p.Legend.Add(fmt.Sprintf("%s, %s", d.Label(), label), l)
			n++
		}
	}
	if n == 0 {
		return nil, nil
	}
	logRange(&p.Y, lo, hi, 4)
	return p, nil
}

// medianRun picks the run with the median p99.
func medianRun(r *suite.Results, d suite.Daemon, m suite.LatencyMode) (suite.LatencyRun, bool) {
	var runs []suite.LatencyRun
	for _, x := range r.Latency {
		if x.Daemon == d && x.Mode == m && len(x.Latency.CDF) > 0 {
			runs = append(runs, x)
		}
	}
	if len(runs) == 0 {
		return suite.LatencyRun{}, false
	}
	slices.SortFunc(runs, func(a, b suite.LatencyRun) int {
		return int(math.Copysign(1, a.Latency.P99Us-b.Latency.P99Us))
	})
	return runs[len(runs)/2], true
}

// cdfXYs maps the CDF's percentiles to log10(1/(1−p)); the 100 % point,
// at infinity, is drawn at the last sample's position, log10(count).
func cdfXYs(run suite.LatencyRun) plotter.XYs {
	var xys plotter.XYs
	limit := math.Log10(float64(max(run.Latency.Count, 2)))
	for _, c := range run.Latency.CDF {
		q := c.Percentile / 100
		x := limit
		if q < 1 {
			x = min(-math.Log10(1-q), limit)
		}
		if c.Us > 0 {
			xys = append(xys, plotter.XY{X: x, Y: c.Us})
		}
	}
	return xys
}
