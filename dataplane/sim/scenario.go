package sim

import "github.com/gorosync/gorosync/dataplane/totem"

// Seeds map to scenarios here, so that `make test`, `make sim` and a
// replayed failure all mean the same run by the same seed.

// StableScenario is a seed's run on an agreed ring (no membership): 2..9
// nodes, loss up to 20%, a share of safe messages, sizes from a few bytes to
// several packets, paced or back-to-back senders, and in a quarter of the
// seeds a small window and receive queue so that flow control and the
// window guard bind.
func StableScenario(seed uint64) Options {
	opt := Options{
		Seed:            seed,
		Nodes:           2 + int(seed%8),
		MaxLoss:         []float64{0, 0.05, 0.1, 0.2}[seed/8%4],
		Messages:        300,
		MaxMessageBytes: 16 << 10,
		SafeFraction:    0.25,
	}
	switch seed / 32 % 4 {
	case 1:
		opt.SendGapNs = -1 // saturate: TRY_AGAIN back-pressure
	case 2:
		opt.WindowSize, opt.MaxMessages, opt.SortQueueSize = 12, 4, 64
	case 3:
		opt.SendGapNs, opt.SafeFraction = -1, 1
	}
	return opt
}

// FaultScenario is a seed's membership run (RunFaults): 2..9 nodes that
// form their rings themselves, 0..maxFaults faults, loss up to 20%, clock
// skew up to 5%, a quarter of the messages safe. Half the seeds crowd their
// faults into 20 s of virtual time (faults overlap, membership churns);
// the other half space them a minute apart, so that the oracle can time
// each recovery (L2–L4). Some seeds turn on send_join and the heartbeat. A third of the seeds send messages of up to 16 KiB,
// so that configuration changes cut fragmented messages.
func FaultScenario(seed uint64, maxFaults int) Options {
	nodes := 2 + int(seed%8)
	timers := SimTimerParams(nodes)
	if seed%5 == 0 {
		timers.SendJoinMs = 20 // JOINs at random moments (send_join)
	}
	if seed%7 == 0 {
		// Loss detected by heartbeat. Its period must cover a rotation
		// with the representative's hold and this network's delay spikes
		// (8 hops of up to 32 ms), or it fires on a healthy ring.
		timers.HeartbeatFailuresAllowed, timers.MaxNetworkDelayMs = 3, 300
	}
	faults := int(seed / 32 % uint64(maxFaults+1))
	window := int64(20e9)
	if seed/4%2 == 1 {
		window = int64(faults+1) * 60e9
	}
	loss := []float64{0, 0.05, 0.1, 0.2}[seed/8%4]
	if timers.HeartbeatFailuresAllowed > 0 {
		// The heartbeat declares the token lost after that many lost
		// retransmissions in a row: at 20% loss that is a healthy ring's
		// everyday luck, and the ring would re-form every few seconds.
		loss = min(loss, 0.05)
	}
	return Options{
		FaultWindowNs:   window,
		Seed:            seed,
		Nodes:           nodes,
		MaxLoss:         loss,
		Messages:        120,
		MaxMessageBytes: []int{16 << 10, 1024, 1024}[seed%3],
		SafeFraction:    0.25,
		Faults:          faults,
		MaxSkew:         0.05,
		Timers:          totem.TimersFor(timers),
	}
}
