package chart

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/gorosync/gorosync/bench/suite"
)

// eventKinds orders the timeline's glyphs.
var eventKinds = []struct {
	prefix string
	label  string
	shape  draw.GlyphDrawer
}{
	{"kill", "kill -9 node 3", draw.CrossGlyph{}},
	{"ring 1 2 3", "ring with node 3 again", draw.PyramidGlyph{}},
	{"ring", "ring without node 3", draw.RingGlyph{}},
	{"cpg confchg: node 3 left", "cpg confchg: node 3 left", draw.TriangleGlyph{}},
	{"restart", "restart node 3", draw.BoxGlyph{}},
	{"cpg confchg: node 3 joined", "cpg confchg: node 3 joined", draw.CircleGlyph{}},
}

// FailoverTimeline draws, for token setting t, one lane per daemon: the
// trial with the median kill → cpg confchg, its events on a time axis in
// ms after the kill.
func FailoverTimeline(r *suite.Results, t suite.Totem) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("failover timeline, token %s (median trial)", t)
	p.X.Label.Text = "ms after kill -9 of node 3"
	p.Legend.Left = true // bottom left: before the first event, below the lanes
	var ticks plot.ConstantTicks
	lanes := 0
	for _, d := range r.Options.Daemons {
		ft, ok := medianTrial(r, d, t)
		if !ok {
			continue
		}
		lanes++
		y := float64(lanes)
		ticks = append(ticks, plot.Tick{Value: y, Label: d.Label()})
		if err := addLane(p, ft, y, daemonColor(d), lanes == 1); err != nil {
			return nil, err
		}
	}
	if lanes == 0 {
		return nil, nil
	}
	p.Y.Tick.Marker = ticks
	p.Y.Min, p.Y.Max = -1, float64(lanes)+0.7
	return p, nil
}

func addLane(p *plot.Plot, ft suite.FailoverTrial, y float64, c interface {
	RGBA() (r, g, b, a uint32)
}, legend bool) error {
	end := 0.0
	for _, e := range ft.Timeline {
		end = math.Max(end, e.AtMs)
	}
	base, err := plotter.NewLine(plotter.XYs{{X: 0, Y: y}, {X: end, Y: y}})
	if err != nil {
		return err
	}
	base.Color = c
	base.Width = 0.5
	p.Add(base)
	for _, k := range eventKinds {
		var xys plotter.XYs
		for _, e := range ft.Timeline {
			if kindOf(e.What) == k.prefix {
				// Nodes 1 and 2 see an event apart by a few µs: nudge
				// them off the lane so both show.
				xys = append(xys, plotter.XY{X: e.AtMs, Y: y + 0.08*float64(e.Node)})
			}
		}
		if len(xys) == 0 {
			continue
		}
		s, err := plotter.NewScatter(xys)
		if err != nil {
			return err
		}
		s.Shape, s.Color, s.Radius = k.shape, c, vg.Points(4)
		p.Add(s)
		if legend {
			leg, _ := plotter.NewScatter(plotter.XYs{{}})
			leg.Shape, leg.Radius = k.shape, vg.Points(4)
			p.Legend.Add(k.label, leg)
		}
	}
	return nil
}

// kindOf maps an event's text to its eventKinds prefix.
func kindOf(what string) string {
	for _, k := range eventKinds {
		if strings.HasPrefix(what, k.prefix) {
			return k.prefix
		}
	}
	return ""
}

func medianTrial(r *suite.Results, d suite.Daemon, t suite.Totem) (suite.FailoverTrial, bool) {
	var ts []suite.FailoverTrial
	for _, x := range r.Failover {
		if x.Daemon == d && x.Totem == t {
			ts = append(ts, x)
		}
	}
	if len(ts) == 0 {
		return suite.FailoverTrial{}, false
	}
	slices.SortFunc(ts, func(a, b suite.FailoverTrial) int {
		return int(math.Copysign(1, a.KillToConfchgMs-b.KillToConfchgMs))
	})
	return ts[len(ts)/2], true
}
