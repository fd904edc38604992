package sim

import (
	"bufio"
	"fmt"
	"github.com/gorosync/gorosync/services"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gorosync/gorosync/dataplane/oracle"
	"github.com/gorosync/gorosync/dataplane/totem"
)

// Scripted scenarios, in the style of etcd-raft's interaction tests: a file
// of commands, each followed by "----" and the output it must produce.
//
//	add-nodes 5 [seed=1] [loss=0.05] [token=1000ms]  start 5 nodes apart
//	partition 1,2|3,4,5    only nodes of one group hear each other
//	cut 1->2               frames from 1 no longer reach 2
//	burst 500ms 0.5        every link also loses half its frames for 500 ms
//	heal                   everyone reaches everyone
//	crash 2 | restart 2 | leave 2
//	send 10 [safe]         each up node sends 10 messages
//	tick 500ms             advance virtual time
//	stabilize [60s]        run until every group of nodes that hear each
//	                       other shares one ring and every message sent was
//	                       delivered to its sender (or time runs out)
//	status                 state, ring and members of every node
//	check                  run the EVS oracle over everything so far
//
// Output lists the configuration changes each command caused, then what
// the command itself prints.

// ScriptStep is one command of a script and the output it must produce.
type ScriptStep struct {
	Line     int
	Command  string
	Expected string
}

// ParseScript reads a scenario file.
func ParseScript(r io.Reader) ([]ScriptStep, error) {
	var steps []ScriptStep
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		step := ScriptStep{Line: line, Command: text}
		if !sc.Scan() || strings.TrimSpace(sc.Text()) != "----" {
			return nil, fmt.Errorf("line %d: %q must be followed by ----", line, text)
		}
		line++
		var out []string
		for sc.Scan() {
			line++
			if strings.TrimSpace(sc.Text()) == "" {
				break
			}
			out = append(out, sc.Text())
		}
		step.Expected = strings.Join(out, "\n")
		steps = append(steps, step)
	}
	return steps, sc.Err()
}

// FormatScript writes steps back with the given outputs (for -rewrite).
func FormatScript(w io.Writer, steps []ScriptStep, outputs []string) {
	for i, s := range steps {
		fmt.Fprintf(w, "%s\n----\n%s\n\n", s.Command, outputs[i])
	}
}

// Script runs scripted scenarios on a cluster it builds on add-nodes.
type Script struct {
	c *Cluster
	// Services, if set, runs service engines on every node (see
	// Options.Services); stabilize then also waits for sync to complete.
	Services func(id uint32) []services.Engine
	// Commands are extra commands (a service's own checks, such as
	// "quorum"), given the cluster and the command's arguments.
	Commands map[string]func(c *Cluster, args []string) (string, error)
}

// Do runs one command and returns its output.
func (s *Script) Do(command string) (string, error) {
	f := strings.Fields(command)
	if len(f) == 0 {
		return "", fmt.Errorf("empty command")
	}
	if f[0] != "add-nodes" && s.c == nil {
		return "", fmt.Errorf("%s before add-nodes", f[0])
	}
	var out string
	var err error
	if s.c != nil {
		s.c.confLog = s.c.confLog[:0]
	}
	switch f[0] {
	case "add-nodes":
		err = s.addNodes(f[1:])
	case "partition":
		err = s.partition(f[1:])
	case "cut":
		err = s.cut(f[1:])
	case "heal":
		s.c.applyOne(fault{kind: faultHeal})
	case "crash", "restart", "leave":
		err = s.nodeFault(f[0], f[1:])
	case "burst":
		err = s.burst(f[1:])
	case "send":
		err = s.send(f[1:])
	case "tick":
		var d time.Duration
		if d, err = durationArg(f[1:], 0); err == nil {
			s.c.Idle(int64(d))
		}
	case "stabilize":
		var d time.Duration
		if d, err = durationArg(f[1:], 60*time.Second); err == nil {
			if !s.c.runUntil(s.c.now+int64(d), s.c.stable) {
				out = fmt.Sprintf("not stable after %s", d)
			}
		}
	case "status":
		out = s.status()
	case "check":
		out = s.check()
	default:
		cmd, ok := s.Commands[f[0]]
		if !ok {
			err = fmt.Errorf("unknown command %q", f[0])
			break
		}
		out, err = cmd(s.c, f[1:])
	}
	if err != nil {
		return "", err
	}
	lines := slices.Clone(s.c.confLog)
	if out != "" {
		lines = append(lines, out)
	}
	if len(lines) == 0 {
		return "ok", nil
	}
	return strings.Join(lines, "\n"), nil
}

func (s *Script) addNodes(args []string) error {
	if s.c != nil {
		return fmt.Errorf("add-nodes: the cluster exists already")
	}
	if len(args) < 1 {
		return fmt.Errorf("add-nodes N")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil {
		return err
	}
	opt := Options{Nodes: n, Seed: 1, Membership: true, Record: true, MaxMessageBytes: 1024, Messages: 1, Services: s.Services}
	tokenMs := int64(1000)
	for _, kv := range args[1:] {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "seed":
			opt.Seed, err = strconv.ParseUint(v, 10, 64)
		case "loss":
			opt.MaxLoss, err = strconv.ParseFloat(v, 64)
		case "token":
			var d time.Duration
			d, err = time.ParseDuration(v)
			tokenMs = d.Milliseconds()
		default:
			err = fmt.Errorf("add-nodes: unknown option %q", k)
		}
		if err != nil {
			return err
		}
	}
	p := totem.DefaultTimerParams(n)
	p.TokenMs = tokenMs
	opt.Timers = totem.TimersFor(p)
	c, err := NewCluster(opt)
	if err != nil {
		return err
	}
	c.confLog = []string{}
	s.c = c
	return c.Start()
}

func (s *Script) partition(args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("partition 1,2|3,4")
	}
	var groups [][]uint32
	for _, g := range strings.Split(args[0], "|") {
		ids, err := s.ids(strings.Split(g, ","))
		if err != nil {
			return err
		}
		groups = append(groups, ids)
	}
	s.c.applyOne(fault{kind: faultPartition, groups: groups})
	return nil
}

func (s *Script) cut(args []string) error {
	from, to, ok := strings.Cut(strings.Join(args, ""), "->")
	if !ok {
		return fmt.Errorf("cut A->B")
	}
	ids, err := s.ids([]string{from, to})
	if err != nil {
		return err
	}
	s.c.applyOne(fault{kind: faultAsymmetric, node: int(ids[0]) - 1, peer: int(ids[1]) - 1})
	return nil
}

func (s *Script) burst(args []string) error {
	if len(args) != 2 {
		return fmt.Errorf("burst DURATION LOSS")
	}
	d, err := time.ParseDuration(args[0])
	if err != nil {
		return err
	}
	loss, err := strconv.ParseFloat(args[1], 64)
	if err != nil || loss < 0 || loss > 1 {
		return fmt.Errorf("burst: loss %q is not in [0, 1]", args[1])
	}
	s.c.applyOne(fault{kind: faultBurst, durNs: int64(d), loss: loss})
	return nil
}

func (s *Script) nodeFault(kind string, args []string) error {
	ids, err := s.ids(args)
	if err != nil || len(ids) != 1 {
		return fmt.Errorf("%s NODE", kind)
	}
	k := map[string]faultKind{"crash": faultCrash, "restart": faultRestart, "leave": faultLeave}[kind]
	s.c.applyOne(fault{kind: k, node: int(ids[0]) - 1})
	return nil
}

func (s *Script) send(args []string) error {
	if len(args) < 1 {
		return fmt.Errorf("send N [safe]")
	}
	n, err := strconv.Atoi(args[0])
	if err != nil {
		return err
	}
	s.c.opt.SafeFraction = 0
	if len(args) > 1 && args[1] == "safe" {
		s.c.opt.SafeFraction = 1
	}
	s.c.opt.SendGapNs = 1_000
	for _, nd := range s.c.nodes {
		if nd.up {
			nd.quota = nd.sent + n
			s.c.schedule(event{at: s.c.now + 1, kind: evSend, node: int32(nd.idx)})
		}
	}
	return nil
}

func (s *Script) ids(fields []string) ([]uint32, error) {
	var ids []uint32
	for _, f := range fields {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		id, err := strconv.Atoi(f)
		if err != nil || id < 1 || id > len(s.c.nodes) {
			return nil, fmt.Errorf("no node %q", f)
		}
		ids = append(ids, uint32(id))
	}
	return ids, nil
}

func durationArg(args []string, def time.Duration) (time.Duration, error) {
	if len(args) == 0 {
		if def == 0 {
			return 0, fmt.Errorf("a duration is needed")
		}
		return def, nil
	}
	return time.ParseDuration(args[0])
}

func (s *Script) status() string {
	var lines []string
	for _, nd := range s.c.nodes {
		if !nd.up {
			lines = append(lines, fmt.Sprintf("n%d down", nd.id))
			continue
		}
		t := nd.totem
		lines = append(lines, fmt.Sprintf("n%d %s ring %s members %v delivered %d", nd.id, t.State(), t.RingID(), t.Members(), nd.delivered))
	}
	return strings.Join(lines, "\n")
}

func (s *Script) check() string {
	vs := oracle.Check(s.c.rec.Logs(), oracle.Options{Faults: s.c.rec.Faults()})
	if len(vs) == 0 {
		return "oracle: ok"
	}
	var lines []string
	for _, v := range vs {
		lines = append(lines, v.String())
	}
	return strings.Join(lines, "\n")
}

// stable: every group of up nodes that hear each other both ways shares one
// operational ring of exactly that group whose messages every member
// received and delivered, every node sent its quota and got its own
// messages back, and nothing is queued.
func (c *Cluster) stable() bool {
	for _, group := range c.reachGroups() {
		var up []uint32
		for _, id := range group {
			if c.nodes[id-1].up {
				up = append(up, id)
			}
		}
		if len(up) == 0 {
			continue
		}
		first := c.nodes[up[0]-1].totem
		ring, received := first.RingID(), first.ReceivedThrough()
		for _, id := range up {
			nd := c.nodes[id-1]
			t := nd.totem
			if t.State() != totem.StateOperational || t.RingID() != ring || !slices.Equal(t.Members(), up) ||
				t.ReceivedThrough() != received || t.HighDelivered() != received ||
				nd.sent < nd.quota || nd.selfDelivered < nd.sentLife || t.Pending() > 0 || nd.sender.Pending() {
				return false
			}
		}
	}
	return c.servicesSettled()
}

// applyOne applies a fault right now.
func (c *Cluster) applyOne(f fault) {
	c.plan = append(c.plan, f)
	c.applyFault(len(c.plan) - 1)
}
