package sim

import (
	"flag"
	"fmt"
	"testing"
)

var flagFaultSeeds = flag.Int("sim.faultseeds", 2000, "number of seeds TestFaultSeeds runs")

// TestFaultSeeds is the membership gate of `make test`: every seed's run
// under faults must uphold E1–E15, safe delivery, L1 and the timed L2–L4,
// and converge on one ring in the end.
func TestFaultSeeds(t *testing.T) {
	runSeedsParallel(t, *flagFaultSeeds, func(seed uint64) Result {
		res := RunFaults(FaultScenario(seed, 8))
		res.Replay = fmt.Sprintf("make sim SEED=%d SEEDS=1 FAULTS=8", seed)
		return res
	})
}

// TestTimedLivenessIsExercised makes sure the fault seeds really time
// recoveries: over a few hundred seeds the oracle must have checked (not
// just skipped) crashes, leaves and merges against their bounds.
func TestTimedLivenessIsExercised(t *testing.T) {
	var crash, leave, merge int
	for seed := uint64(4); seed < 1200; seed += 8 { // seed/4 odd: spaced-out faults
		res := RunFaults(FaultScenario(seed+2, 8))
		if !res.OK() {
			t.Fatal(res.String())
		}
		crash += res.Timed.Crash.Checked
		leave += res.Timed.Leave.Checked
		merge += res.Timed.Merge.Checked
	}
	t.Logf("checked against their bounds: %d crashes, %d leaves, %d merges", crash, leave, merge)
	if crash == 0 || leave == 0 || merge == 0 {
		t.Fatalf("L2–L4 went unchecked: %d crashes, %d leaves, %d merges", crash, leave, merge)
	}
}
