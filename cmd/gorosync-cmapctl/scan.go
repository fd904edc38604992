package main

import (
	"math"
	"strconv"
	"strings"
)

// The value parsers of `-s key type value`: glibc's sscanf with %ld, %lu,
// %f and %lf, whose results corosync-cmapctl takes. They read the
// longest number at the start of s (after white space) and ignore what
// follows; ok false when there is none.

func isSpace(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' }

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isHex(c byte) bool { return isDigit(c) || c|0x20 >= 'a' && c|0x20 <= 'f' }

// scanSign skips white space and a sign.
func scanSign(s string) (rest string, neg bool) {
	s = strings.TrimLeftFunc(s, func(r rune) bool { return r < 0x80 && isSpace(byte(r)) })
	if s != "" && (s[0] == '+' || s[0] == '-') {
		return s[1:], s[0] == '-'
	}
	return s, false
}

// scanMagnitude reads decimal digits: their value saturated at
// MaxUint64 (overflowed), and ok false when there are none.
func scanMagnitude(s string) (u uint64, overflow, ok bool) {
	i := 0
	for ; i < len(s) && isDigit(s[i]); i++ {
		d := uint64(s[i] - '0')
		if u > (math.MaxUint64-d)/10 {
			overflow = true
		}
		u = u*10 + d
	}
	if overflow {
		u = math.MaxUint64
	}
	return u, overflow, i > 0
}

// scanInt64 is sscanf "%ld": out-of-range values saturate (strtol).
func scanInt64(s string) (int64, bool) {
	s, neg := scanSign(s)
	u, overflow, ok := scanMagnitude(s)
	switch {
	case !ok:
		return 0, false
	case neg && (overflow || u > 1<<63):
		return math.MinInt64, true
	case neg:
		return -int64(u), true
	case overflow || u > math.MaxInt64:
		return math.MaxInt64, true
	}
	return int64(u), true
}

// scanUint64 is sscanf "%lu": a minus sign negates modulo 2^64, an
// overflow saturates (strtoul).
func scanUint64(s string) (uint64, bool) {
	s, neg := scanSign(s)
	u, overflow, ok := scanMagnitude(s)
	switch {
	case !ok:
		return 0, false
	case overflow:
		return math.MaxUint64, true
	case neg:
		return -u, true
	}
	return u, true
}

// floatToken returns the number glibc's %f would read at the start of s
// (sign included) in a form strconv.ParseFloat takes, or "" for none.
func floatToken(s string) string {
	s, neg := scanSign(s)
	sign := ""
	if neg {
		sign = "-"
	}
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(lower, "nan"):
		return sign + "nan"
	case strings.HasPrefix(lower, "inf"):
		if strings.HasPrefix(lower[3:], "i") && !strings.HasPrefix(lower[3:], "inity") {
			return "" // glibc reads "infi…" as a broken "infinity"
		}
		return sign + "inf"
	case strings.HasPrefix(lower, "0x"):
		return hexFloatToken(sign, lower[2:])
	}
	m := digitsWithPoint(s, isDigit)
	if m == 0 {
		return ""
	}
	return sign + s[:m] + exponent(s[m:], 'e')
}

// digitsWithPoint is the length of a mantissa at the start of s: digits,
// an optional point and digits, at least one digit in all.
func digitsWithPoint(s string, digit func(byte) bool) int {
	i, n := 0, 0
	for ; i < len(s) && digit(s[i]); i++ {
		n++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for ; i < len(s) && digit(s[i]); i++ {
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return i
}

// exponent returns an exponent at the start of s (marker, sign, digits),
// or "" when the marker has no digits after it (glibc then stops before
// the marker).
func exponent(s string, marker byte) string {
	if s == "" || s[0]|0x20 != marker {
		return ""
	}
	i := 1
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	j := i
	for ; j < len(s) && isDigit(s[j]); j++ {
	}
	if j == i {
		return ""
	}
	return s[:j]
}

// hexFloatToken handles "0x…": hex digits with an optional point and a
// binary exponent (ParseFloat needs one: p0 is added).
func hexFloatToken(sign, s string) string {
	m := digitsWithPoint(s, isHex)
	if m == 0 {
		return ""
	}
	exp := exponent(s[m:], 'p')
	if exp == "" {
		exp = "p0"
	}
	return sign + "0x" + s[:m] + exp
}

// scanFloat is sscanf "%f" (bits 32) or "%lf" (bits 64): out-of-range
// values become ±Inf or 0 as strtod makes them; NaN keeps its sign.
func scanFloat(s string, bits int) (float64, bool) {
	tok := floatToken(s)
	switch tok {
	case "":
		return 0, false
	case "nan":
		return math.NaN(), true
	case "-nan":
		return math.Copysign(math.NaN(), -1), true
	}
	f, err := strconv.ParseFloat(tok, bits)
	if err != nil && !isRange(err) {
		return 0, false
	}
	return f, true
}

func isRange(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}
