package cmap

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"

	"github.com/gorosync/gorosync/services/cmap/coroparse"
	"github.com/gorosync/gorosync/services/cserror"
)

// ValueType is a cmap value type (INT8 = 1 … BINARY = 12).
type ValueType = coroparse.ValueType

// The cmap value types.
const (
	I8     = coroparse.I8
	U8     = coroparse.U8
	I16    = coroparse.I16
	U16    = coroparse.U16
	I32    = coroparse.I32
	U32    = coroparse.U32
	I64    = coroparse.I64
	U64    = coroparse.U64
	Float  = coroparse.Float
	Double = coroparse.Double
	String = coroparse.String
	Binary = coroparse.Binary
)

// MaxValueLen is icmap's largest value (ICMAP_MAX_VALUE_LEN).
const MaxValueLen = 16 * 1024

// Key name bounds (ICMAP_KEYNAME_MINLEN, ICMAP_KEYNAME_MAXLEN).
const (
	MinKeyLen = 3
	MaxKeyLen = 255
)

// Error is corosync's cs_error_t (package cserror).
type Error = cserror.Error

// The cs_error_t values cmap's service answers, under cmap's names.
const (
	OK           = cserror.OK
	ErrLibrary   = cserror.ErrLibrary
	ErrInvalid   = cserror.ErrInvalidParam
	ErrNoMemory  = cserror.ErrNoMemory
	ErrBadHandle = cserror.ErrBadHandle
	ErrBusy      = cserror.ErrBusy
	ErrAccess    = cserror.ErrAccess
	ErrNotExist  = cserror.ErrNotExist
	ErrNameLong  = cserror.ErrNameTooLong
	ErrExist     = cserror.ErrExist
	ErrNotSupp   = cserror.ErrNotSupported
	ErrNoSection = cserror.ErrNoSections
)

// typeLen is the fixed length of a numeric type, 0 for string, binary and
// unknown types.
func typeLen(t ValueType) int {
	switch t {
	case I8, U8:
		return 1
	case I16, U16:
		return 2
	case I32, U32, Float:
		return 4
	case I64, U64, Double:
		return 8
	}
	return 0
}

// validType reports whether t is one of the twelve cmap types.
func validType(t ValueType) bool { return t >= I8 && t <= Binary }

// Value is a stored value as it travels on the wire: little-endian numbers,
// strings with their terminating NUL.
type Value struct {
	Type ValueType
	Data []byte
}

// Equal reports whether v and w have the same type and bytes.
func (v Value) Equal(w Value) bool { return v.Type == w.Type && string(v.Data) == string(w.Data) }

var le = binary.LittleEndian

// FromConf converts a coroparse value to its stored form.
func FromConf(cv coroparse.Value) (Value, error) {
	v := Value{Type: cv.Type}
	switch cv.Type {
	case String:
		v.Data = append([]byte(cv.S), 0)
	case Binary:
		v.Data = []byte(cv.S)
	case I8, I16, I32, I64:
		v.Data = putInt(cv.Type, uint64(cv.I))
	case U8, U16, U32, U64:
		v.Data = putInt(cv.Type, cv.U)
	case Float, Double:
		f, err := strconv.ParseFloat(cv.S, 64)
		if err != nil {
			return v, fmt.Errorf("cmap: %v value %q", cv.Type, cv.S)
		}
		v = FloatValue(cv.Type, f)
	default:
		return v, fmt.Errorf("cmap: unknown value type %d", cv.Type)
	}
	return v, nil
}

// Str makes a string value.
func Str(s string) Value { return Value{Type: String, Data: append([]byte(s), 0)} }

// Int makes an integer value of type t from the low bits of u (signed
// values passed as uint64(int64)).
func Int(t ValueType, u uint64) Value { return Value{Type: t, Data: putInt(t, u)} }

// FloatValue makes a Float or Double value.
func FloatValue(t ValueType, f float64) Value {
	if t == Float {
		return Value{Type: Float, Data: le.AppendUint32(nil, math.Float32bits(float32(f)))}
	}
	return Value{Type: Double, Data: le.AppendUint64(nil, math.Float64bits(f))}
}

func putInt(t ValueType, u uint64) []byte {
	b := make([]byte, typeLen(t))
	switch len(b) {
	case 1:
		b[0] = byte(u)
	case 2:
		le.PutUint16(b, uint16(u))
	case 4:
		le.PutUint32(b, uint32(u))
	case 8:
		le.PutUint64(b, u)
	}
	return b
}

// uint reads an integer value's bits, zero-extended.
func (v Value) uint() uint64 {
	switch len(v.Data) {
	case 1:
		return uint64(v.Data[0])
	case 2:
		return uint64(le.Uint16(v.Data))
	case 4:
		return uint64(le.Uint32(v.Data))
	case 8:
		return le.Uint64(v.Data)
	}
	return 0
}

// Text formats v as corosync-cmapctl prints it after "= " (binary as
// cmapctl's -b does: hex bytes).
func (v Value) Text() string {
	u := v.uint()
	switch v.Type {
	case I8:
		return strconv.Itoa(int(int8(u)))
	case I16:
		return strconv.Itoa(int(int16(u)))
	case I32:
		return strconv.Itoa(int(int32(u)))
	case I64:
		return strconv.FormatInt(int64(u), 10)
	case U8, U16, U32, U64:
		return strconv.FormatUint(u, 10)
	case Float:
		return fmt.Sprintf("%f", math.Float32frombits(uint32(u)))
	case Double:
		return fmt.Sprintf("%f", math.Float64frombits(u))
	case String:
		d := v.Data
		if n := len(d); n > 0 && d[n-1] == 0 {
			d = d[:n-1]
		}
		return string(d)
	}
	return fmt.Sprintf("%x", v.Data)
}

// String formats v as "(type) = text".
func (v Value) String() string { return fmt.Sprintf("(%s) = %s", v.Type, v.Text()) }
