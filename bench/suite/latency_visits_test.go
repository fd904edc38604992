package suite

import "testing"

// Visits per message and time per visit; 0, not a division by zero, for
// what a run cannot say.
func TestLatencyRunTokenVisits(t *testing.T) {
	for _, c := range []struct {
		r             LatencyRun
		visits, rotUs float64
	}{
		{LatencyRun{Messages: 5000, Seconds: 0.5, TokenVisits: 5000}, 1, 100},
		{LatencyRun{Messages: 5000, Seconds: 0.5}, 0, 0},      // the daemon did not say
		{LatencyRun{Seconds: 0.5, TokenVisits: 10}, 0, 50000}, // no message sent
		{LatencyRun{Messages: 1, TokenVisits: 10}, 10, 0},     // no timed window
	} {
		if v, u := c.r.VisitsPerMessage(), c.r.RotationUs(); v != c.visits || u != c.rotUs {
			t.Errorf("%+v: visits/msg %v, µs/visit %v; want %v and %v", c.r, v, u, c.visits, c.rotUs)
		}
	}
}
