package sim

import (
	"flag"
	"runtime"
	"sync"
	"testing"
)

var flagFaultSeeds = flag.Int("sim.faultseeds", 200, "number of seeds TestFaultSeeds runs")

// faultOptions maps a seed to a membership scenario: 2..9 nodes forming
// rings themselves, up to 8 faults in 20 s of virtual time, loss up to 10%,
// clock skew up to 5%.
func faultOptions(seed uint64) Options {
	return Options{
		Seed:            seed,
		Nodes:           2 + int(seed%8),
		MaxLoss:         []float64{0, 0.02, 0.05, 0.1}[seed/8%4],
		Messages:        200,
		MaxMessageBytes: 1024,
		SafeFraction:    0.25,
		Faults:          int(seed / 32 % 9),
		MaxSkew:         0.05,
		Timers:          SimTimers(2 + int(seed%8)),
	}
}

func TestFaultSeeds(t *testing.T) {
	seeds := make(chan uint64)
	var mu sync.Mutex
	var failed []string
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for seed := range seeds {
				res := RunFaults(faultOptions(seed))
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
