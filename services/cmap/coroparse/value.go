package coroparse

import (
	"fmt"
	"strconv"
)

// ValueType is a cmap value type; the numbers are cmap's (spec §10.1).
type ValueType uint8

// The cmap value types.
const (
	I8     ValueType = 1
	U8     ValueType = 2
	I16    ValueType = 3
	U16    ValueType = 4
	I32    ValueType = 5
	U32    ValueType = 6
	I64    ValueType = 7
	U64    ValueType = 8
	Float  ValueType = 9
	Double ValueType = 10
	String ValueType = 11
	Binary ValueType = 12
)

// String returns the short name corosync-cmapctl prints: u32, str, …
func (t ValueType) String() string {
	switch t {
	case I8:
		return "i8"
	case U8:
		return "u8"
	case I16:
		return "i16"
	case U16:
		return "u16"
	case I32:
		return "i32"
	case U32:
		return "u32"
	case I64:
		return "i64"
	case U64:
		return "u64"
	case Float:
		return "flt"
	case Double:
		return "dbl"
	case String:
		return "str"
	case Binary:
		return "bin"
	}
	return "type" + strconv.Itoa(int(t))
}

// Signed reports whether values of the type live in Value.I.
func (t ValueType) Signed() bool { return t == I8 || t == I16 || t == I32 || t == I64 }

// Value is one typed cmap value: unsigned integers in U, signed ones in I,
// strings (and binary data) in S.
type Value struct {
	Type ValueType
	U    uint64
	I    int64
	S    string
}

// Str makes a string value.
func Str(s string) Value { return Value{Type: String, S: s} }

// Uint makes an unsigned value of type t (U8, U16, U32 or U64).
func Uint(t ValueType, u uint64) Value { return Value{Type: t, U: u} }

// Int makes a signed value of type t (I8, I16, I32 or I64).
func Int(t ValueType, i int64) Value { return Value{Type: t, I: i} }

// Text formats the value as corosync-cmapctl prints it after "= ".
func (v Value) Text() string {
	switch {
	case v.Type == String || v.Type == Binary:
		return v.S
	case v.Type.Signed():
		return strconv.FormatInt(v.I, 10)
	default:
		return strconv.FormatUint(v.U, 10)
	}
}

// String formats the value as "(type) = text".
func (v Value) String() string { return fmt.Sprintf("(%s) = %s", v.Type, v.Text()) }
