//go:build linux

package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Limits and defaults.
const (
	MaxNodes      = 16
	MaxLinks      = 8
	DefaultFamily = "gs"

	// StopTimeout is how long Close waits after SIGTERM before SIGKILL.
	StopTimeout = 5 * time.Second

	cmdTimeout  = 20 * time.Second // any one ip/nft command
	reapTimeout = 10 * time.Second // waiting for a SIGKILLed daemon
)

// ErrClosed is returned by operations on a closed cluster.
var ErrClosed = errors.New("cluster: closed")

// Mount is a bind mount made inside a node's private mount namespace before
// its daemon (or an Exec'd command) starts.
type Mount struct {
	Source string // absolute path on the host
	Target string // absolute path as the process sees it
}

// Options describe a cluster.
type Options struct {
	Nodes int // 1..16
	Links int // 1..8; 0 means 1

	// Dir is the base directory (e.g. t.TempDir()); node i gets Dir/n<i>/
	// with run/, lib/ and log/ subdirectories. It must be set.
	Dir string

	// Config returns the config file contents for a node; it is written to
	// n.ConfPath by Build. Every node's Addrs are set before the first call,
	// so n.Cluster().Nodes() can be used to build a nodelist. Nil writes no
	// config file.
	Config func(n *Node) string

	// Command returns the argv (argv[0] an absolute path) that starts a
	// node's daemon, e.g. {"/path/gorosync", "-f", "-c", n.ConfPath}. It is
	// called at every (re)start. Its stdout and stderr go to n.OutPath.
	Command func(n *Node) []string

	// BindRun bind-mounts Dir/n<i>/run over /run for the node's daemon and
	// for Exec/Command (corosync hard-codes /var/run/corosync.pid).
	BindRun bool

	// Mounts returns further bind mounts for a node, made after BindRun's.
	Mounts func(n *Node) []Mount

	// Env is extra environment (KEY=value) for daemons and Exec/Command,
	// appended to the test process's environment.
	Env []string

	// Family is the namespace name family: 1..4 lowercase letters, default
	// "gs". Sweep(Family) removes leftovers of dead processes.
	Family string
}

func (o *Options) check() error {
	if o.Nodes < 1 || o.Nodes > MaxNodes {
		return fmt.Errorf("cluster: Nodes = %d, want 1..%d", o.Nodes, MaxNodes)
	}
	if o.Links == 0 {
		o.Links = 1
	}
	if o.Links < 1 || o.Links > MaxLinks {
		return fmt.Errorf("cluster: Links = %d, want 1..%d", o.Links, MaxLinks)
	}
	if o.Dir == "" {
		return errors.New("cluster: Options.Dir is empty")
	}
	if o.Family == "" {
		o.Family = DefaultFamily
	}
	if !validFamily(o.Family) {
		return fmt.Errorf("cluster: Family %q: want 1..4 lowercase letters", o.Family)
	}
	return nil
}

// Cluster is a set of node namespaces on per-link bridges in a hub namespace.
type Cluster struct {
	opts   Options
	prefix string
	hub    string
	dir    string
	nodes  []*Node

	mu        sync.Mutex
	closed    bool
	released  bool            // prefix given back
	netns     []string        // namespaces created and not yet deleted, in creation order
	tables    map[int]bool    // nodes (1-based) whose namespace holds our nft table
	faults    []nodeFaults    // index i-1
	groups    []int           // partition group per node (index i-1); nil: no partition
	shmBefore map[string]bool // /dev/shm entries at Build; nil if unreadable
	pids      map[int]bool    // every PID this cluster started
	cmds      []*exec.Cmd     // handed out by Node.Command
}

// Addr is node index's address on link: 198.18.link.index.
func Addr(link, index int) netip.Addr {
	return netip.AddrFrom4([4]byte{198, 18, byte(link), byte(index)})
}

// Start builds the topology, writes the configs and starts every daemon. On
// any error it undoes what it made.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.Command == nil {
		return nil, errors.New("cluster: Options.Command is nil")
	}
	c, err := Build(ctx, opts)
	if err != nil {
		return nil, err
	}
	for _, n := range c.nodes {
		if err := n.Start(); err != nil {
			if cerr := c.Close(); cerr != nil {
				err = fmt.Errorf("%w (cleanup: %v)", err, cerr)
			}
			return nil, err
		}
	}
	return c, nil
}

// Build builds the topology and writes the configs; no daemon is started.
// On any error it undoes what it made.
func Build(ctx context.Context, opts Options) (*Cluster, error) {
	return build(ctx, opts)
}

func build(ctx context.Context, opts Options) (_ *Cluster, err error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	Sweep(opts.Family)
	prefix, err := allocPrefix(opts.Family)
	if err != nil {
		return nil, err
	}
	if err := writeRecord(prefix); err != nil {
		releasePrefix(prefix)
		return nil, err
	}
	c := &Cluster{
		opts:   opts,
		prefix: prefix,
		hub:    prefix + "hub",
		dir:    dir,
		tables: map[int]bool{},
		faults: make([]nodeFaults, opts.Nodes),
		pids:   map[int]bool{},
	}
	defer func() {
		if err != nil {
			if cerr := c.Close(); cerr != nil {
				err = fmt.Errorf("%w (cleanup: %v)", err, cerr)
			}
		}
	}()
	c.shmBefore = listShm()

	for i := 1; i <= opts.Nodes; i++ {
		name := "n" + strconv.Itoa(i)
		nd := filepath.Join(dir, name)
		n := &Node{
			Index:    i,
			Name:     name,
			NS:       prefix + name,
			Dir:      nd,
			ConfPath: filepath.Join(nd, "corosync.conf"),
			OutPath:  filepath.Join(nd, "out.log"),
			LogPath:  filepath.Join(nd, "log", "daemon.log"),
			c:        c,
		}
		for l := 0; l < opts.Links; l++ {
			n.Addrs = append(n.Addrs, Addr(l, i))
		}
		c.nodes = append(c.nodes, n)
	}
	for _, n := range c.nodes {
		for _, sub := range []string{"run", "lib", "log"} {
			if err := os.MkdirAll(filepath.Join(n.Dir, sub), 0o755); err != nil {
				return nil, fmt.Errorf("cluster: %w", err)
			}
		}
		if opts.Config != nil {
			if err := os.WriteFile(n.ConfPath, []byte(opts.Config(n)), 0o644); err != nil {
				return nil, fmt.Errorf("cluster: %w", err)
			}
		}
	}

	if err := c.addNetns(ctx, c.hub); err != nil {
		return nil, err
	}
	for _, n := range c.nodes {
		if err := c.addNetns(ctx, n.NS); err != nil {
			return nil, err
		}
	}
	var hub strings.Builder
	hub.WriteString("link set lo up\n")
	for l := 0; l < opts.Links; l++ {
		fmt.Fprintf(&hub, "link add br%d type bridge stp_state 0 mcast_snooping 0\n", l)
		fmt.Fprintf(&hub, "link set br%d up\n", l)
	}
	for _, n := range c.nodes {
		for l := 0; l < opts.Links; l++ {
			peer := fmt.Sprintf("n%dl%d", n.Index, l)
			fmt.Fprintf(&hub, "link add %s type veth peer name eth%d netns %s\n", peer, l, n.NS)
			fmt.Fprintf(&hub, "link set %s master br%d up\n", peer, l)
		}
	}
	if err := ipBatch(ctx, c.hub, hub.String()); err != nil {
		return nil, err
	}
	for _, n := range c.nodes {
		var b strings.Builder
		b.WriteString("link set lo up\n")
		for l, a := range n.Addrs {
			fmt.Fprintf(&b, "addr add %s/24 dev eth%d\n", a, l)
			fmt.Fprintf(&b, "link set eth%d up\n", l)
		}
		if err := ipBatch(ctx, n.NS, b.String()); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *Cluster) addNetns(ctx context.Context, name string) error {
	if _, err := run(ctx, "", "ip", "netns", "add", name); err != nil {
		return err
	}
	c.mu.Lock()
	c.netns = append(c.netns, name)
	c.mu.Unlock()
	return nil
}

// Close stops every daemon (SIGTERM, SIGKILL after StopTimeout, always by
// PID), kills anything else left in the namespaces, deletes the nft tables
// and namespaces it created and removes the /dev/shm entries its processes
// created. It may be called again; a later call retries what failed.
func (c *Cluster) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()

	var (
		errsMu sync.Mutex
		errs   []error
	)
	addErr := func(err error) {
		if err != nil {
			errsMu.Lock()
			errs = append(errs, err)
			errsMu.Unlock()
		}
	}
	var wg sync.WaitGroup
	for _, n := range c.nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			addErr(n.Stop(StopTimeout))
		}()
	}
	wg.Wait()

	ctx, cancel := context.WithTimeout(context.Background(), 2*cmdTimeout)
	defer cancel()

	c.mu.Lock()
	nss := slices.Clone(c.netns)
	tables := make([]int, 0, len(c.tables))
	for i := range c.tables {
		tables = append(tables, i)
	}
	c.mu.Unlock()

	for _, ns := range nss {
		addErr(killNetns(ctx, ns))
	}
	for _, i := range tables {
		n := c.nodes[i-1]
		if !slices.Contains(nss, n.NS) {
			continue
		}
		if err := c.nft(ctx, n, deleteTableScript(c.prefix)); err != nil {
			addErr(err)
			continue
		}
		c.mu.Lock()
		delete(c.tables, i)
		c.mu.Unlock()
	}
	// Nodes first: deleting a node namespace destroys its veths and the
	// peers in the hub.
	for i := len(nss) - 1; i >= 0; i-- {
		ns := nss[i]
		if _, err := run(ctx, "", "ip", "netns", "delete", ns); err != nil {
			if _, serr := os.Stat(filepath.Join(netnsDir, ns)); !errors.Is(serr, os.ErrNotExist) {
				addErr(err)
				continue
			}
		}
		c.mu.Lock()
		c.netns = slices.DeleteFunc(c.netns, func(s string) bool { return s == ns })
		c.mu.Unlock()
	}
	addErr(c.cleanShm())

	c.mu.Lock()
	if len(c.netns) == 0 && !c.released {
		c.released = true
		removeRecord(c.prefix)
		releasePrefix(c.prefix)
	}
	c.mu.Unlock()
	return errors.Join(errs...)
}

// Nodes returns the nodes, index 0 holding node 1.
func (c *Cluster) Nodes() []*Node { return slices.Clone(c.nodes) }

// Node returns node i (1-based); it panics when i is out of range.
func (c *Cluster) Node(i int) *Node {
	if i < 1 || i > len(c.nodes) {
		panic(fmt.Sprintf("cluster: Node(%d) of %d", i, len(c.nodes)))
	}
	return c.nodes[i-1]
}

// Prefix is the cluster's namespace and nft table name prefix.
func (c *Cluster) Prefix() string { return c.prefix }

// Hub is the hub namespace's name.
func (c *Cluster) Hub() string { return c.hub }

// Links is the number of links.
func (c *Cluster) Links() int { return c.opts.Links }

// Dir is the absolute base directory.
func (c *Cluster) Dir() string { return c.dir }

func (c *Cluster) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

func (c *Cluster) addPid(pid int) {
	c.mu.Lock()
	c.pids[pid] = true
	c.mu.Unlock()
}

// LinkDown sets node's ethL down.
func (c *Cluster) LinkDown(node, link int) error { return c.setLink(node, link, "down") }

// LinkUp sets node's ethL up.
func (c *Cluster) LinkUp(node, link int) error { return c.setLink(node, link, "up") }

func (c *Cluster) setLink(node, link int, state string) error {
	if err := c.checkNode(node); err != nil {
		return err
	}
	if link < 0 || link >= c.opts.Links {
		return fmt.Errorf("cluster: link %d of %d", link, c.opts.Links)
	}
	if c.isClosed() {
		return ErrClosed
	}
	_, err := run(context.Background(), "", "ip", "-n", c.nodes[node-1].NS, "link", "set", "eth"+strconv.Itoa(link), state)
	return err
}

func (c *Cluster) checkNode(i int) error {
	if i < 1 || i > len(c.nodes) {
		return fmt.Errorf("cluster: node %d of %d", i, len(c.nodes))
	}
	return nil
}

// run runs name args with stdin, bounded by cmdTimeout, and returns its
// combined output; the error names the command and carries its output.
func run(ctx context.Context, stdin, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, cmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		msg := string(bytes.TrimSpace(out))
		if stdin != "" {
			msg += "\ninput:\n" + stdin
		}
		return out, fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, msg)
	}
	return out, nil
}

// ipBatch runs the ip commands in script inside namespace ns.
func ipBatch(ctx context.Context, ns, script string) error {
	_, err := run(ctx, script, "ip", "-n", ns, "-batch", "-")
	return err
}
