package coroparse

import (
	"fmt"
	"strconv"
)

// Nice values setpriority(2) accepts; corosync passes INT_MIN for "max"
// and INT_MAX for "min", which the kernel clamps to these.
const (
	NiceMax = -20 // the highest priority
	NiceMin = 19  // the lowest
)

// ParsePriority reads system.priority as corosync does: "max", "min" or a
// decimal integer that fits a C int (clamped to NiceMax..NiceMin, as the
// kernel would).
func ParsePriority(s string) (int, error) {
	switch s {
	case "max":
		return NiceMax, nil
	case "min":
		return NiceMin, nil
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is not max, min or a number", s)
	}
	return min(max(int(n), NiceMax), NiceMin), nil
}
