package suite_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorosync/gorosync/bench/chart"
	"github.com/gorosync/gorosync/bench/cluster"
	"github.com/gorosync/gorosync/bench/cmapbench"
	"github.com/gorosync/gorosync/bench/cpgbench"
	"github.com/gorosync/gorosync/bench/report"
	"github.com/gorosync/gorosync/bench/suite"
)

const corosyncBin = "/usr/sbin/corosync"

// TestSmoke runs the throughput scenario for about a second per daemon on
// a 3-node namespace cluster, gorosync then corosync, and checks that the
// results survive a save and load, that both daemons have numbers, and
// that the report and the plots come out of them. About 15 s.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the namespace cluster smoke test with -short")
	}
	if err := cluster.Available(); err != nil {
		t.Skipf("needs root, ip and nft: %v", err)
	}
	for _, p := range []string{corosyncBin, "/usr/include/corosync/cpg.h", "/usr/include/corosync/cmap.h"} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("needs %s (Debian: corosync libcpg-dev libcmap-dev; make deps): %v", p, err)
		}
	}
	dir := t.TempDir()
	env := &suite.Env{Corosync: corosyncBin, Dir: filepath.Join(dir, "scratch"), Progress: &suite.Progress{W: testWriter{t}}}
	env.Gorosync = buildDaemon(t, dir)
	var err error
	if env.CPGBench, err = cpgbench.Build(filepath.Join(dir, "clients")); err != nil {
		t.Fatal(err)
	}
	if env.CMAPBench, err = cmapbench.Build(filepath.Join(dir, "clients")); err != nil {
		t.Fatal(err)
	}
	o := suite.DefaultOptions()
	o.Scenarios, o.Nodes, o.Sizes, o.Senders, o.Seconds, o.Repeat = []string{suite.ScenarioThroughput}, []int{3}, []int{64}, []suite.Senders{suite.OneSender}, 1, 1
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := env.Run(ctx, o, "smoke test")
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Failures) != 0 {
		t.Fatalf("failures: %+v", res.Failures)
	}

	path := filepath.Join(dir, "results.json")
	if err := res.Save(path); err != nil {
		t.Fatal(err)
	}
	back, err := suite.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []suite.Daemon{suite.Gorosync, suite.Corosync} {
		var p *suite.ThroughputPoint
		for i := range back.Throughput {
			if back.Throughput[i].Daemon == d {
				p = &back.Throughput[i]
			}
		}
		if p == nil {
			t.Fatalf("%s: no throughput point in %+v", d, back.Throughput)
		}
		if p.MsgsPerS <= 0 || p.Messages == 0 || p.CPUUsPerMsg <= 0 || p.PeakKiB <= 0 || p.Lost != 0 || p.Misordered != 0 || p.Corrupt != 0 {
			t.Errorf("%s: implausible point %+v", d, *p)
		}
		if (d == suite.Gorosync) != (p.GCCycles >= 0) {
			t.Errorf("%s: GC cycles %d (gorosync's are read from its stats map, corosync has none)", d, p.GCCycles)
		}
	}

	plots, err := chart.All(back, dir, "svg")
	if err != nil || plots["throughput-msgs"] == "" {
		t.Fatalf("plots %v, %v", plots, err)
	}
	var md strings.Builder
	report.Suite(&md, back, report.Options{Plots: plots})
	if !strings.Contains(md.String(), "| 64 B |") || !strings.Contains(md.String(), "×") || strings.Contains(md.String(), "failed") {
		t.Errorf("report:\n%s", md.String())
	}
	t.Logf("\n%s", md.String())
}

// buildDaemon builds cmd/gorosync into dir.
func buildDaemon(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "gorosync")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/gorosync/gorosync/cmd/gorosync").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
