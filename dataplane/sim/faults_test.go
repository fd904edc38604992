package sim

import (
	"flag"
	"fmt"
	"runtime"
	"sync"
	"testing"
)

var flagFaultSeeds = flag.Int("sim.faultseeds", 2000, "number of seeds TestFaultSeeds runs")

// TestFaultSeeds is the membership gate of `make test`: every seed's run
// under faults must uphold E1–E15, safe delivery and L1, and converge.
func TestFaultSeeds(t *testing.T) {
	seeds := make(chan uint64)
	var mu sync.Mutex
	var failed []string
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for seed := range seeds {
				res := RunFaults(FaultScenario(seed, 8))
				res.Replay = fmt.Sprintf("make sim SEED=%d SEEDS=1 FAULTS=8", seed)
				if !res.OK() {
					mu.Lock()
					failed = append(failed, res.String())
					mu.Unlock()
				}
			}
		})
	}
	for i := range *flagFaultSeeds {
		seeds <- *flagSeed + uint64(i)
	}
	close(seeds)
	wg.Wait()
	for i, f := range failed {
		if i == 5 {
			t.Errorf("… and %d more failing seeds", len(failed)-i)
			break
		}
		t.Error(f)
	}
	t.Logf("%d fault seeds from %d: %d failed", *flagFaultSeeds, *flagSeed, len(failed))
}
