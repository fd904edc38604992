package suite

import (
	"strings"
	"testing"

	"github.com/gorosync/gorosync/bench/cluster"
)

func TestParseTotem(t *testing.T) {
	for in, want := range map[string]Totem{"default": {}, "300": {TokenMs: 300}, " 150 ": {TokenMs: 150}} {
		if got, err := ParseTotem(in); err != nil || got != want {
			t.Errorf("ParseTotem(%q) = %+v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "49", "60001", "3s", "300ms", "0300"} {
		if _, err := ParseTotem(bad); err == nil {
			t.Errorf("ParseTotem(%q): no error", bad)
		}
	}
	if s := (Totem{}).Describe(3); s != "defaults: token 3650 ms (3000 + 650 × 1), consensus 4380 ms" {
		t.Errorf("Describe = %q", s)
	}
}

func TestOptionsCheck(t *testing.T) {
	if err := DefaultOptions().Check(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for name, f := range map[string]func(*Options){
		"scenario":  func(o *Options) { o.Scenarios = append(o.Scenarios, "fly") },
		"no daemon": func(o *Options) { o.Daemons = nil },
		"repeat":    func(o *Options) { o.Repeat = 0 },
		"nodes":     func(o *Options) { o.Nodes = []int{17} },
		"size":      func(o *Options) { o.Sizes = []int{8} },
		"loss":      func(o *Options) { o.LossPercent = 100 },
		"failover":  func(o *Options) { o.Trials = 0 },
		"tuned":     func(o *Options) { o.TunedTrials = -1 },
	} {
		o := DefaultOptions()
		f(&o)
		if err := o.Check(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	// Steps: 3 reps × (2 cluster sizes × 2 daemons × 4 sizes × 2 sender
	// sets + 2 × 2 latency + 2 × IPC ops + 2 loss) + 2 GC sizes + 2 daemons
	// × (3 kills with the default token + 15 with 300 ms).
	if got, want := DefaultOptions().steps(), 3*(32+4+2*len(ipcOps())+2)+2+2*(3+15); got != want {
		t.Errorf("steps = %d, want %d", got, want)
	}
}

func TestConf(t *testing.T) {
	n := &cluster.Node{Index: 1, Name: "n1", Dir: "/d/n1", LogPath: "/d/n1/log/daemon.log"}
	def := topology{daemon: Gorosync, nodes: 3}.conf(n)
	tuned := topology{daemon: Corosync, nodes: 3, totem: Totem{TokenMs: 100}}.conf(n)
	for _, want := range []string{"transport: udpu", "ring0_addr: 198.18.0.3", "logfile: /d/n1/log/daemon.log", "state_dir: /d/n1/lib"} {
		if !strings.Contains(def, want) {
			t.Errorf("conf lacks %q:\n%s", want, def)
		}
	}
	if strings.Contains(def, "token") {
		t.Errorf("default conf sets a token:\n%s", def)
	}
	for _, want := range []string{"token: 100\n", "token_coefficient: 0\n", "token_retransmits_before_loss_const: 1\n"} {
		if !strings.Contains(tuned, want) {
			t.Errorf("tuned conf lacks %q:\n%s", want, tuned)
		}
	}
}

func TestRuntimeDelta(t *testing.T) {
	a := []runtimeStats{{gcCycles: 1, totalAlloc: 100}, {gcCycles: 5, totalAlloc: 50}}
	b := []runtimeStats{{gcCycles: 2, totalAlloc: 150}, {gcCycles: 5, totalAlloc: 60}}
	if gc, alloc := runtimeDelta(a, b); gc != 1 || alloc != 60 {
		t.Errorf("runtimeDelta = %d, %d; want 1, 60", gc, alloc)
	}
	if gc, alloc := runtimeDelta(nil, nil); gc != -1 || alloc != -1 {
		t.Errorf("runtimeDelta of corosync = %d, %d; want -1, -1", gc, alloc)
	}
}

// A tuned token gets TunedTrials kills, the default token Trials; results
// from before TunedTrials (0) mean Trials for both.
func TestTrialsFor(t *testing.T) {
	o := DefaultOptions()
	if d, tuned := o.TrialsFor(Totem{}), o.TrialsFor(Totem{TokenMs: 300}); d != 3 || tuned != 15 {
		t.Errorf("default options: %d and %d kills, want 3 and 15", d, tuned)
	}
	o.TunedTrials = 0
	if tuned := o.TrialsFor(Totem{TokenMs: 300}); tuned != 3 {
		t.Errorf("TunedTrials 0: %d kills with a tuned token, want Trials (3)", tuned)
	}
}
