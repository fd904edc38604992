package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gorosync/gorosync/bench/chart"
	"github.com/gorosync/gorosync/bench/cluster"
	"github.com/gorosync/gorosync/bench/cmapbench"
	"github.com/gorosync/gorosync/bench/cpgbench"
	"github.com/gorosync/gorosync/bench/report"
	"github.com/gorosync/gorosync/bench/suite"
)

func run(ctx context.Context, c config) error {
	var res *suite.Results
	var err error
	if c.From != "" {
		res, err = suite.Load(c.From)
	} else {
		res, err = measure(ctx, c)
	}
	if res == nil {
		return err
	}
	measureErr := err
	if err := write(c, res); err != nil {
		return errors.Join(measureErr, err)
	}
	return measureErr
}

// measure runs the suite; on an interrupted run it still returns what was
// measured.
func measure(ctx context.Context, c config) (*suite.Results, error) {
	if err := cluster.Available(); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "gorosync-bench-")
	if err != nil {
		return nil, err
	}
	if c.Keep {
		fmt.Fprintln(os.Stderr, "gorosync-bench: scratch directory", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	env := &suite.Env{Dir: dir, Progress: &suite.Progress{W: os.Stderr}}
	if env.Gorosync, err = filepath.Abs(c.Gorosync); err != nil {
		return nil, err
	}
	if env.CPGBench, err = cpgbench.Build(filepath.Join(dir, "clients")); err != nil {
		return nil, err
	}
	if env.CMAPBench, err = cmapbench.Build(filepath.Join(dir, "clients")); err != nil {
		return nil, err
	}
	o := c.Suite
	if slices.Contains(o.Daemons, suite.Corosync) {
		if _, err := os.Stat(c.Corosync); c.Corosync == "" || err != nil {
			fmt.Fprintf(os.Stderr, "gorosync-bench: corosync (%q) not found: left out\n", c.Corosync)
			o.Daemons = slices.DeleteFunc(o.Daemons, func(d suite.Daemon) bool { return d == suite.Corosync })
		}
		env.Corosync = c.Corosync
	}
	if slices.Contains(o.Daemons, suite.Gorosync) {
		if _, err := os.Stat(env.Gorosync); err != nil {
			return nil, fmt.Errorf("gorosync binary: %w (go build -o bin/ ./cmd/gorosync)", err)
		}
	}
	if c.Profile != "" {
		if env.ProfileDir, err = filepath.Abs(c.Profile); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(env.ProfileDir, 0o755); err != nil {
			return nil, err
		}
	}
	return env.Run(ctx, o, machine())
}

// write saves the results and plots (-out), prints the tables and
// rewrites the markdown file's generated sections (-md).
func write(c config, res *suite.Results) error {
	plots := map[string]string{} // plot name → path
	if c.Out != "" {
		if err := os.MkdirAll(c.Out, 0o755); err != nil {
			return err
		}
		if c.From == "" {
			if err := res.Save(filepath.Join(c.Out, "results.json")); err != nil {
				return err
			}
		}
		files, err := chart.All(res, c.Out, c.Format)
		if err != nil {
			return err
		}
		plots = files
	}
	ropts := report.Options{Plots: map[string]string{}}
	base := "."
	if c.MD != "" {
		base = filepath.Dir(c.MD)
	}
	for name, path := range plots {
		rel, err := filepath.Rel(base, path)
		if err != nil {
			rel = path
		}
		ropts.Plots[name] = filepath.ToSlash(rel)
	}
	var suiteMD strings.Builder
	report.Suite(&suiteMD, res, ropts)
	fmt.Print(suiteMD.String())
	if c.MD == "" {
		return nil
	}
	sections := map[string]string{
		report.SectionMachine: report.Machine(res),
		report.SectionTargets: report.Targets(res),
		report.SectionSuite:   suiteMD.String(),
	}
	if c.Micro != "" {
		b, err := os.ReadFile(c.Micro)
		if err != nil {
			return err
		}
		micro, err := report.Micro(b)
		if err != nil {
			return err
		}
		sections[report.SectionMicro] = micro
	}
	return report.RewriteFile(c.MD, sections)
}
