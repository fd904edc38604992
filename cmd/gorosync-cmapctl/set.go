package main

import (
	"io"
	"math"
	"os"

	"github.com/gorosync/gorosync/services/cmap"
)

// typeNames are -s's type names.
var typeNames = map[string]cmap.ValueType{
	"i8": cmap.I8, "u8": cmap.U8, "i16": cmap.I16, "u16": cmap.U16, "i32": cmap.I32, "u32": cmap.U32,
	"i64": cmap.I64, "u64": cmap.U64, "flt": cmap.Float, "dbl": cmap.Double, "str": cmap.String, "bin": cmap.Binary,
}

// intRange is the range a signed type's -s value must be in.
var intRange = map[cmap.ValueType][2]int64{
	cmap.I8: {math.MinInt8, math.MaxInt8}, cmap.I16: {math.MinInt16, math.MaxInt16},
	cmap.I32: {math.MinInt32, math.MaxInt32}, cmap.I64: {math.MinInt64, math.MaxInt64},
}

// uintMax is the largest -s value of an unsigned type.
var uintMax = map[cmap.ValueType]uint64{cmap.U8: math.MaxUint8, cmap.U16: math.MaxUint16, cmap.U32: math.MaxUint32, cmap.U64: math.MaxUint64}

// setKey is -s key type value (and a line of -p): the value parsed as
// corosync-cmapctl parses it (sscanf), checked against the type's range;
// for bin, value names a file ("-": stdin). It returns the exit status:
// every failure ends the run.
func (t *tool) setKey(key, typeName, value string, stdin io.Reader) int {
	typ, ok := typeNames[typeName]
	if !ok {
		t.errorf("Unknown type %s\n", typeName)
		return 1
	}
	v, code := t.parseValue(typ, typeName, value, stdin)
	if code != 0 {
		return code
	}
	var err error
	if typ == cmap.Binary && len(v.Data) == 0 {
		err = cmap.ErrInvalid // libcmap refuses the NULL value an empty file gives
	} else {
		err = t.c.Set(t.ctx, key, v)
	}
	if err != nil {
		t.errorf("Failed to set key %s. Error %s\n", key, strerror(err))
		return 1
	}
	return 0
}

// parseValue turns -s's value text into the value to set.
func (t *tool) parseValue(typ cmap.ValueType, typeName, s string, stdin io.Reader) (cmap.Value, int) {
	notValid := func() (cmap.Value, int) {
		t.errorf("%s is not valid %s type value\n", s, typeName)
		return cmap.Value{}, 1
	}
	outOfRange := func() (cmap.Value, int) {
		t.errorf("%s is not valid %s integer\n", s, typeName)
		return cmap.Value{}, 1
	}
	switch typ {
	case cmap.I8, cmap.I16, cmap.I32, cmap.I64:
		i, ok := scanInt64(s)
		if !ok {
			return notValid()
		}
		if r := intRange[typ]; i < r[0] || i > r[1] {
			return outOfRange()
		}
		return cmap.Int(typ, uint64(i)), 0
	case cmap.U8, cmap.U16, cmap.U32, cmap.U64:
		u, ok := scanUint64(s)
		if !ok {
			return notValid()
		}
		if u > uintMax[typ] {
			return outOfRange()
		}
		return cmap.Int(typ, u), 0
	case cmap.Float, cmap.Double:
		size := 64
		if typ == cmap.Float {
			size = 32
		}
		f, ok := scanFloat(s, size)
		if !ok {
			return notValid()
		}
		return floatValue(typ, f), 0
	case cmap.String:
		return cmap.Value{Type: cmap.String, Data: []byte(s)}, 0
	}
	return t.readBinary(s, stdin)
}

// floatValue stores f as float or double, NaN with the bits C's strtod
// gives it (a quiet NaN, its sign kept).
func floatValue(typ cmap.ValueType, f float64) cmap.Value {
	if math.IsNaN(f) {
		sign := uint64(0)
		if math.Signbit(f) {
			sign = 1 << 63
		}
		f = math.Float64frombits(sign | 0x7ff8_0000_0000_0000)
	}
	return cmap.FloatValue(typ, f)
}

// readBinary reads a bin value from the file name ("-": stdin).
func (t *tool) readBinary(name string, stdin io.Reader) (cmap.Value, int) {
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			t.perror("Can't open input file", err)
			return cmap.Value{}, 1
		}
		defer f.Close()
		r = f
	}
	data, _ := io.ReadAll(r) // a read error ends the value, as fread's does
	return cmap.Value{Type: cmap.Binary, Data: data}, 0
}
