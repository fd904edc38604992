package nsbench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/gorosync/gorosync/bench/cluster"
	"github.com/gorosync/gorosync/bench/cpgbench"
)

// Rate is one throughput or latency run, as node 1 saw its own messages.
type Rate struct {
	MsgsPerS            float64
	P50Us, P99Us, MaxUs float64
	Lost                uint64 // corosync's client counts losses; the hook's order check is the integration tests'
}

// hookReport is the JSON line gorosync's test hook prints at exit.
type hookReport struct {
	Delivered int     `json:"delivered"`
	Own       int     `json:"own"`
	MsgsPerS  float64 `json:"msgs_per_s"`
	P50Us     float64 `json:"p50_us"`
	P99Us     float64 `json:"p99_us"`
	MaxUs     float64 `json:"max_us"`
}

var hookLine = regexp.MustCompile(`gorosync-traffic: (\{.*\})$`)

// Throughput sends size-byte messages from node 1 of a 3-node cluster as
// fast as flow control allows for about seconds, with lossPercent random
// loss on every node's output, and returns node 1's delivered rate.
func (e *Env) Throughput(ctx context.Context, d Daemon, size, lossPercent int, seconds float64) (Rate, error) {
	e.progress("%s: throughput %d B, %d%% loss, %.0f s", d, size, lossPercent, seconds)
	t := topo{daemon: d, nodes: 3, tokenMs: 3000,
		hook: []string{"-demo-send", "1000000000", "-demo-size", fmt.Sprint(size), "-demo-members", "3"}}
	c, err := e.start(ctx, t)
	if err != nil {
		return Rate{}, err
	}
	defer c.Close()
	if err := lossEverywhere(c, lossPercent); err != nil {
		return Rate{}, err
	}
	if d == Corosync {
		res, err := e.cpgbench(ctx, c, "-m", "throughput", "-s", fmt.Sprint(size), "-t", fmt.Sprint(seconds))
		return Rate{MsgsPerS: res.MsgsPerS, Lost: res.Lost}, err
	}
	if !sleep(ctx, time.Duration(seconds*float64(time.Second))) {
		return Rate{}, ctx.Err()
	}
	r, err := stopAndReport(c.Node(1))
	return Rate{MsgsPerS: r.MsgsPerS}, err
}

// Latency sends count size-byte messages paced at rate from node 1 and
// returns the send → own agreed delivery percentiles.
func (e *Env) Latency(ctx context.Context, d Daemon, size, count, rate int) (Rate, error) {
	e.progress("%s: latency %d B, %d messages at %d/s", d, size, count, rate)
	t := topo{daemon: d, nodes: 3, tokenMs: 3000,
		hook: []string{"-demo-send", fmt.Sprint(count), "-demo-size", fmt.Sprint(size), "-demo-rate", fmt.Sprint(rate),
			"-demo-members", "3", "-demo-expect", fmt.Sprint(count)}}
	c, err := e.start(ctx, t)
	if err != nil {
		return Rate{}, err
	}
	defer c.Close()
	if d == Corosync {
		res, err := e.cpgbench(ctx, c, "-m", "latency", "-s", fmt.Sprint(size), "-n", fmt.Sprint(count), "-r", fmt.Sprint(rate))
		return Rate{MsgsPerS: float64(rate), P50Us: res.P50Us, P99Us: res.P99Us, MaxUs: res.MaxUs, Lost: res.Lost}, err
	}
	wait, cancel := context.WithTimeout(ctx, time.Duration(count/rate+30)*time.Second)
	defer cancel()
	if _, _, err := c.Node(1).WaitOutput(wait, regexp.MustCompile(fmt.Sprintf(`gorosync-traffic: delivered %d$`, count)), 0); err != nil {
		return Rate{}, fmt.Errorf("gorosync latency run: %w", err)
	}
	r, err := stopAndReport(c.Node(1))
	return Rate{MsgsPerS: float64(rate), P50Us: r.P50Us, P99Us: r.P99Us, MaxUs: r.MaxUs}, err
}

// Failover kills node 3 with SIGKILL trials times and returns, per trial,
// the time from the kill to node 1 logging the ring without it. Node 3 is
// restarted and rejoins between trials.
func (e *Env) Failover(ctx context.Context, d Daemon, tokenMs, trials int) ([]time.Duration, error) {
	e.progress("%s: kill -9 → new ring, token %d ms, %d trials", d, tokenMs, trials)
	c, err := e.start(ctx, topo{daemon: d, nodes: 3, tokenMs: tokenMs, coeffZero: true})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	bound := 10*time.Duration(tokenMs)*time.Millisecond + 10*time.Second
	var out []time.Duration
	pos := c.Node(1).OutputSize()
	for range trials {
		if !sleep(ctx, time.Second) { // a settled ring
			return out, ctx.Err()
		}
		killed := time.Now()
		if err := c.Node(3).Kill(); err != nil {
			return out, err
		}
		m, err := waitMembers(ctx, c.Node(1), 2, pos, bound)
		if err != nil {
			return out, err
		}
		// The log stamps milliseconds; the kill is known to the µs.
		out = append(out, max(m.at.Sub(killed.Truncate(time.Millisecond)), 0))
		if err := c.Node(3).Start(); err != nil {
			return out, err
		}
		if m, err = waitMembers(ctx, c.Node(1), 3, m.pos, bound); err != nil {
			return out, err
		}
		pos = m.pos
	}
	return out, nil
}

// cpgbench runs the libcpg client in node 1's namespace.
func (e *Env) cpgbench(ctx context.Context, c *cluster.Cluster, args ...string) (cpgbench.Result, error) {
	out, err := c.Node(1).Exec(ctx, append([]string{e.CPGBench}, args...)...)
	if err != nil {
		return cpgbench.Result{}, fmt.Errorf("cpgbench %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return cpgbench.Parse(out)
}

// stopAndReport stops gorosync on n (SIGTERM) and reads its hook report.
func stopAndReport(n *cluster.Node) (hookReport, error) {
	if err := n.Stop(10 * time.Second); err != nil {
		return hookReport{}, err
	}
	b, err := os.ReadFile(n.OutPath)
	if err != nil {
		return hookReport{}, err
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for _, l := range slices.Backward(lines) {
		if m := hookLine.FindStringSubmatch(l); m != nil {
			var r hookReport
			return r, json.Unmarshal([]byte(m[1]), &r)
		}
	}
	return hookReport{}, fmt.Errorf("%s printed no report:\n%s", n.Name, n.Tail(2000))
}

func lossEverywhere(c *cluster.Cluster, percent int) error {
	if percent == 0 {
		return nil
	}
	for _, n := range c.Nodes() {
		if err := c.Loss(n.Index, percent); err != nil {
			return err
		}
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}
