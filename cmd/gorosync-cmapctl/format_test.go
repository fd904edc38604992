package main

import (
	"math"
	"testing"

	"github.com/gorosync/gorosync/services/cmap"
)

func TestEscapeBinary(t *testing.T) {
	got := escapeBinary([]byte{0, 0x1f, ' ', 'a', '~', 0x7f, '\\', 0x80, 0xff, '"'})
	want := `\x00\x1F a~\x7F\\\xFFFFFF80\xFFFFFFFF"`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestKeyLine(t *testing.T) {
	bin := cmap.Value{Type: cmap.Binary, Data: []byte{'a', 1}}
	for _, c := range []struct {
		v             cmap.Value
		quiet, binary bool
		want          string
	}{
		{cmap.Int(cmap.I8, 0xff), false, false, "k (i8) = -1"},
		{cmap.Int(cmap.I8, 0xff), true, false, "-1"},
		{cmap.Str("s"), true, true, "s"},
		{bin, false, false, "k (bin)"},
		{bin, false, true, `k (bin) = a\x01`},
		{bin, true, false, "bin)"}, // corosync-cmapctl prints it even with -q
		{bin, true, true, `bin) = a\x01`},
		{cmap.Value{Type: 13}, false, true, "k ("},
		{cmap.Value{Type: 0}, true, true, ""},
		{cmap.FloatValue(cmap.Double, math.Inf(-1)), false, false, "k (dbl) = -inf"},
		{cmap.FloatValue(cmap.Float, 0.1), false, false, "k (flt) = 0.100000"},
		{cmap.Int(cmap.U64, math.MaxUint64), false, false, "k (u64) = 18446744073709551615"},
		{cmap.Str("a\x00b"), false, false, "k (str) = a"},
	} {
		if got := keyLine("k", c.v, c.quiet, c.binary); got != c.want {
			t.Errorf("%v quiet %v -b %v: %q, want %q", c.v, c.quiet, c.binary, got, c.want)
		}
	}
}

func TestJSONValue(t *testing.T) {
	for _, c := range []struct {
		v    cmap.Value
		want string
	}{
		{cmap.Int(cmap.I64, 1<<63), "-9223372036854775808"},
		{cmap.Int(cmap.U64, math.MaxUint64), "18446744073709551615"},
		{cmap.FloatValue(cmap.Float, 0.1), "0.1"},
		{cmap.FloatValue(cmap.Double, 1e300), "1e+300"},
		{cmap.FloatValue(cmap.Double, math.NaN()), `"nan"`},
		{cmap.Str("a\"b\n"), `"a\"b\n"`},
		{cmap.Value{Type: cmap.Binary, Data: []byte{0, 0xff}}, `"AP8="`},
		{cmap.Value{Type: 13}, "null"},
	} {
		if got := string(jsonValue(c.v)); got != c.want {
			t.Errorf("%v: %s, want %s", c.v, got, c.want)
		}
	}
}
