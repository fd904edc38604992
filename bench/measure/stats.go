package measure

import (
	"math"
	"slices"
)

// Summary is the median and range of repeated measurements.
type Summary struct {
	N              int
	Median, Lo, Hi float64
}

// Summarize returns the median (the mean of the middle two for an even
// count) and the range of xs; NaNs are left out. N is 0 when nothing is
// left.
func Summarize(xs []float64) Summary {
	s := make([]float64, 0, len(xs))
	for _, x := range xs {
		if !math.IsNaN(x) {
			s = append(s, x)
		}
	}
	if len(s) == 0 {
		return Summary{}
	}
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return Summary{N: n, Median: med, Lo: s[0], Hi: s[n-1]}
}

// Ratio is a/b, NaN when either is missing or b is 0.
func Ratio(a, b Summary) float64 {
	if a.N == 0 || b.N == 0 || b.Median == 0 {
		return math.NaN()
	}
	return a.Median / b.Median
}
