// Package chart draws the bench suite's plots as SVG with gonum/plot:
// throughput against message size, the latency distributions, and a
// failover timeline per token setting. Colours and dashes are fixed per
// daemon and series, so plots of different runs compare at a glance.
package chart

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"

	"github.com/gorosync/gorosync/bench/suite"
)

// Plot sizes.
const (
	width  = 7 * vg.Inch
	height = 4.5 * vg.Inch
)

// daemonColor: gorosync blue, corosync orange.
func daemonColor(d suite.Daemon) color.Color {
	if d == suite.Corosync {
		return color.RGBA{R: 0xd9, G: 0x5f, B: 0x02, A: 0xff}
	}
	return color.RGBA{R: 0x1b, G: 0x5e, B: 0xa8, A: 0xff}
}

// dashes per series index: solid, dashed, dotted, dash-dot.
func dashes(i int) []vg.Length {
	switch i % 4 {
	case 1:
		return []vg.Length{vg.Points(6), vg.Points(3)}
	case 2:
		return []vg.Length{vg.Points(1.5), vg.Points(2.5)}
	case 3:
		return []vg.Length{vg.Points(6), vg.Points(2), vg.Points(1.5), vg.Points(2)}
	}
	return nil
}

// All draws every plot r has data for into dir, in format "svg" or "png",
// and returns their paths by name ("throughput-msgs", "throughput-mbs",
// "latency-cdf", "failover-default", "failover-300ms", …).
func All(r *suite.Results, dir, format string) (map[string]string, error) {
	if format != "svg" && format != "png" {
		return nil, fmt.Errorf("chart: format %q: want svg or png", format)
	}
	out := map[string]string{}
	save := func(name string, p *plot.Plot) error {
		if p == nil {
			return nil
		}
		path := filepath.Join(dir, name+"."+format)
		if err := p.Save(width, height, path); err != nil {
			return fmt.Errorf("chart %s: %w", name, err)
		}
		out[name] = path
		return nil
	}
	if len(r.Throughput) > 0 {
		for _, mb := range []bool{false, true} {
			p, err := Throughput(r, mb)
			if err != nil {
				return nil, err
			}
			name := "throughput-msgs"
			if mb {
				name = "throughput-mbs"
			}
			if err := save(name, p); err != nil {
				return nil, err
			}
		}
	}
	if len(r.Latency) > 0 {
		p, err := LatencyCDF(r)
		if err != nil {
			return nil, err
		}
		if err := save("latency-cdf", p); err != nil {
			return nil, err
		}
	}
	for _, t := range r.Options.Failover {
		p, err := FailoverTimeline(r, t)
		if err != nil {
			return nil, err
		}
		if err := save("failover-"+strings.ReplaceAll(t.String(), " ", ""), p); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// logRange sets a log-scale axis's bounds around the data, with a margin
// (headroom above, for the legend), so that equal values (a one-point
// series) still make a valid range.
func logRange(a *plot.Axis, lo, hi, headroom float64) {
	if lo <= 0 || hi <= 0 || math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return
	}
	a.Min, a.Max = lo/1.5, hi*headroom
}
