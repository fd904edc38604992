package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// conf is the demo's corosync.conf: three nodes on loopback addresses
// (Linux routes all of 127/8 to lo, so no root is needed). The uidgid
// section lets the demo's own user use the IPC services, which corosync's
// policy otherwise grants only to root.
const conf = `totem {
	version: 2
	cluster_name: demo
	transport: udpu
	token: 1000
	crypto_cipher: none
	crypto_hash: none
	interface {
		linknumber: 0
		mcastport: %d
	}
}
nodelist {
	node {
		nodeid: 1
		name: n1
		ring0_addr: 127.0.0.1
	}
	node {
		nodeid: 2
		name: n2
		ring0_addr: 127.0.0.2
	}
	node {
		nodeid: 3
		name: n3
		ring0_addr: 127.0.0.3
	}
}
quorum {
	provider: corosync_votequorum
}
uidgid {
	uid: %d
}
logging {
	to_stderr: yes
	to_syslog: no
	timestamp: off
}
system {
	state_dir: %s
}
`

// nodeCount is the size of the demo cluster (the nodelist above).
const nodeCount = 3

// daemon is one gorosync process of the demo.
type daemon struct {
	id     uint32
	prefix string // its IPC names' prefix: "n1-" serves "n1-cpg"
	cmd    *exec.Cmd
	out    lockedBuffer  // stdout and stderr
	done   chan struct{} // closed once the process was waited for
	err    error         // Wait's result, set before done closes
}

// service is the socket name of one of the daemon's IPC services.
func (d *daemon) service(name string) string { return d.prefix + name }

// startDaemons writes each node's configuration under dir and starts the
// daemons with their IPC under prefix + n<id>-.
func startDaemons(bin, dir string, port int, prefix string) ([]*daemon, error) {
	var ds []*daemon
	for id := uint32(1); id <= nodeCount; id++ {
		nodeDir := filepath.Join(dir, fmt.Sprint("n", id))
		if err := os.MkdirAll(nodeDir, 0o750); err != nil {
			return ds, err
		}
		path := filepath.Join(nodeDir, "corosync.conf")
		text := fmt.Sprintf(conf, port, os.Getuid(), nodeDir)
		if err := os.WriteFile(path, []byte(text), 0o640); err != nil {
			return ds, err
		}
		d := &daemon{id: id, prefix: fmt.Sprintf("%sn%d-", prefix, id), done: make(chan struct{})}
		d.cmd = exec.Command(bin, "-f", "-c", path, "-n", fmt.Sprint(id), "-ipc-prefix", d.prefix)
		d.cmd.Stdout, d.cmd.Stderr = &d.out, &d.out
		if err := d.cmd.Start(); err != nil {
			return ds, fmt.Errorf("starting %s: %w", bin, err)
		}
		go func() {
			d.err = d.cmd.Wait()
			close(d.done)
		}()
		ds = append(ds, d)
	}
	return ds, nil
}

// exited reports a daemon that stopped on its own, with its last log lines.
func exited(ds []*daemon) error {
	for _, d := range ds {
		select {
		case <-d.done:
			return fmt.Errorf("node %d's daemon exited (%v); its last lines:\n%s", d.id, d.err, d.tail(12))
		default:
		}
	}
	return nil
}

// stop sends SIGTERM (gorosync leaves the ring and exits 0) and waits up
// to wait for the exit; it kills a daemon that does not stop in time.
func (d *daemon) stop(wait time.Duration) (time.Duration, error) {
	start := time.Now()
	select {
	case <-d.done:
		return 0, fmt.Errorf("had already exited: %v", d.err)
	default:
	}
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return 0, err
	}
	select {
	case <-d.done:
		return time.Since(start), d.err
	case <-time.After(wait):
		d.kill()
		return time.Since(start), fmt.Errorf("did not stop within %v of SIGTERM: killed", wait)
	}
}

// kill ends a daemon that is still running and waits for it.
func (d *daemon) kill() {
	select {
	case <-d.done:
	default:
		_ = d.cmd.Process.Kill()
		<-d.done
	}
}

// tail is the daemon's last n log lines, indented.
func (d *daemon) tail(n int) string {
	lines := strings.Split(strings.TrimRight(d.out.String(), "\n"), "\n")
	lines = lines[max(0, len(lines)-n):]
	return "    " + strings.Join(lines, "\n    ")
}

// lockedBuffer is a bytes.Buffer written by exec's copying goroutine and
// read by the demo.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// errTimeout marks a bounded wait that ran out.
var errTimeout = errors.New("timed out")
