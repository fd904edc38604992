package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/gorosync/gorosync/bench/suite"
)

// config is the command line.
type config struct {
	Gorosync string // daemon binary
	Corosync string // "" leaves corosync out
	Suite    suite.Options

	Out     string // directory for results.json and the plots ("" none)
	MD      string // markdown file whose generated sections are rewritten ("" none)
	From    string // results.json to report instead of measuring
	Micro   string // `go test -bench` output to tabulate in MD ("" keeps the section)
	Profile string // CPU profiles of the daemons go here
	Keep    bool   // keep the scratch directory
	Format  string // plot format: svg or png
}

func parseFlags(args []string) (config, error) {
	def := suite.DefaultOptions()
	c := config{Suite: def}
	fs := flag.NewFlagSet("gorosync-bench", flag.ContinueOnError)
	fs.StringVar(&c.Gorosync, "gorosync", "bin/gorosync", "the gorosync daemon binary")
	fs.StringVar(&c.Corosync, "corosync", "/usr/sbin/corosync", `corosync's binary ("" leaves it out)`)
	scen := fs.String("scenarios", strings.Join(def.Scenarios, ","), "scenarios to run: "+strings.Join(suite.Scenarios, ","))
	daemons := fs.String("daemons", "gorosync,corosync", "daemons to measure")
	nodes := fs.String("nodes", ints(def.Nodes), "cluster sizes for the throughput scenario")
	sizes := fs.String("sizes", ints(def.Sizes), "throughput message sizes in bytes (suffix K for KiB)")
	senders := fs.String("senders", "one,all", "throughput senders: one (node 1) and/or all (every node)")
	fs.Float64Var(&c.Suite.Seconds, "seconds", def.Seconds, "seconds per throughput point")
	fs.IntVar(&c.Suite.InFlight, "inflight", def.InFlight, "bound on each throughput client's own messages in flight (0: none, only the daemon's flow control)")
	fs.IntVar(&c.Suite.Repeat, "repeat", def.Repeat, "runs per point (tables give the median and range)")
	fs.IntVar(&c.Suite.LatSize, "lat-size", def.LatSize, "latency message size in bytes")
	fs.IntVar(&c.Suite.LatCount, "lat-count", def.LatCount, "paced latency: messages")
	fs.IntVar(&c.Suite.LatRate, "lat-rate", def.LatRate, "paced latency: messages per second")
	fs.IntVar(&c.Suite.PingCount, "ping-count", def.PingCount, "ping-pong latency: messages")
	tokens := fs.String("tokens", "default,300", `failover token settings: "default" (token 3000 ms + coefficient) or ms with coefficient 0`)
	fs.IntVar(&c.Suite.Trials, "trials", def.Trials, "kills with the default failover token")
	fs.IntVar(&c.Suite.TunedTrials, "tuned-trials", def.TunedTrials, "kills with each tuned failover token (ms)")
	fs.Float64Var(&c.Suite.IPCSeconds, "ipc-seconds", def.IPCSeconds, "seconds per IPC rate")
	fs.Float64Var(&c.Suite.GCSeconds, "gc-seconds", def.GCSeconds, "seconds of gorosync throughput whose GC cycles are counted")
	gcSizes := fs.String("gc-sizes", ints(def.GCSizes), "message sizes of the GC runs (suffix K for KiB)")
	fs.IntVar(&c.Suite.LossPercent, "loss-percent", def.LossPercent, "loss scenario: random loss on every node's output")
	fs.Float64Var(&c.Suite.LossSeconds, "loss-seconds", def.LossSeconds, "loss scenario: seconds")
	fs.StringVar(&c.Suite.GorosyncConf, "gorosync-conf", "", `extra corosync.conf text for gorosync only, one key per line as corosync's parser wants, e.g. $'dataplane {\n idle: spin\n}' in bash`)
	fs.StringVar(&c.Out, "out", "", "write results.json and the plots (SVG) to this directory")
	fs.StringVar(&c.MD, "md", "", "rewrite the generated sections of this markdown file (BENCHMARKS.md)")
	fs.StringVar(&c.From, "from", "", "report this results.json instead of measuring")
	fs.StringVar(&c.Micro, "micro", "", "go test -bench output to tabulate in -md's micro-benchmark section")
	fs.StringVar(&c.Profile, "profile", "", "write CPU profiles of the daemons here (gorosync: pprof; corosync: perf.data when perf is installed)")
	fs.StringVar(&c.Format, "plot-format", "svg", "plot format: svg or png")
	fs.BoolVar(&c.Keep, "keep", false, "keep the scratch directory (daemon logs, configs)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() != 0 {
		return c, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	var errs []error
	add := func(err error) { errs = append(errs, err) }
	c.Suite.Scenarios = split(*scen)
	var err error
	if c.Suite.Daemons, err = parseList(*daemons, suite.ParseDaemon); err != nil {
		add(err)
	}
	if c.Suite.Nodes, err = parseList(*nodes, strconv.Atoi); err != nil {
		add(err)
	}
	if c.Suite.Sizes, err = parseList(*sizes, parseSize); err != nil {
		add(err)
	}
	if c.Suite.Senders, err = parseList(*senders, parseSenders); err != nil {
		add(err)
	}
	if c.Suite.GCSizes, err = parseList(*gcSizes, parseSize); err != nil {
		add(err)
	}
	if c.Suite.Failover, err = parseList(*tokens, suite.ParseTotem); err != nil {
		add(err)
	}
	if c.From == "" {
		add(c.Suite.Check())
	}
	return c, errors.Join(errs...)
}

func split(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func parseList[T any](s string, parse func(string) (T, error)) ([]T, error) {
	var out []T
	for _, f := range split(s) {
		v, err := parse(f)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// parseSize reads bytes, or KiB with a K suffix ("16K").
func parseSize(s string) (int, error) {
	mult := 1
	if t, ok := strings.CutSuffix(strings.ToUpper(s), "K"); ok {
		s, mult = t, 1024
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("size %q: want bytes or KiB with K", s)
	}
	return n * mult, nil
}

func parseSenders(s string) (suite.Senders, error) {
	switch suite.Senders(s) {
	case suite.OneSender, suite.AllSenders:
		return suite.Senders(s), nil
	}
	return "", fmt.Errorf("senders %q: want one or all", s)
}

func ints(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}
