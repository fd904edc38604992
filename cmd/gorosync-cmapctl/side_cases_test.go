package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorosync/gorosync/services/cmap"
)

// The scenarios of TestSideBySide: each runs both tools (compare).

// allBytes is a binary value with every byte, to compare -b's escapes.
func allBytes() []byte {
	b := make([]byte, 256)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

func f32(f float32) cmap.Value { return cmap.FloatValue(cmap.Float, float64(f)) }
func f64(f float64) cmap.Value { return cmap.FloatValue(cmap.Double, f) }
func bitsF32(u uint32) cmap.Value {
	return cmap.Value{Type: cmap.Float, Data: le.AppendUint32(nil, u)}
}
func bitsF64(u uint64) cmap.Value {
	return cmap.Value{Type: cmap.Double, Data: le.AppendUint64(nil, u)}
}

// extraKeys are values of every type, with the edges of their printing.
var extraKeys = map[string]cmap.Value{
	"test.i8": cmap.Int(cmap.I8, 0x80), "test.u8": cmap.Int(cmap.U8, 255),
	"test.i16": cmap.Int(cmap.I16, 0x8000), "test.u16": cmap.Int(cmap.U16, 65535),
	"test.i32": cmap.Int(cmap.I32, 0x8000_0000), "test.u32": cmap.Int(cmap.U32, math.MaxUint32),
	"test.i64": cmap.Int(cmap.I64, 1<<63), "test.u64": cmap.Int(cmap.U64, math.MaxUint64),
	"test.flt.a": f32(1.5), "test.flt.negzero": f32(float32(math.Copysign(0, -1))),
	"test.flt.tie": f32(0.0078125), "test.flt.max": f32(math.MaxFloat32),
	"test.flt.nan": bitsF32(0x7fc00000), "test.flt.negnan": bitsF32(0xffc00000),
	"test.flt.inf": f32(float32(math.Inf(1))), "test.flt.neginf": f32(float32(math.Inf(-1))),
	"test.dbl.a": f64(-2.25), "test.dbl.big": f64(1e300), "test.dbl.small": f64(1e-7),
	"test.dbl.round": f64(0.0000005), "test.dbl.nan": bitsF64(0x7ff8000000000000),
	"test.dbl.negnan": bitsF64(0xfff8000000000000), "test.dbl.inf": f64(math.Inf(1)),
	"test.str.a": cmap.Str("hello world"), "test.str.empty": cmap.Str(""),
	"test.str.utf8": cmap.Str("héllo\tthere\nnext"), "test.str.pct": cmap.Str("100% %s %d"),
	"test.bin.all": {Type: cmap.Binary, Data: allBytes()}, "test.bin.empty": {Type: cmap.Binary, Data: []byte{}},
	"test.bin.text": {Type: cmap.Binary, Data: []byte(`a\b "c"`)},
	"test.trk.a":    cmap.Int(cmap.U32, 1), "test:odd/key-name_x": cmap.Str("x"),
}

func (sd *side) readScenarios(t *testing.T) {
	long := strings.Repeat("k", 256)
	for _, args := range [][]string{
		{}, {"-b"}, {"test."}, {"-b", "test."}, {"totem.", "test.str"}, {"no.such."},
		{"no.such.", "test.u8"}, {""}, {"-q", "test.dbl"}, {"test.", "-b"},
		{"-g", "test.u32", "test.str.a"}, {"-g", "test.bin.all"}, {"-b", "-g", "test.bin.all"},
		{"-bg", "test.bin.text", "test.bin.empty"}, {"-q", "-g", "test.u64"}, {"-q", "-g", "test.bin.text"},
		{"-b", "-q", "-g", "test.bin.text"}, {"-g", "no.such.key"}, {"-g", "test.u8", "no.such", "test.u16"},
		{"-g"}, {"-g", long}, {"-g", "ab"}, {long}, {"-D"}, {"-t"},
		{"-m", "stats"}, {"-mstats", "-g", "stats.srp.mcast_tx"}, {"-m", "icmap", "test.u8"},
		{"-m", "default", "test.u8"}, {"-m", "bogus"}, {"-m"}, {"-x"}, {"-bx", "-h"}, {"--foo"},
		{"-h"}, {"-b", "-h", "-x"}, {"-C", "bogus"}, {"-C", "all"}, {"-g", "--", "test.u8"},
		{"-g", "test.u8", "--", "-test"}, {"-"}, {"-p"}, {"-s", "test.x"}, {"-s", "test.x", "u8"},
	} {
		compare(t, sd, "", args...)
	}
}

func (sd *side) writeScenarios(t *testing.T) {
	for _, args := range [][]string{
		{"-s", "test.new", "u32", "5"}, {"-s", "--", "test.new", "i8", "-5"}, {"-s", "test.new", "i8", "127"},
		{"-s", "test.new", "i8", "128"}, {"-s", "test.new", "u8", "300"}, {"-s", "test.new", "u8", "-1"},
		{"-s", "test.new", "u64", "-1"}, {"-s", "test.new", "u64", "99999999999999999999"},
		{"-s", "test.new", "i64", "99999999999999999999"}, {"-s", "test.new", "i64", "-9223372036854775808"},
		{"-s", "test.new", "i16", " 5abc"}, {"-s", "test.new", "i32", "abc"}, {"-s", "test.new", "u16", ""},
		{"-s", "test.new", "i32", "+7"}, {"-s", "test.new", "u32", "4294967296"},
		{"-s", "test.new", "flt", "1.5"}, {"-s", "test.new", "flt", "1e40"}, {"-s", "test.new", "flt", "nan"},
		{"-s", "--", "test.new", "flt", "-nan"}, {"-s", "test.new", "flt", "infi"}, {"-s", "test.new", "flt", "INFINITY"},
		{"-s", "test.new", "flt", "0x1.8"}, {"-s", "test.new", "flt", "0x"}, {"-s", "test.new", "flt", "1e"},
		{"-s", "test.new", "flt", ".5"}, {"-s", "test.new", "flt", "0.1"}, {"-s", "test.new", "flt", "1e-50"},
		{"-s", "test.new", "dbl", "0.1"}, {"-s", "test.new", "dbl", "1e300"}, {"-s", "test.new", "dbl", "nan(12)"},
		{"-s", "test.new", "dbl", "0x1p-1074"}, {"-s", "test.new", "dbl", "1e-400"}, {"-s", "test.new", "dbl", "x"},
		{"-s", "test.new", "str", "hello world"}, {"-s", "test.new", "str", ""}, {"-s", "test.new", "str", "é%s"},
		{"-s", "test.new", "xyz", "1"}, {"-s", "test.u8", "u32", "7"}, {"-s", "test.str.a", "str", "hello world"},
		{"-s", "totem.cluster_name", "str", "x"}, {"-s", "ab", "u8", "1"}, {"-s", "bad key", "u8", "1"},
		{"-s", strings.Repeat("k", 256), "u8", "1"}, {"-s", "test.new", "u8", "1", "extra"},
		{"-m", "stats", "-s", "stats.x", "u8", "1"}, {"-s", "test.bin.f", "bin", "/nonexistent/file"},
		{"-s", "test.bin.f", "bin", "/dev/null"}, {"-s", "test.bin.f", "bin", sd.binFile(t)},
		{"-d", "test.u8", "test.u16"}, {"-d", "test.u8", "no.such", "test.u16"}, {"-d", "totem.cluster_name"},
		{"-d", strings.Repeat("k", 256)}, {"-D", "test."}, {"-D", "nodelist."}, {"-D", "no.such.", "test.str"},
		{"-D", ""},
	} {
		compare(t, sd, "", args...)
	}
	compare(t, sd, "\x00\x01binary\xff", "-s", "test.bin.stdin", "bin", "-")
	compare(t, sd, "", "-s", "test.bin.stdin", "bin", "-")
}

// binFile is a file of every byte value.
func (sd *side) binFile(t *testing.T) string {
	f := filepath.Join(sd.dir, "bin")
	if err := os.WriteFile(f, allBytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

func (sd *side) loadScenarios(t *testing.T) {
	files := map[string]string{
		"good": "# a comment\n\n   \n\t# indented comment\nload.a u32 7\n  load.b str text more words\n" +
			"^test.u8\n^no.such.key\n^^test.dbl.\n^^no.such.\nload.c  flt   2.5\nload.d bin " + sd.binFile(t) + "\n" +
			"load.e\tu8 1 u8 1\nload.f str\tx\nload.g str last",
		"missing value":  "load.a u32 7\nload.b u32\nload.c u32 8\n",
		"bad type":       "load.a u32 7\nload.b int 1\nload.c u32 8\n",
		"bad value":      "load.a u32 7\nload.b u8 256\nload.c u32 8\n",
		"read-only":      "load.a u32 7\ntotem.cluster_name str x\nload.c u32 8\n",
		"delete ro":      "^totem.cluster_name\n^^nodelist.\n^\n^^nodelist.node.0.name\nload.c u32 8\n",
		"blank last":     "load.a u32 7\n   ",
		"crlf":           "load.a u32 7\r\nload.b str x\r\n",
		"long line":      "load." + strings.Repeat("x", 1100) + " u8 1\nload.b u8 2\n",
		"long key chunk": strings.Repeat(" ", 1020) + "load.split u8 1\n",
		"nul":            "load.a u32 7\x00 junk\nload.b str a\x00b\n",
		"empty":          "",
	}
	for name, content := range files {
		t.Run(name, func(t *testing.T) {
			f := filepath.Join(sd.dir, "load-"+strings.ReplaceAll(name, " ", "-"))
			if err := os.WriteFile(f, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			compare(t, sd, "", "-p", f)
		})
	}
	compare(t, sd, "", "-p", filepath.Join(sd.dir, "no-such-file"))
}
