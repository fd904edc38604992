package totem

// Sequence numbers are 32-bit and compared with serial-number arithmetic
// (RFC 1982 style). corosync's own rule (subtract 0x10000 above 2^31) is only
// an approximation of this; within a ring the two agree everywhere a ring can
// reach in practice.

func seqLT(a, b uint32) bool { return int32(a-b) < 0 }
func seqLE(a, b uint32) bool { return int32(a-b) <= 0 }

func seqMin(a, b uint32) uint32 {
	if seqLT(a, b) {
		return a
	}
	return b
}
