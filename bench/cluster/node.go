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
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Node is one cluster member: a network namespace, a directory and at most
// one daemon process at a time.
type Node struct {
	Index int    // 1-based
	Name  string // "n1"
	NS    string // network namespace name

	Dir      string // Dir/n<i>, absolute
	ConfPath string // Dir/n<i>/corosync.conf
	OutPath  string // Dir/n<i>/out.log: the daemon's stdout and stderr
	LogPath  string // Dir/n<i>/log/daemon.log, for the caller's config

	Addrs []netip.Addr // per link: 198.18.L.i

	c    *Cluster
	life sync.Mutex // serialises Start, Stop and Kill
	cur  atomic.Pointer[proc]
}

type proc struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once Wait returned
	err  error         // from cmd.Wait, valid after done
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Cluster returns the node's cluster.
func (n *Node) Cluster() *Cluster { return n.c }

// Addr is the node's address on link.
func (n *Node) Addr(link int) netip.Addr { return n.Addrs[link] }

// PID is the running daemon's PID, 0 when none runs.
func (n *Node) PID() int {
	if p := n.cur.Load(); p != nil && !p.exited() {
		return p.cmd.Process.Pid
	}
	return 0
}

// Running reports whether the daemon process is alive (not yet reaped).
func (n *Node) Running() bool {
	p := n.cur.Load()
	return p != nil && !p.exited()
}

// Start starts (or restarts after Kill or Stop) the node's daemon with
// Options.Command, in the same directories. Output is appended to OutPath.
func (n *Node) Start() error {
	n.life.Lock()
	defer n.life.Unlock()
	if n.c.isClosed() {
		return ErrClosed
	}
	if p := n.cur.Load(); p != nil && !p.exited() {
		return fmt.Errorf("cluster: %s: daemon already running (pid %d)", n.Name, p.cmd.Process.Pid)
	}
	if n.c.opts.Command == nil {
		return fmt.Errorf("cluster: %s: Options.Command is nil", n.Name)
	}
	argv := n.c.opts.Command(n)
	if len(argv) == 0 || !filepath.IsAbs(argv[0]) {
		return fmt.Errorf("cluster: %s: command %q: argv[0] must be an absolute path", n.Name, argv)
	}
	out, err := os.OpenFile(n.OutPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("cluster: %s: %w", n.Name, err)
	}
	defer out.Close()
	cmd := exec.Command("ip", n.wrap(argv)...)
	cmd.Dir = n.Dir
	cmd.Env = append(os.Environ(), n.c.opts.Env...)
	cmd.Stdout = out
	cmd.Stderr = out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := spawn(cmd); err != nil {
		return fmt.Errorf("cluster: %s: start %q: %w", n.Name, argv, err)
	}
	n.c.addPid(cmd.Process.Pid)
	p := &proc{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	n.cur.Store(p)
	return nil
}

// Kill sends SIGKILL to the daemon's PID and reaps it. It is a no-op when
// no daemon runs.
func (n *Node) Kill() error {
	n.life.Lock()
	defer n.life.Unlock()
	p := n.cur.Load()
	if p == nil || p.exited() {
		return nil
	}
	return n.killAndReap(p)
}

func (n *Node) killAndReap(p *proc) error {
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("cluster: %s: kill -9 %d: %w", n.Name, p.cmd.Process.Pid, err)
	}
	select {
	case <-p.done:
		return nil
	case <-time.After(reapTimeout):
		return fmt.Errorf("cluster: %s: pid %d not reaped %v after SIGKILL", n.Name, p.cmd.Process.Pid, reapTimeout)
	}
}

// Stop sends SIGTERM to the daemon's PID, waits up to timeout for it to
// exit and then kills it with SIGKILL. It is a no-op when no daemon runs.
func (n *Node) Stop(timeout time.Duration) error {
	n.life.Lock()
	defer n.life.Unlock()
	p := n.cur.Load()
	if p == nil || p.exited() {
		return nil
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("cluster: %s: kill -TERM %d: %w", n.Name, p.cmd.Process.Pid, err)
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-p.done:
		return nil
	case <-t.C:
		return n.killAndReap(p)
	}
}

// Wait waits, bounded by ctx, for the current (or last) daemon process to
// exit and returns its exit error (nil for status 0; an *exec.ExitError
// otherwise). It fails at once when the node was never started.
func (n *Node) Wait(ctx context.Context) error {
	p := n.cur.Load()
	if p == nil {
		return fmt.Errorf("cluster: %s: never started", n.Name)
	}
	select {
	case <-p.done:
		return p.err
	case <-ctx.Done():
		return fmt.Errorf("cluster: %s: waiting for pid %d: %w", n.Name, p.cmd.Process.Pid, ctx.Err())
	}
}

// Exec runs argv inside the node's namespace (with the node's mounts, if
// any) and returns its combined output. argv[0] is looked up in PATH.
func (n *Node) Exec(ctx context.Context, argv ...string) ([]byte, error) {
	if len(argv) == 0 {
		return nil, fmt.Errorf("cluster: %s: Exec with no command", n.Name)
	}
	if n.c.isClosed() {
		return nil, ErrClosed
	}
	cmd := n.command(ctx, argv)
	var buf bytes.Buffer
	cmd.Stdout = &buf
	cmd.Stderr = &buf
	err := spawn(cmd)
	if err == nil {
		n.c.addPid(cmd.Process.Pid)
		err = cmd.Wait()
	}
	if err != nil {
		return buf.Bytes(), fmt.Errorf("%s: %s: %w: %s", n.NS, strings.Join(argv, " "), err, bytes.TrimSpace(buf.Bytes()))
	}
	return buf.Bytes(), nil
}

// Command returns an unstarted command that runs argv inside the node's
// namespace (with the node's mounts, if any), for long-running clients. The
// process is killed when ctx is done, and by Close if still in the
// namespace. Its PID is the client's own.
func (n *Node) Command(ctx context.Context, argv ...string) *exec.Cmd {
	cmd := n.command(ctx, argv)
	n.c.mu.Lock()
	n.c.cmds = append(n.c.cmds, cmd)
	n.c.mu.Unlock()
	return cmd
}

func (n *Node) command(ctx context.Context, argv []string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "ip", n.wrap(argv)...)
	cmd.Env = append(os.Environ(), n.c.opts.Env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	return cmd
}

// wrap returns the arguments to ip that run argv in the node's namespace
// with its mounts. The shell, when used, execs into argv.
func (n *Node) wrap(argv []string) []string {
	mounts := n.mounts()
	args := []string{"netns", "exec", n.NS}
	if len(mounts) == 0 {
		return append(args, argv...)
	}
	const script = `while [ "$1" != -- ]; do mount --bind -- "$1" "$2" || exit 127; shift 2; done; shift; exec "$@"`
	args = append(args, "sh", "-c", script, "sh")
	for _, m := range mounts {
		args = append(args, m.Source, m.Target)
	}
	args = append(args, "--")
	return append(args, argv...)
}

func (n *Node) mounts() []Mount {
	var ms []Mount
	if n.c.opts.BindRun {
		ms = append(ms, Mount{Source: filepath.Join(n.Dir, "run"), Target: "/run"})
	}
	if n.c.opts.Mounts != nil {
		ms = append(ms, n.c.opts.Mounts(n)...)
	}
	return ms
}

// spawner starts processes from one goroutine locked to an OS thread that
// never exits: PR_SET_PDEATHSIG fires when the parent thread exits, so the
// children must not be forked from threads the runtime may retire.
var spawner struct {
	once sync.Once
	ch   chan spawnReq
}

type spawnReq struct {
	cmd  *exec.Cmd
	errc chan error
}

func spawn(cmd *exec.Cmd) error {
	spawner.once.Do(func() {
		spawner.ch = make(chan spawnReq)
		go func() {
			runtime.LockOSThread() // never unlocked: the thread lives as long as the process
			for r := range spawner.ch {
				r.errc <- r.cmd.Start()
			}
		}()
	})
	errc := make(chan error, 1)
	spawner.ch <- spawnReq{cmd: cmd, errc: errc}
	return <-errc
}
