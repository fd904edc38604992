package main

import (
	"math"
	"testing"

	"github.com/gorosync/gorosync/services/cmap"
)

// The expected results are glibc 2.36's sscanf, observed with a C probe
// (and compared with corosync-cmapctl itself in TestSideBySide).

func TestScanInt(t *testing.T) {
	for _, c := range []struct {
		in   string
		i    int64
		u    uint64
		okID bool
	}{
		{"5", 5, 5, true}, {" 5", 5, 5, true}, {"+5", 5, 5, true}, {"5abc", 5, 5, true}, {"\t5", 5, 5, true},
		{"000123", 123, 123, true}, {"0x10", 0, 0, true}, {"-0", 0, 0, true},
		{"-1", -1, math.MaxUint64, true},
		{"99999999999999999999", math.MaxInt64, math.MaxUint64, true},
		{"-99999999999999999999", math.MinInt64, math.MaxUint64, true},
		{"-9223372036854775809", math.MinInt64, 9223372036854775807, true},
		{"-9223372036854775808", math.MinInt64, 1 << 63, true},
		{"18446744073709551616", math.MaxInt64, math.MaxUint64, true},
		{"-18446744073709551615", math.MinInt64, 1, true},
		{"abc", 0, 0, false}, {"", 0, 0, false}, {" ", 0, 0, false}, {"-", 0, 0, false}, {"+", 0, 0, false},
		{"  -  5", 0, 0, false}, {".5", 0, 0, false}, {"inf", 0, 0, false},
	} {
		i, ok := scanInt64(c.in)
		if ok != c.okID || ok && i != c.i {
			t.Errorf("%%ld %q: %d %v, want %d %v", c.in, i, ok, c.i, c.okID)
		}
		u, ok := scanUint64(c.in)
		if ok != c.okID || ok && u != c.u {
			t.Errorf("%%lu %q: %d %v, want %d %v", c.in, u, ok, c.u, c.okID)
		}
	}
}

func TestScanFloat(t *testing.T) {
	nan, negNaN := "nan", "-nan"
	for _, c := range []struct {
		in  string
		f32 string // cFloat of the %f result, "" when sscanf fails
		f64 string
	}{
		{"5", "5.000000", "5.000000"}, {"1e", "1.000000", "1.000000"}, {"1e+", "1.000000", "1.000000"},
		{"1.5e3x", "1500.000000", "1500.000000"}, {"0x1p3", "8.000000", "8.000000"}, {"0x", "", ""},
		{"0x1.8", "1.500000", "1.500000"}, {"inf", "inf", "inf"}, {"-INFINITY", "-inf", "-inf"},
		{"nan", nan, nan}, {"-nan", negNaN, negNaN}, {"nan(123)", nan, nan}, {"nanx", nan, nan}, {"NAN", nan, nan},
		{"in", "", ""}, {".", "", ""}, {"-", "", ""}, {"1e40", "inf", "10000000000000000303786028427003666890752.000000"},
		{"1e-50", "0.000000", "0.000000"}, {"0x10", "16.000000", "16.000000"}, {"1.", "1.000000", "1.000000"},
		{".5", "0.500000", "0.500000"}, {"-0", "-0.000000", "-0.000000"}, {"0xg", "", ""}, {"infin", "", ""},
		{"infi", "", ""}, {"infinityx", "inf", "inf"}, {"infx", "inf", "inf"}, {"0x.8p1", "1.000000", "1.000000"},
		{"99999999999999999999", "100000002004087734272.000000", "100000000000000000000.000000"},
		{"1e5e", "100000.000000", "100000.000000"}, {"1..2", "1.000000", "1.000000"}, {"00x1p1", "0.000000", "0.000000"},
		{"0x1p", "1.000000", "1.000000"}, {"0X1P3", "8.000000", "8.000000"}, {"-0x", "", ""}, {"e5", "", ""},
		{"0x1e", "30.000000", "30.000000"}, {"0x1ep", "30.000000", "30.000000"}, {"1,5", "1.000000", "1.000000"},
		{"0x1.fffffffffffffffffp1023", "inf", "inf"}, {"", "", ""}, {"  -  5", "", ""},
	} {
		for _, bits := range []int{32, 64} {
			want := c.f64
			if bits == 32 {
				want = c.f32
			}
			f, ok := scanFloat(c.in, bits)
			got := ""
			if ok {
				v := floatValue(map[int]cmap.ValueType{32: cmap.Float, 64: cmap.Double}[bits], f)
				got = valueText(v)
			}
			if got != want {
				t.Errorf("%%f (%d bits) %q: %q, want %q", bits, c.in, got, want)
			}
		}
	}
}
