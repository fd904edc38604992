package report

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/gorosync/gorosync/bench/measure"
	"github.com/gorosync/gorosync/bench/suite"
)

// Options say where the plots are, relative to the markdown file.
type Options struct {
	Plots map[string]string // chart name → path
}

func (o Options) plot(w io.Writer, name, alt string) {
	if p, ok := o.Plots[name]; ok {
		fmt.Fprintf(w, "![%s](%s)\n\n", alt, p)
	}
}

// Suite writes a section per scenario that r holds.
func Suite(w io.Writer, r *suite.Results, o Options) {
	opts := r.Options
	fmt.Fprintf(w, "Measured %s–%s UTC, median of %d runs per point (range in brackets); ratios are gorosync/corosync medians.\n\n",
		r.Started.Format("2006-01-02 15:04"), r.Finished.Format("15:04"), opts.Repeat)
	if opts.GorosyncConf != "" {
		fmt.Fprintf(w, "**gorosync ran with extra configuration** (not in corosync's): `%s`.\n\n", strings.Join(strings.Fields(opts.GorosyncConf), " "))
	}
	if len(r.Throughput) > 0 {
		throughputTables(w, r, o)
		resourceTable(w, r)
	}
	if len(r.Latency) > 0 {
		latencyTable(w, r, o)
	}
	if len(r.IPC) > 0 {
		ipcTable(w, r)
	}
	if len(r.Loss) > 0 {
		lossTable(w, r)
	}
	if len(r.GC) > 0 {
		gcTable(w, r)
	}
	if len(r.Failover) > 0 {
		failoverTable(w, r, o)
	}
	if len(r.Failures) > 0 {
		fmt.Fprintf(w, "**Measurements that failed** (%d):\n\n", len(r.Failures))
		for _, f := range r.Failures {
			fmt.Fprintf(w, "- %s, %s: `%s`\n", f.Daemon.Label(), f.What, oneLine(f.Err, 300))
		}
		fmt.Fprintln(w)
	}
}

func throughputTables(w io.Writer, r *suite.Results, o Options) {
	opts := r.Options
	fmt.Fprintf(w, "### cpg throughput\n\n")
	fmt.Fprintf(w, "Agreed `cpg_mcast_joined` as fast as flow control (CS_ERR_TRY_AGAIN) allows, %g s per point from each sender's first own delivery; the rate is the senders' own agreed deliveries per second, summed over senders.\n\n", opts.Seconds)
	for _, nodes := range opts.Nodes {
		for _, snd := range opts.Senders {
			who := "node 1 sends"
			if snd == suite.AllSenders {
				who = "every node sends"
			}
			fmt.Fprintf(w, "**%d nodes, %s:**\n\n", nodes, who)
			t := table{head: []string{"size", "gorosync msgs/s", "MB/s", "corosync 3.1.7 msgs/s", "MB/s", "gorosync/corosync"}}
			marked, checked := false, false
			mark := func(d suite.Daemon, size int) string {
				m := ""
				if tput(r, d, nodes, snd, size, rings).Hi > 0 {
					marked = true
					m += " †"
				}
				if tput(r, d, nodes, snd, size, unchecked).Hi > 0 {
					checked = true
					m += " ‡"
				}
				return m
			}
			for _, size := range opts.Sizes {
				m := both(func(d suite.Daemon) measure.Summary { return tput(r, d, nodes, snd, size, msgs) })
				mb := both(func(d suite.Daemon) measure.Summary { return tput(r, d, nodes, snd, size, mbs) })
				t.add(sizeName(size), cell(m.g, num)+mark(suite.Gorosync, size), fixed(1)(mb.g.Median),
					cell(m.c, num)+mark(suite.Corosync, size), fixed(1)(mb.c.Median), ratio(m.ratio()))
			}
			fmt.Fprintln(w, t.String())
			if marked {
				fmt.Fprintf(w, "† node 1 logged a new ring during at least one run of this point: the token was lost under load (on this 2-core machine, a daemon starved of CPU) and the ring re-formed.\n\n")
			}
			if checked {
				fmt.Fprintf(w, "‡ in at least one run a sender counted own messages still undelivered 5 s after its window (the client cannot tell slow from lost), or deliveries out of order or corrupt: `lost`, `misordered`, `corrupt` in results.json.\n\n")
			}
		}
	}
	o.plot(w, "throughput-msgs", "messages per second against message size")
	o.plot(w, "throughput-mbs", "MB/s against message size")
}

// resourceTable: CPU per message, memory and (gorosync) GC at the first
// cluster size.
func resourceTable(w io.Writer, r *suite.Results) {
	opts := r.Options
	nodes := opts.Nodes[0]
	fmt.Fprintf(w, "### CPU per message, memory, GC (%d nodes)\n\n", nodes)
	fmt.Fprintf(w, "CPU: user + system time of all %d daemons (`/proc/<pid>/stat`, 10 ms ticks) over the whole client run, divided by the messages ordered; each message is delivered on every node, so this is the cluster's cost of one message. Client CPU: the same for the cpgbench processes (getrusage), the libcpg/libqb side. Peak RSS: the largest VmHWM among the daemons after the point. GC cycles and allocated bytes: gorosync's stats map (`stats.gorosync.*`), all nodes, read before and after the point.\n\n", nodes)
	t := table{head: []string{"senders", "size", "gorosync CPU µs/msg", "corosync CPU µs/msg", "gorosync/corosync", "client CPU µs/msg (gorosync / corosync)", "gorosync peak RSS MiB", "corosync peak RSS MiB", "gorosync GC cycles", "gorosync B allocated/msg"}}
	for _, snd := range opts.Senders {
		for _, size := range opts.Sizes {
			c := both(func(d suite.Daemon) measure.Summary { return tput(r, d, nodes, snd, size, cpu) })
			m := both(func(d suite.Daemon) measure.Summary { return tput(r, d, nodes, snd, size, peakMiB) })
			gc := tput(r, suite.Gorosync, nodes, snd, size, gcCycles)
			al := tput(r, suite.Gorosync, nodes, snd, size, allocPerMsg)
			cl := both(func(d suite.Daemon) measure.Summary { return tput(r, d, nodes, snd, size, clientCPU) })
			t.add(string(snd), sizeName(size), cell(c.g, fixed(2)), cell(c.c, fixed(2)), ratio(c.ratio()),
				fixed(2)(nanIfNone(cl.g))+" / "+fixed(2)(nanIfNone(cl.c)),
				fixed(1)(m.g.Median), fixed(1)(m.c.Median), cell(gc, fixed(0)), cell(al, fixed(1)))
		}
	}
	fmt.Fprintln(w, t.String())
}

func latencyTable(w io.Writer, r *suite.Results, o Options) {
	opts := r.Options
	fmt.Fprintf(w, "### cpg latency (3 nodes)\n\n")
	fmt.Fprintf(w, "Node 1 sends %d B agreed messages and times each from `cpg_mcast_joined` to its own delivery (CLOCK_MONOTONIC in the client). *Paced*: %d messages at %d/s. *Ping-pong*: %d messages, each sent when the previous one came back. Percentiles from an HdrHistogram of every sample (3 significant digits); the median of the runs' percentiles, range in brackets.\n\n",
		opts.LatSize, opts.LatCount, opts.LatRate, opts.PingCount)
	t := table{head: []string{"mode", "percentile", "gorosync µs", "corosync 3.1.7 µs", "gorosync/corosync"}}
	pcts := []struct {
		name string
		f    func(measure.Latency) float64
	}{
		{"p50", func(l measure.Latency) float64 { return l.P50Us }},
		{"p99", func(l measure.Latency) float64 { return l.P99Us }},
		{"p99.9", func(l measure.Latency) float64 { return l.P999Us }},
		{"max", func(l measure.Latency) float64 { return l.MaxUs }},
	}
	for _, m := range []suite.LatencyMode{suite.Paced, suite.PingPong} {
		for _, p := range pcts {
			x := both(func(d suite.Daemon) measure.Summary { return lat(r, d, m, p.f) })
			t.add(string(m), p.name, cell(x.g, fixed(0)), cell(x.c, fixed(0)), ratio(x.ratio()))
		}
	}
	fmt.Fprintln(w, t.String())
	tokenVisitTable(w, r)
	o.plot(w, "latency-cdf", "latency distribution")
}

// tokenVisitTable shows what the latency is made of: how many token
// visits to node 1 a message waited for, and the time between visits
// (ping-pong keeps the ring busy, so there it is the rotation time).
func tokenVisitTable(w io.Writer, r *suite.Results) {
	if !slices.ContainsFunc(r.Latency, func(x suite.LatencyRun) bool { return x.TokenVisits > 0 }) {
		return // results from before the suite counted them
	}
	fmt.Fprintf(w, "Token visits to node 1 during each run (`stats.srp.orf_token_rx`, which both daemons keep), per message sent, and the run's time per visit — the token's rotation time in ping-pong, where the ring is never idle; in paced runs the ring idles between messages.\n\n")
	t := table{head: []string{"mode", "gorosync visits/msg", "corosync visits/msg", "gorosync µs/visit", "corosync µs/visit", "gorosync/corosync µs/visit"}}
	for _, m := range []suite.LatencyMode{suite.Paced, suite.PingPong} {
		pick := func(f func(suite.LatencyRun) float64) pair {
			return both(func(d suite.Daemon) measure.Summary {
				return summarize(r.Latency, func(x suite.LatencyRun) bool { return x.Daemon == d && x.Mode == m && x.TokenVisits > 0 }, f)
			})
		}
		v, u := pick(suite.LatencyRun.VisitsPerMessage), pick(suite.LatencyRun.RotationUs)
		t.add(string(m), cell(v.g, fixed(2)), cell(v.c, fixed(2)), cell(u.g, fixed(1)), cell(u.c, fixed(1)), ratio(u.ratio()))
	}
	fmt.Fprintln(w, t.String())
}

func ipcTable(w io.Writer, r *suite.Results) {
	fmt.Fprintf(w, "### IPC (one-node cluster)\n\n")
	fmt.Fprintf(w, "One client in the daemon's namespace, %g s per rate. *cmap_get*: `cmap_get(\"totem.cluster_name\")` back to back on one libcmap connection (a blocking round trip each: two wake-ups), with the scheduler free to place client and daemon, then with both pinned (`taskset`) to one CPU and to two. *cpg to self*: the throughput client alone on a one-node ring, 64 B. CPU: the daemon's, per operation.\n\n", r.Options.IPCSeconds)
	t := table{head: []string{"operation", "gorosync ops/s", "corosync 3.1.7 ops/s", "gorosync/corosync", "gorosync CPU µs/op", "corosync CPU µs/op"}}
	for _, op := range suite.IPCOps() {
		x := both(func(d suite.Daemon) measure.Summary {
			return ipc(r, d, op, func(i suite.IPCRun) float64 { return i.OpsPerS })
		})
		c := both(func(d suite.Daemon) measure.Summary {
			return ipc(r, d, op, func(i suite.IPCRun) float64 { return i.CPUUsPerOp })
		})
		t.add(op, cell(x.g, num), cell(x.c, num), ratio(x.ratio()), cell(c.g, fixed(2)), cell(c.c, fixed(2)))
	}
	fmt.Fprintln(w, t.String())
}

func lossTable(w io.Writer, r *suite.Results) {
	opts := r.Options
	fmt.Fprintf(w, "### Throughput under loss (3 nodes)\n\n")
	fmt.Fprintf(w, "Node 1 sends %s messages for %g s with %d%% random loss on every node's UDP output (nftables); lossless: the throughput scenario's one-sender point of the same size.\n\n",
		sizeName(opts.LossSize), opts.LossSeconds, opts.LossPercent)
	t := table{head: []string{"daemon", "lossless msgs/s", fmt.Sprintf("%d%% loss msgs/s", opts.LossPercent), "kept", "sent, undelivered 5 s after the run"}}
	for _, d := range []suite.Daemon{suite.Gorosync, suite.Corosync} {
		ll := tput(r, d, 3, suite.OneSender, opts.LossSize, msgs)
		ly := summarize(r.Loss, func(x suite.LossRun) bool { return x.Daemon == d }, func(x suite.LossRun) float64 { return x.MsgsPerS })
		if ly.N == 0 {
			continue
		}
		kept := "–"
		if r := measure.Ratio(ly, ll); known(r) {
			kept = fmt.Sprintf("%.1f%%", 100*r)
		}
		und := summarize(r.Loss, func(x suite.LossRun) bool { return x.Daemon == d }, func(x suite.LossRun) float64 { return float64(x.Lost) })
		t.add(d.Label(), cell(ll, num), cell(ly, num), kept, cell(und, fixed(0)))
	}
	fmt.Fprintln(w, t.String())
}

func gcTable(w io.Writer, r *suite.Results) {
	fmt.Fprintf(w, "### Go GC during a long throughput run (gorosync, 3 nodes)\n\n")
	t := table{head: []string{"run", "msgs/s", "GC cycles per node", "allocated per node", "B allocated per message (node 1)", "heap per node after"}}
	for _, g := range r.GC {
		perMsg := math.NaN()
		if g.Messages > 0 && len(g.AllocBytes) > 0 {
			perMsg = float64(g.AllocBytes[0]) / float64(g.Messages)
		}
		t.add(fmt.Sprintf("%s for %g s, node 1 sending", sizeName(g.Size), g.Seconds), num(g.MsgsPerS),
			joinInts(g.GCCycles, ""), joinInts(g.AllocBytes, " B"), fixed(2)(perMsg), joinInts(g.HeapBytes, " B"))
	}
	fmt.Fprintln(w, t.String())
}

// killCounts says how many kills each token setting got.
func killCounts(o suite.Options) string {
	var parts []string
	for _, t := range o.Failover {
		name := "token " + t.String()
		if t.TokenMs == 0 {
			name = "the default token"
		}
		parts = append(parts, fmt.Sprintf("%d times with %s", o.TrialsFor(t), name))
	}
	return strings.Join(parts, ", ")
}

func failoverTable(w io.Writer, r *suite.Results, o Options) {
	fmt.Fprintf(w, "### Failover (3 nodes)\n\n")
	fmt.Fprintf(w, "A cpg client on every node (model v1, totem confchgs on); node 3's daemon is killed with SIGKILL, restarted 0.5 s after the survivors' confchgs, %s. Times come from the clients' callbacks (CLOCK_MONOTONIC): *kill → ring*: the later survivor's totem confchg without node 3; *kill → cpg confchg*: the later survivor's group confchg listing node 3's process as left (what applications see); *restart → rejoin*: from starting node 3's daemon to node 1's totem confchg with it (includes the daemon's start-up).\n\n", killCounts(r.Options))
	t := table{head: []string{"token", "measure", "gorosync ms", "corosync 3.1.7 ms", "gorosync/corosync"}}
	measures := []struct {
		name string
		f    func(suite.FailoverTrial) float64
	}{
		{"kill → ring", func(x suite.FailoverTrial) float64 { return x.KillToRingMs }},
		{"kill → cpg confchg", func(x suite.FailoverTrial) float64 { return x.KillToConfchgMs }},
		{"restart → rejoin", func(x suite.FailoverTrial) float64 { return x.RestartToRejoinMs }},
	}
	for _, tok := range r.Options.Failover {
		for _, m := range measures {
			x := both(func(d suite.Daemon) measure.Summary { return fail(r, d, tok, m.f) })
			t.add(tok.Describe(3), m.name, cell(x.g, fixed(0)), cell(x.c, fixed(0)), ratio(x.ratio()))
		}
	}
	fmt.Fprintln(w, t.String())
	names := make([]string, 0, len(o.Plots))
	for n := range o.Plots {
		if strings.HasPrefix(n, "failover-") {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		o.plot(w, n, "failover timeline")
	}
}

func joinInts(xs []int64, unit string) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprintf("%d%s", x, unit)
	}
	return strings.Join(s, ", ")
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return strings.ReplaceAll(s, "`", "'")
}
