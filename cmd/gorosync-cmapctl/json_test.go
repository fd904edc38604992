package main

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
)

// textOf turns a --json entry back into corosync-cmapctl -b's line.
func textOf(t *testing.T, e jsonEntry) string {
	var x any
	if err := json.Unmarshal(e.Value, &x); err != nil {
		t.Fatalf("%s: value %s: %v", e.Key, e.Value, err)
	}
	v := e.Key + " (" + e.Type + ") = "
	switch e.Type {
	case "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64":
		if _, err := strconv.ParseUint(strings.TrimPrefix(string(e.Value), "-"), 10, 64); err != nil {
			t.Errorf("%s: integer %s", e.Key, e.Value)
		}
		return v + string(e.Value)
	case "flt", "dbl":
		if s, ok := x.(string); ok {
			return v + s
		}
		f, err := strconv.ParseFloat(string(e.Value), 64)
		if err != nil {
			t.Errorf("%s: number %s", e.Key, e.Value)
		}
		if e.Type == "flt" { // shortest float32 digits: back to that float32
			f32, _ := strconv.ParseFloat(string(e.Value), 32)
			f = f32
		}
		return v + cFloat(f, math.Signbit(f) && math.IsNaN(f))
	case "str":
		return v + x.(string)
	case "bin":
		b, err := base64.StdEncoding.DecodeString(x.(string))
		if err != nil {
			t.Errorf("%s: base64 %q", e.Key, x)
		}
		return v + escapeBinary(b)
	}
	t.Errorf("%s: type %q", e.Key, e.Type)
	return ""
}

// jsonScenarios: --json listings parse, and say what -b's text says.
func (sd *side) jsonScenarios(t *testing.T) {
	for _, args := range [][]string{{}, {"test."}, {"-g", "test.u8", "test.bin.all", "test.flt.negnan", "test.str.utf8"},
		{"no.such."}, {"-g", "test.u8", "no.such"}, {"-m", "stats"}} {
		c := runTool(t, true, "", append([]string{"-b"}, args...)...)
		g := runTool(t, false, "", append([]string{"--json"}, args...)...)
		var entries []jsonEntry
		if err := json.Unmarshal([]byte(g.stdout), &entries); err != nil {
			t.Errorf("%q: %v\n%s", args, err, g.stdout)
			continue
		}
		var lines []string
		for _, e := range entries {
			lines = append(lines, textOf(t, e)+"\n")
		}
		if got := strings.Join(lines, ""); got != c.stdout || g.code != c.code || g.stderr != c.stderr {
			t.Errorf("--json %q (exit %d, stderr %q) says\n%s\n-b says (exit %d, stderr %q)\n%s",
				args, g.code, g.stderr, got, c.code, c.stderr, c.stdout)
		}
	}
}
