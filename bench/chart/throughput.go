package chart

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/gorosync/gorosync/bench/measure"
	"github.com/gorosync/gorosync/bench/suite"
)

// Throughput plots the median rate against message size (log-log), one
// line per daemon, cluster size and sender set: messages per second, or
// MB/s when mb is set.
func Throughput(r *suite.Results, mb bool) (*plot.Plot, error) {
	o := r.Options
	p := plot.New()
	p.Title.Text = "cpg throughput against message size (median of runs)"
	p.X.Label.Text = "message size (bytes)"
	p.Y.Label.Text = "ordered messages per second"
	if mb {
		p.Y.Label.Text = "MB/s (payload)"
	}
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker = sizeTicks(o.Sizes)
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	// The legend goes where the lines are not: top right for msgs/s
	// (falling with size), top left for MB/s (rising), above the data
	// thanks to the headroom logRange leaves.
	p.Legend.Top = true
	p.Legend.Left = mb
	series := 0
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, nodes := range o.Nodes {
		for _, snd := range o.Senders {
			for _, d := range o.Daemons {
				xys := throughputXYs(r, d, nodes, snd, mb)
				if len(xys) == 0 {
					continue
				}
				for _, xy := range xys {
					lo, hi = math.Min(lo, xy.Y), math.Max(hi, xy.Y)
				}
				l, s, err := plotter.NewLinePoints(xys)
				if err != nil {
					return nil, err
				}
				l.Color, s.Color = daemonColor(d), daemonColor(d)
				l.Dashes = dashes(series / len(o.Daemons))
				s.Shape = draw.CircleGlyph{}
				s.Radius = vg.Points(2.5)
				p.Add(l, s)
				p.Legend.Add(fmt.Sprintf("%s, %d nodes, %s", d.Label(), nodes, snd), l, s)
				series++
			}
		}
	}
	if series == 0 {
		return nil, nil
	}
	logRange(&p.Y, lo, hi, 60)
	logRange(&p.X, float64(slices.Min(o.Sizes)), float64(slices.Max(o.Sizes)), 1.5)
	return p, nil
}

func throughputXYs(r *suite.Results, d suite.Daemon, nodes int, snd suite.Senders, mb bool) plotter.XYs {
	var xys plotter.XYs
	for _, size := range r.Options.Sizes {
		var v []float64
		for _, x := range r.Throughput {
			if x.Daemon == d && x.Nodes == nodes && x.Senders == snd && x.Size == size {
				if mb {
					v = append(v, x.MBPerS())
				} else {
					v = append(v, x.MsgsPerS)
				}
			}
		}
		s := measure.Summarize(v)
		if s.N > 0 && s.Median > 0 {
			xys = append(xys, plotter.XY{X: float64(size), Y: s.Median})
		}
	}
	return xys
}

// sizeTicks labels the measured sizes.
func sizeTicks(sizes []int) plot.ConstantTicks {
	var t plot.ConstantTicks
	for _, s := range sizes {
		label := fmt.Sprintf("%d B", s)
		if s >= 1024 && s%1024 == 0 {
			label = fmt.Sprintf("%d KiB", s/1024)
		}
		t = append(t, plot.Tick{Value: float64(s), Label: label})
	}
	return t
}
