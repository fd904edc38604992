package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/gorosync/gorosync/services/cmap"
)

// cFloat formats f as C's printf("%f") does: six decimals, "inf",
// "-inf", "nan" and "-nan".
func cFloat(f float64, negNaN bool) string {
	switch {
	case math.IsNaN(f) && negNaN:
		return "-nan"
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'f', 6, 64)
}

// escapeBinary prints a binary value as corosync-cmapctl -b does:
// printable ASCII as is, a backslash doubled, every other byte as \xHH of
// its value as a signed char (so 0x80…0xff come out as \xFFFFFF80…).
func escapeBinary(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		switch {
		case c == '\\':
			sb.WriteString(`\\`)
		case c >= ' ' && c < 0x7f:
			sb.WriteByte(c)
		default:
			fmt.Fprintf(&sb, `\x%02X`, uint32(int32(int8(c))))
		}
	}
	return sb.String()
}

// cString is a string value as printf("%s") shows it: up to its NUL.
func cString(d []byte) string {
	if i := bytes.IndexByte(d, 0); i >= 0 {
		d = d[:i]
	}
	return string(d)
}

// bits reads a numeric value's little-endian bits (0 when the length
// does not fit its type).
func bits(v cmap.Value) uint64 {
	d := v.Data
	if len(d) != cmap.TypeLen(v.Type) {
		return 0
	}
	switch len(d) {
	case 1:
		return uint64(d[0])
	case 2:
		return uint64(le.Uint16(d))
	case 4:
		return uint64(le.Uint32(d))
	case 8:
		return le.Uint64(d)
	}
	return 0
}

// valueText is a non-binary value as corosync-cmapctl prints it after
// "= " (or alone with -q).
func valueText(v cmap.Value) string {
	u := bits(v)
	switch v.Type {
	case cmap.I8:
		return strconv.Itoa(int(int8(u)))
	case cmap.I16:
		return strconv.Itoa(int(int16(u)))
	case cmap.I32:
		return strconv.Itoa(int(int32(u)))
	case cmap.I64:
		return strconv.FormatInt(int64(u), 10)
	case cmap.U8, cmap.U16, cmap.U32, cmap.U64:
		return strconv.FormatUint(u, 10)
	case cmap.Float:
		return cFloat(float64(math.Float32frombits(uint32(u))), u>>31 != 0)
	case cmap.Double:
		return cFloat(math.Float64frombits(u), u>>63 != 0)
	case cmap.String:
		return cString(v.Data)
	}
	return ""
}

// keyLine is print_key's line (without its newline) for key holding v:
// "key (type) = value", "-q": the value alone; a binary value's text only
// with -b ("key (bin)" without; "bin)" even with -q); an unknown type
// prints "key (".
func keyLine(key string, v cmap.Value, quiet, showBinary bool) string {
	var sb strings.Builder
	if !quiet {
		sb.WriteString(key + " (")
	}
	switch {
	case v.Type == cmap.Binary:
		sb.WriteString("bin)")
		if showBinary {
			sb.WriteString(" = " + escapeBinary(v.Data))
		}
	case v.Type < cmap.I8 || v.Type > cmap.Binary:
	case quiet:
		sb.WriteString(valueText(v))
	default:
		sb.WriteString(v.Type.String() + ") = " + valueText(v))
	}
	return sb.String()
}

// jsonEntry is one key of --json output.
type jsonEntry struct {
	Key   string          `json:"key"`
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

// jsonValue is a value in --json output: integers as numbers, float and
// double as numbers ("nan", "inf", "-inf" as strings), strings as strings,
// binary as base64 (encoding/json's form for bytes), unknown types null.
func jsonValue(v cmap.Value) json.RawMessage {
	var x any
	u := bits(v)
	switch v.Type {
	case cmap.I8, cmap.I16, cmap.I32, cmap.I64, cmap.U8, cmap.U16, cmap.U32, cmap.U64:
		return json.RawMessage(valueText(v))
	case cmap.Float, cmap.Double:
		f := math.Float64frombits(u)
		size := 64
		if v.Type == cmap.Float {
			f, size = float64(math.Float32frombits(uint32(u))), 32
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			x = valueText(v)
		} else {
			return json.RawMessage(strconv.FormatFloat(f, 'g', -1, size))
		}
	case cmap.String:
		x = cString(v.Data)
	case cmap.Binary:
		x = base64.StdEncoding.EncodeToString(v.Data)
	}
	b, _ := json.Marshal(x) // strings and nil only
	return b
}

// jsonLine is one entry as a line of the --json array or of -t --json.
func jsonLine(e any) string {
	b, _ := json.Marshal(e) // strings and raw values that are JSON already
	return string(b)
}
