package wire

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by this package wraps exactly one of
// them, so a receiver can count dropped frames by cause with errors.Is; the
// wrapping message names the message kind and the offending numbers.
var (
	ErrShort       = errors.New("frame too short")
	ErrBadMagic    = errors.New("bad magic")
	ErrBadVersion  = errors.New("unsupported version")
	ErrUnknownType = errors.New("unknown message type")
	ErrWrongType   = errors.New("wrong message type")
	ErrTooMany     = errors.New("too many entries")
	ErrTrailing    = errors.New("trailing bytes")
	ErrBadIndex    = errors.New("memb_index out of range")
	ErrMismatch    = errors.New("list lengths differ")
	ErrShortBuffer = errors.New("buffer too small")
)

// The helpers below keep fmt out of the success paths: they are only reached
// once a frame or message has already been found faulty.

func errShort(what string, have, need int) error {
	return fmt.Errorf("wire: %s: %w: have %d bytes, need %d", what, ErrShort, have, need)
}

func errTrailing(what string, have, need int) error {
	return fmt.Errorf("wire: %s: %w: have %d bytes, want exactly %d", what, ErrTrailing, have, need)
}

func errTooMany(what, field string, n uint64, limit int) error {
	return fmt.Errorf("wire: %s: %w: %s %d > %d", what, ErrTooMany, field, n, limit)
}

func errShortBuffer(what string, have, need int) error {
	return fmt.Errorf("wire: %s: %w: have %d bytes, need %d", what, ErrShortBuffer, have, need)
}
