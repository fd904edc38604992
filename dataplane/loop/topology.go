package loop

import (
	"fmt"
	"runtime"

	"github.com/klauspost/cpuid/v2"
)

// DescribeCPU says where the loop will run, for the start-up log: the
// processor model and its topology, and for a pinned loop a warning when
// the core has a hyperthread sibling (spinning beside a busy sibling costs
// both of them).
func DescribeCPU(cpu int) string {
	c := cpuid.CPU
	where := "unpinned"
	if cpu >= 0 {
		where = fmt.Sprintf("pinned to CPU %d", cpu)
	}
	s := fmt.Sprintf("token loop %s: %s, %d logical CPUs, %d physical cores, %d threads per core, %d usable by this process",
		where, c.BrandName, c.LogicalCores, c.PhysicalCores, c.ThreadsPerCore, runtime.NumCPU())
	if cpu >= 0 && c.ThreadsPerCore > 1 {
		s += "; keep the core's other hardware thread idle for the lowest latency"
	}
	return s
}
