package measure

import (
	"math"
	"os"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	// A command name with spaces and a ')' inside: fields are counted
	// after the last ')'. utime 250 + stime 50 ticks = 3 s.
	line := []byte("4242 (my (odd) prog) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 1000 0 0\n")
	got, err := parseStatCPU(line)
	if err != nil || got != 3*time.Second {
		t.Fatalf("parseStatCPU = %v, %v; want 3s", got, err)
	}
	for _, bad := range []string{"", "1 (x) S 1 2", "1 (x) S 1 2 3 4 5 6 7 8 9 10 ab 2"} {
		if _, err := parseStatCPU([]byte(bad)); err == nil {
			t.Errorf("parseStatCPU(%q): no error", bad)
		}
	}
}

func TestCPUTimeOfSelf(t *testing.T) {
	before, err := CPUTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// Burn ~100 ms of CPU, bounded in wall time.
	deadline := time.Now().Add(2 * time.Second)
	x := 0
	for {
		for i := range 1_000_000 {
			x += i
		}
		after, err := CPUTime(os.Getpid())
		if err != nil {
			t.Fatal(err)
		}
		if after-before >= 100*time.Millisecond {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("CPU time moved %v in 2 s of spinning (x=%d)", after-before, x)
		}
	}
}

func TestParseStatus(t *testing.T) {
	m, err := parseStatus([]byte("Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\nThreads:\t3\n"))
	if err != nil || m != (Memory{RSSKiB: 1024, PeakKiB: 2048}) {
		t.Fatalf("parseStatus = %+v, %v", m, err)
	}
	if _, err := parseStatus([]byte("VmRSS:\t1 kB\n")); err == nil {
		t.Error("VmHWM missing: no error")
	}
	if _, err := parseStatus([]byte("VmRSS:\t1 MB\nVmHWM:\t1 kB\n")); err == nil {
		t.Error("unit MB: no error")
	}
	self, err := ReadMemory(os.Getpid())
	if err != nil || self.RSSKiB <= 0 || self.PeakKiB < self.RSSKiB {
		t.Errorf("ReadMemory(self) = %+v, %v", self, err)
	}
}

func TestSummarize(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want Summary
	}{
		{nil, Summary{}},
		{[]float64{math.NaN()}, Summary{}},
		{[]float64{3, 1, 2}, Summary{N: 3, Median: 2, Lo: 1, Hi: 3}},
		{[]float64{4, 1, 3, 2}, Summary{N: 4, Median: 2.5, Lo: 1, Hi: 4}},
		{[]float64{5, math.NaN(), 7}, Summary{N: 2, Median: 6, Lo: 5, Hi: 7}},
	} {
		if got := Summarize(c.in); got != c.want {
			t.Errorf("Summarize(%v) = %+v, want %+v", c.in, got, c.want)
		}
	}
	if r := Ratio(Summary{N: 1, Median: 6}, Summary{N: 1, Median: 2}); r != 3 {
		t.Errorf("Ratio = %v, want 3", r)
	}
	if r := Ratio(Summary{N: 1, Median: 6}, Summary{}); !math.IsNaN(r) {
		t.Errorf("Ratio with a missing side = %v, want NaN", r)
	}
}

func TestLatencyOf(t *testing.T) {
	// 1 µs .. 1000 µs, one each: p50 500 µs, p99 990 µs, p99.9 999 µs,
	// within HdrHistogram's 0.1 %.
	var samples []int64
	for i := int64(1); i <= 1000; i++ {
		samples = append(samples, i*1000)
	}
	h, err := Histogram(samples)
	if err != nil {
		t.Fatal(err)
	}
	l := LatencyOf(h)
	near := func(got, want float64) bool { return math.Abs(got-want) <= want*0.002 }
	if l.Count != 1000 || !near(l.P50Us, 500) || !near(l.P99Us, 990) || !near(l.P999Us, 999) || !near(l.MaxUs, 1000) || !near(l.MeanUs, 500.5) {
		t.Errorf("LatencyOf = %+v", l)
	}
	if len(l.CDF) < 10 {
		t.Fatalf("CDF has %d points", len(l.CDF))
	}
	for i := 1; i < len(l.CDF); i++ {
		if l.CDF[i].Percentile < l.CDF[i-1].Percentile || l.CDF[i].Us < l.CDF[i-1].Us {
			t.Fatalf("CDF not monotonic at %d: %+v then %+v", i, l.CDF[i-1], l.CDF[i])
		}
	}
	// Out-of-range values are clamped, not lost.
	h, err = Histogram([]int64{0, 100 * 60_000_000_000})
	if err != nil || h.TotalCount() != 2 {
		t.Errorf("clamped histogram: count %d, %v", h.TotalCount(), err)
	}
}
