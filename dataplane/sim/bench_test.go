package sim

import (
	"fmt"
	"testing"
)

// BenchmarkOrderedDelivery measures how fast the simulated 3-node ring
// orders and delivers messages, in wall-clock time: every message is
// packed, broadcast, ordered by the token, delivered and reassembled on all
// three nodes. One op is one message delivered everywhere.
func BenchmarkOrderedDelivery(b *testing.B) {
	for _, size := range []int{64, 1024, 64 << 10} {
		b.Run(sizeName(size), func(b *testing.B) {
			c := warmSaturatedRing(b, size)
			virtualStart := c.Now()
			b.ReportAllocs()
			b.SetBytes(int64(size))
			b.ResetTimer()
			c.Send(b.N)
			if err := c.Drain(); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			b.ReportMetric(float64(b.N)/(float64(c.Now()-virtualStart)/1e9), "virtual-msgs/s")
		})
	}
}

func sizeName(n int) string {
	if n >= 1024 {
		return fmt.Sprintf("%dKiB", n/1024)
	}
	return fmt.Sprintf("%dB", n)
}
