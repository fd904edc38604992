package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sync"
	"time"
)

// trafficOptions configure the test hook that stands in for cpg until cpg
// exists: this node submits numbered messages and records what it delivers,
// so the cluster harness can check that every node saw the same total order
// and can measure throughput and latency.
type trafficOptions struct {
	Count       int           // messages to submit (0: none)
	Size        int           // bytes per message, at least headerBytes
	Rate        int           // messages per second (0: as fast as flow control allows)
	WaitMembers int           // start once a ring of this many members is installed (0: every node)
	After       time.Duration // and this long after that (time for a test to set up faults)
	DeliveryLog string        // write "sender seq" per delivered message here
	Expect      int           // print "gorosync-traffic: delivered N" once N messages were delivered
}

// maxLatencySamples bounds the latency record (8 MiB).
const maxLatencySamples = 1 << 20

// A test message starts with the sender's sequence number and its send
// time (ns on the daemon's monotonic clock), both big-endian.
const headerBytes = 16

// traffic is the hook's state. Deliveries arrive on the token loop's
// goroutine; the report is read at exit.
type traffic struct {
	opts  trafficOptions
	start time.Time

	mu        sync.Mutex
	log       *bufio.Writer
	logFile   *os.File
	delivered int
	own       int
	firstAt   time.Time
	lastAt    time.Time
	latencyNs []int64 // send → own delivery, preallocated to Count
	logErr    error
}

func newTraffic(opts trafficOptions) (*traffic, error) {
	if opts.Size < headerBytes {
		opts.Size = headerBytes
	}
	tr := &traffic{opts: opts, start: time.Now(), latencyNs: make([]int64, 0, min(opts.Count, maxLatencySamples))}
	if opts.DeliveryLog != "" {
		f, err := os.Create(opts.DeliveryLog)
		if err != nil {
			return nil, err
		}
		tr.logFile, tr.log = f, bufio.NewWriterSize(f, 1<<20)
	}
	return tr, nil
}

// onDeliver records one delivered message (on the loop's goroutine).
func (tr *traffic) onDeliver(self, sender uint32, payload []byte) {
	now := time.Now()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	if tr.delivered == 0 {
		tr.firstAt = now
	}
	tr.delivered++
	tr.lastAt = now
	if tr.delivered == tr.opts.Expect {
		fmt.Printf("gorosync-traffic: delivered %d\n", tr.delivered)
	}
	if len(payload) < headerBytes {
		return
	}
	seq := binary.BigEndian.Uint64(payload)
	if sender == self {
		tr.own++
		sent := int64(binary.BigEndian.Uint64(payload[8:]))
		if len(tr.latencyNs) < cap(tr.latencyNs) {
			tr.latencyNs = append(tr.latencyNs, int64(now.Sub(tr.start))-sent)
		}
	}
	if tr.log != nil && tr.logErr == nil {
		_, tr.logErr = fmt.Fprintf(tr.log, "%d %d\n", sender, seq)
	}
}

// send submits the messages once ready() says the ring is there; submit
// returns an error while the loop's inbox is full.
func (tr *traffic) send(ctx context.Context, ready func() bool, submit func([]byte) error) {
	for !ready() {
		select {
		case <-ctx.Done():
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
	select {
	case <-ctx.Done():
		return
	case <-time.After(tr.opts.After):
	}
	msg := make([]byte, tr.opts.Size)
	var interval time.Duration
	if tr.opts.Rate > 0 {
		interval = time.Second / time.Duration(tr.opts.Rate)
	}
	next := time.Now()
	for seq := 0; seq < tr.opts.Count && ctx.Err() == nil; {
		if interval > 0 {
			if d := time.Until(next); d > 0 {
				time.Sleep(d)
			}
			next = next.Add(interval)
		}
		binary.BigEndian.PutUint64(msg, uint64(seq))
		binary.BigEndian.PutUint64(msg[8:], uint64(time.Since(tr.start)))
		if submit(msg) == nil {
			seq++
			continue
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// trafficReport is the line the harness and the bench suite read.
type trafficReport struct {
	Node      uint32  `json:"node"`
	Delivered int     `json:"delivered"`
	Own       int     `json:"own"`
	Seconds   float64 `json:"seconds"`
	MsgsPerS  float64 `json:"msgs_per_s"`
	P50Us     float64 `json:"p50_us"`
	P99Us     float64 `json:"p99_us"`
	MaxUs     float64 `json:"max_us"`
}

// report flushes the delivery log and summarises what was delivered.
func (tr *traffic) report(node uint32) (trafficReport, error) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	r := trafficReport{Node: node, Delivered: tr.delivered, Own: tr.own}
	if el := tr.lastAt.Sub(tr.firstAt).Seconds(); el > 0 {
		r.Seconds, r.MsgsPerS = el, float64(tr.delivered)/el
	}
	if n := len(tr.latencyNs); n > 0 {
		lat := slices.Clone(tr.latencyNs)
		slices.Sort(lat)
		r.P50Us = float64(lat[n/2]) / 1e3
		r.P99Us = float64(lat[min(n-1, n*99/100)]) / 1e3
		r.MaxUs = float64(lat[n-1]) / 1e3
	}
	err := tr.logErr
	if tr.log != nil {
		if e := tr.log.Flush(); err == nil {
			err = e
		}
		if e := tr.logFile.Close(); err == nil {
			err = e
		}
		tr.log = nil
	}
	return r, err
}

// printReport writes the human line the demo reads and the JSON line the
// harness reads.
func printReport(r trafficReport) {
	fmt.Printf("node %d delivered %d messages (%.0f msgs/s)\n", r.Node, r.Delivered, r.MsgsPerS)
	b, _ := json.Marshal(r)
	fmt.Printf("gorosync-traffic: %s\n", b)
}
