//go:build linux

package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// netnsDir is where `ip netns add` pins named namespaces.
const netnsDir = "/run/netns"

const (
	pidDigits = 5 // base 36: up to 60,466,175 > pid_max's 4,194,304
	seqDigits = 1
	maxPid    = 1 << 22 // the kernel's PID_MAX_LIMIT on 64-bit
)

var prefixes struct {
	sync.Mutex
	live map[string]bool
	next int
}

func validFamily(f string) bool {
	if len(f) < 1 || len(f) > 4 {
		return false
	}
	for _, r := range f {
		if r < 'a' || r > 'z' {
			return false
		}
	}
	return true
}

func encodePid(pid int) string {
	s := strconv.FormatInt(int64(pid), 36)
	if len(s) < pidDigits {
		s = strings.Repeat("0", pidDigits-len(s)) + s
	}
	return s
}

// allocPrefix returns family + this process's PID + a sequence character
// that no live cluster of this process uses and no namespace carries.
func allocPrefix(family string) (string, error) {
	prefixes.Lock()
	defer prefixes.Unlock()
	if prefixes.live == nil {
		prefixes.live = map[string]bool{}
	}
	base := family + encodePid(os.Getpid())
	for range 36 {
		seq := strconv.FormatInt(int64(prefixes.next%36), 36)
		prefixes.next++
		p := base + seq
		if prefixes.live[p] {
			continue
		}
		if _, err := os.Stat(netnsDir + "/" + p + "hub"); err == nil {
			continue
		}
		prefixes.live[p] = true
		return p, nil
	}
	return "", fmt.Errorf("cluster: 36 clusters already alive in this process")
}

func releasePrefix(p string) {
	prefixes.Lock()
	delete(prefixes.live, p)
	prefixes.Unlock()
}

// parseNetns returns the creating PID encoded in a namespace name of
// family, and whether the name is one of ours at all.
func parseNetns(family, name string) (pid int, ok bool) {
	rest, found := strings.CutPrefix(name, family)
	if !found || len(rest) < pidDigits+seqDigits+1 {
		return 0, false
	}
	p, err := strconv.ParseInt(rest[:pidDigits], 36, 64)
	if err != nil || p <= 0 || p > maxPid {
		return 0, false
	}
	if c := rest[pidDigits]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z') {
		return 0, false
	}
	suffix := rest[pidDigits+seqDigits:]
	switch {
	case suffix == "hub", suffix == "chk":
	case len(suffix) >= 2 && len(suffix) <= 3 && suffix[0] == 'n':
		if i, err := strconv.Atoi(suffix[1:]); err != nil || i < 1 || i > MaxNodes {
			return 0, false
		}
	default:
		return 0, false
	}
	return int(p), true
}

func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// recordDir holds one file per live cluster prefix, holding the creating
// PID. Sweep removes only namespaces that a record names, so namespaces of
// other tools that happen to share the family's letters are never touched.
// It is on /run, a tmpfs cleared at boot like /run/netns.
const recordDir = "/run/bench-cluster"

func writeRecord(prefix string) error {
	if err := os.MkdirAll(recordDir, 0o755); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	if err := os.WriteFile(recordDir+"/"+prefix, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	return nil
}

func removeRecord(prefix string) { _ = os.Remove(recordDir + "/" + prefix) }

// Sweep deletes namespaces of family (e.g. "gs") left behind by processes
// that are gone: names of the form family+PID+seq+{hub,n<i>,chk} whose
// prefix has a record (written by Build) naming the same PID, and whose PID
// is not alive. Processes still inside them are killed first. Namespaces of
// live processes, this one included, and names without a record are left
// alone.
func Sweep(family string) {
	records, err := os.ReadDir(recordDir)
	if err != nil {
		return
	}
	var dead []string // prefixes
	for _, r := range records {
		prefix := r.Name()
		pid, ok := parseNetns(family, prefix+"hub")
		if !ok || pid == os.Getpid() || alive(pid) {
			continue
		}
		data, err := os.ReadFile(recordDir + "/" + prefix)
		if err != nil || strings.TrimSpace(string(data)) != strconv.Itoa(pid) {
			continue
		}
		dead = append(dead, prefix)
	}
	if len(dead) == 0 {
		return
	}
	entries, err := os.ReadDir(netnsDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*cmdTimeout)
	defer cancel()
	for _, prefix := range dead {
		left := 0
		for _, e := range entries {
			name := e.Name()
			if !strings.HasPrefix(name, prefix) {
				continue
			}
			if _, ok := parseNetns(family, name); !ok {
				continue
			}
			_ = killNetns(ctx, name)
			if _, err := run(ctx, "", "ip", "netns", "delete", name); err != nil {
				left++
			}
		}
		if left == 0 {
			removeRecord(prefix)
		}
	}
}

// killNetns SIGKILLs every process in namespace ns and waits, bounded, until
// none is left.
func killNetns(ctx context.Context, ns string) error {
	deadline := time.Now().Add(3 * time.Second)
	for {
		out, err := run(ctx, "", "ip", "netns", "pids", ns)
		if err != nil {
			if _, serr := os.Stat(netnsDir + "/" + ns); errors.Is(serr, os.ErrNotExist) {
				return nil
			}
			return err
		}
		pids := strings.Fields(string(out))
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("cluster: processes %v still in namespace %s", pids, ns)
		}
		for _, s := range pids {
			if pid, err := strconv.Atoi(s); err == nil && pid > 1 && pid != os.Getpid() {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var available = sync.OnceValue(checkAvailable)

// Available reports nil when this process can build clusters: root, ip and
// nft in PATH, and network namespaces, bridges, veths and nftables usable.
// Otherwise the error says what is missing (tests pass it to t.Skip).
func Available() error { return available() }

func checkAvailable() error {
	if os.Geteuid() != 0 {
		return errors.New("cluster: needs root (network namespaces, bridges, nftables)")
	}
	var missing []string
	for _, tool := range []string{"ip", "nft", "sh", "mount"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("cluster: not in PATH: %s", strings.Join(missing, ", "))
	}
	Sweep(DefaultFamily)
	p, err := allocPrefix(DefaultFamily)
	if err != nil {
		return err
	}
	defer releasePrefix(p)
	if err := writeRecord(p); err != nil {
		return err
	}
	ns := p + "chk"
	ctx, cancel := context.WithTimeout(context.Background(), 2*cmdTimeout)
	defer cancel()
	if _, err := run(ctx, "", "ip", "netns", "add", ns); err != nil {
		removeRecord(p)
		return fmt.Errorf("cluster: network namespaces unusable: %w", err)
	}
	defer func() {
		if _, err := run(ctx, "", "ip", "netns", "delete", ns); err == nil {
			removeRecord(p)
		}
	}()
	if err := ipBatch(ctx, ns, "link add b0 type bridge\nlink add v0 type veth peer name v1\nlink set v0 master b0\n"); err != nil {
		return fmt.Errorf("cluster: bridge/veth unusable: %w", err)
	}
	if _, err := run(ctx, "table inet t { chain o { type filter hook output priority 0; meta l4proto udp numgen random mod 100 < 5 drop; }; }\n",
		"ip", "netns", "exec", ns, "nft", "-f", "-"); err != nil {
		return fmt.Errorf("cluster: nftables unusable: %w", err)
	}
	return nil
}

// listShm lists /dev/shm's entries; nil when it cannot be read.
func listShm() map[string]bool {
	entries, err := os.ReadDir("/dev/shm")
	if err != nil {
		return nil
	}
	m := make(map[string]bool, len(entries))
	for _, e := range entries {
		m[e.Name()] = true
	}
	return m
}

// cleanShm removes the /dev/shm entries that appeared since Build and name
// one of this cluster's processes: a '-', '_' or '.'-separated all-digit
// token equal to a PID it started (libqb's qb-<pid>-... IPC directories,
// corosync's qb-corosync-<pid>-blackbox-*), or the cluster's prefix.
// Entries of other processes (a concurrent test binary's) are left alone.
func (c *Cluster) cleanShm() error {
	c.mu.Lock()
	before := c.shmBefore
	for _, cmd := range c.cmds {
		if cmd.Process != nil {
			c.pids[cmd.Process.Pid] = true
		}
	}
	pids := make(map[string]bool, len(c.pids))
	for p := range c.pids {
		pids[strconv.Itoa(p)] = true
	}
	c.mu.Unlock()
	if before == nil {
		return nil
	}
	var errs []error
	for name := range listShm() {
		if before[name] {
			continue
		}
		ours := strings.Contains(name, c.prefix)
		for _, tok := range strings.FieldsFunc(name, func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
			if pids[tok] {
				ours = true
			}
		}
		if !ours {
			continue
		}
		if err := os.RemoveAll("/dev/shm/" + name); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
