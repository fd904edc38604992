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
