package fault

import (
	"fmt"
	"math"
	"time"
)

// Defaults for the zero values of Config.
const (
	DefaultReorderHoldNs = int64(5 * time.Millisecond)
	DefaultSlots         = 4096
)

// Limits that keep sums of durations and slot handles far from overflow.
const (
	maxDurationNs = int64(time.Hour)
	maxSlots      = 1 << 20
)

// Config says what the stage does to RECEIVED frames (the receive side, so
// each node injects faults on what it hears). The zero Config does nothing.
type Config struct {
	// LossPercent drops this share of frames.
	LossPercent float64
	// DuplicatePercent hands up this share of frames twice: the copy comes
	// DelayNs after the original was handed up if DelayNs is set, else on
	// the next Recv after it.
	DuplicatePercent float64
	// ReorderPercent holds this share of frames back until at least one
	// later frame was handed up before them, at most ReorderHoldNs (after
	// their delay, if any).
	ReorderPercent float64
	// DelayNs holds every frame this long before handing it up.
	DelayNs int64
	// DelayJitterNs adds a uniform random 0..DelayJitterNs to each delay.
	DelayJitterNs int64
	// ReorderHoldNs is the longest a reordered frame waits for a later one
	// to pass it. Default 5 ms.
	ReorderHoldNs int64
	// Seed seeds the PRNG (PCG): the same seed and the same input give the
	// same decisions.
	Seed uint64
	// Slots is how many frames the stage can hold at once (held, or handed
	// up from a slot and not yet released). When every slot is busy a frame
	// passes through undelayed, or its copy is not made, and Stats.Overflow
	// counts it. Default 4096.
	Slots int
	// Now is a monotonic clock in nanoseconds; nil means the time since New.
	Now func() int64
}

// Enabled reports whether any fault is set.
func (c Config) Enabled() bool {
	return c.LossPercent > 0 || c.DuplicatePercent > 0 || c.ReorderPercent > 0 ||
		c.DelayNs > 0 || c.DelayJitterNs > 0
}

// withDefaults checks c and fills its zero values.
func (c Config) withDefaults() (Config, error) {
	for _, p := range []struct {
		name string
		v    float64
	}{{"LossPercent", c.LossPercent}, {"DuplicatePercent", c.DuplicatePercent}, {"ReorderPercent", c.ReorderPercent}} {
		if math.IsNaN(p.v) || p.v < 0 || p.v > 100 {
			return c, fmt.Errorf("fault: %s %v is outside [0, 100]", p.name, p.v)
		}
	}
	for _, d := range []struct {
		name string
		v    int64
	}{{"DelayNs", c.DelayNs}, {"DelayJitterNs", c.DelayJitterNs}, {"ReorderHoldNs", c.ReorderHoldNs}} {
		if d.v < 0 {
			return c, fmt.Errorf("fault: %s %d is negative", d.name, d.v)
		}
		if d.v > maxDurationNs {
			return c, fmt.Errorf("fault: %s %d is over an hour", d.name, d.v)
		}
	}
	if c.Slots < 0 || c.Slots > maxSlots {
		return c, fmt.Errorf("fault: Slots %d is outside [0, %d]", c.Slots, maxSlots)
	}
	if c.ReorderHoldNs == 0 {
		c.ReorderHoldNs = DefaultReorderHoldNs
	}
	if c.Slots == 0 {
		c.Slots = DefaultSlots
	}
	return c, nil
}
