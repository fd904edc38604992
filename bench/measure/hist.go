package measure

import (
	"fmt"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Latency bounds of the histograms: 1 µs to 60 s, 3 significant digits
// (values are recorded in ns, so resolution is 0.1 % of the value).
const (
	histLowestNs  = 1_000
	histHighestNs = 60_000_000_000
	histDigits    = 3
)

// Latency summarises a latency distribution.
type Latency struct {
	Count                int64
	MeanUs, P50Us, P99Us float64
	P999Us, MaxUs        float64
	CDF                  []CDFPoint // for plots: the distribution at HdrHistogram's percentile ticks
}

// CDFPoint is one point of a cumulative distribution: Percentile of the
// samples were at most Us.
type CDFPoint struct {
	Percentile float64 `json:"p"`
	Us         float64 `json:"us"`
}

// Histogram builds an HdrHistogram of samples in ns; values outside 1 µs
// to 60 s are clamped to the bounds (a sub-µs latency cannot happen over
// IPC, so clamping only ever touches impossible values).
func Histogram(samplesNs []int64) (*hdrhistogram.Histogram, error) {
	h := hdrhistogram.New(histLowestNs, histHighestNs, histDigits)
	for _, v := range samplesNs {
		v = min(max(v, histLowestNs), histHighestNs)
		if err := h.RecordValue(v); err != nil {
			return nil, fmt.Errorf("measure: %w", err)
		}
	}
	return h, nil
}

// LatencyOf reads the percentiles and the CDF off h.
func LatencyOf(h *hdrhistogram.Histogram) Latency {
	us := func(ns int64) float64 { return float64(ns) / 1e3 }
	l := Latency{
		Count:  h.TotalCount(),
		MeanUs: h.Mean() / 1e3,
		P50Us:  us(h.ValueAtQuantile(50)),
		P99Us:  us(h.ValueAtQuantile(99)),
		P999Us: us(h.ValueAtQuantile(99.9)),
		MaxUs:  us(h.Max()),
	}
	// 5 ticks per half distance: ~5 points per "nine" of the CDF.
	for _, b := range h.CumulativeDistributionWithTicks(5) {
		l.CDF = append(l.CDF, CDFPoint{Percentile: b.Quantile, Us: us(b.ValueAt)})
	}
	return l
}
