// Command gorosync-demo runs `make demo`: three gorosync daemons on
// 127.0.0.1, 127.0.0.2 and 127.0.0.3 (no root needed), a few seconds of
// traffic through the daemons' test hook, then a clean stop; it prints the
// membership each daemon logged and the rate each delivered.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

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
logging {
	to_stderr: yes
	to_syslog: no
	timestamp: off
}
system {
	state_dir: %s
}
`

func main() {
	bin := flag.String("gorosync", "bin/gorosync", "the daemon binary")
	messages := flag.Int("messages", 5000, "1 KiB messages each daemon sends")
	seconds := flag.Duration("for", 4*time.Second, "how long the cluster runs")
	port := flag.Int("port", 25405, "UDP port of link 0")
	flag.Parse()
	os.Exit(run(*bin, *messages, *seconds, *port))
}

func run(bin string, messages int, dur time.Duration, port int) int {
	dir, err := os.MkdirTemp("", "gorosync-demo-")
	if err != nil {
		fmt.Println(err)
		return 1
	}
	defer os.RemoveAll(dir)
	type proc struct {
		cmd    *exec.Cmd
		stdout bytes.Buffer
		stderr bytes.Buffer
	}
	var procs []*proc
	defer func() { // never leave a daemon behind
		for _, p := range procs {
			if p.cmd.ProcessState == nil {
				_ = p.cmd.Process.Kill()
				_ = p.cmd.Wait()
			}
		}
	}()
	fmt.Printf("gorosync demo: three daemons on 127.0.0.1-3:%d, each sending %d messages of 1 KiB\n", port, messages)
	for i := 1; i <= 3; i++ {
		nodeDir := filepath.Join(dir, fmt.Sprint("n", i))
		if err := os.MkdirAll(nodeDir, 0o750); err != nil {
			fmt.Println(err)
			return 1
		}
		path := filepath.Join(nodeDir, "corosync.conf")
		if err := os.WriteFile(path, []byte(fmt.Sprintf(conf, port, nodeDir)), 0o640); err != nil {
			fmt.Println(err)
			return 1
		}
		p := &proc{cmd: exec.Command(bin, "-f", "-c", path, "-n", fmt.Sprint(i), "-ipc=false", "-demo-send", fmt.Sprint(messages))}
		p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
		if err := p.cmd.Start(); err != nil {
			fmt.Println("starting", bin, ":", err)
			return 1
		}
		procs = append(procs, p)
	}
	time.Sleep(dur)
	for _, p := range procs {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
	}
	failed := false
	for i, p := range procs {
		done := make(chan error, 1)
		go func() { done <- p.cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				failed = true
				fmt.Printf("node %d: %v\n", i+1, err)
			}
		case <-time.After(5 * time.Second):
			failed = true
			fmt.Printf("node %d did not stop within 5 s\n", i+1)
		}
		fmt.Printf("node %d membership:\n", i+1)
		sc := bufio.NewScanner(&p.stderr)
		for sc.Scan() {
			if line := sc.Text(); strings.Contains(line, "membership") || strings.Contains(line, "Members[") || strings.Contains(line, "error") {
				fmt.Println("  " + line)
			}
		}
		for _, line := range strings.Split(strings.TrimSpace(p.stdout.String()), "\n") {
			if !strings.HasPrefix(line, "gorosync-traffic:") {
				fmt.Println("  " + line)
			}
		}
	}
	if failed {
		return 1
	}
	return 0
}
