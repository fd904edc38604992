package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorosync/gorosync/services/cmap/cmapclient"
	"github.com/gorosync/gorosync/services/cpg/cpgclient"
	"github.com/gorosync/gorosync/services/quorum/quorumclient"
)

// A one-node cluster that serves IPC as the -ipc-prefix test asks.
const prefixConf = `totem {
	version: 2
	cluster_name: prefixed
	transport: udpu
	token: 1000
	interface {
		linknumber: 0
		mcastport: %d
	}
}
nodelist {
	node {
		nodeid: 1
		ring0_addr: 127.0.0.1
	}
}
logging {
	to_stderr: no
	to_syslog: no
}
system {
	state_dir: %s
}
`

func TestFlagIPCPrefix(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "corosync.conf")
	if err := os.WriteFile(path, []byte(fmt.Sprintf(testConf, dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	defer func() { ipcPrefix = "" }()
	for _, c := range []struct {
		prefix string
		rc     int
	}{
		{"n1-", 0},
		{"", 0},
		{strings.Repeat("p", maxIPCPrefix), 0},
		{strings.Repeat("p", maxIPCPrefix+1), 8},
		{"a/b-", 8},
		{"a\x00", 8},
	} {
		if rc := run([]string{"-t", "-c", path, "-n", "1", "-ipc-prefix", c.prefix}); rc != c.rc {
			t.Errorf("-ipc-prefix %q: exit %d, want %d", c.prefix, rc, c.rc)
		}
	}
}

// A daemon started with a prefix serves cpg, quorum and cmap under the
// prefixed names (a unique prefix: this test's network namespace is
// shared with whatever else runs).
func TestIPCPrefixServesPrefixedNames(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "corosync.conf")
	if err := os.WriteFile(path, []byte(fmt.Sprintf(prefixConf, freeUDPPort(t), dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	ipcPrefix = fmt.Sprintf("t%d-", os.Getpid())
	defer func() { ipcPrefix = "" }()
	d, err := newDaemon(path, 1)
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.run(ctx, nil, true) }()
	defer func() {
		stop()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("daemon: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("the daemon did not stop within 10 s")
		}
	}()

	wait, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var cpg *cpgclient.Client
	for {
		cpg, err = cpgclient.Initialize(wait, cpgclient.Options{Service: ipcPrefix + "cpg"})
		if err == nil {
			break
		}
		select {
		case <-wait.Done():
			t.Fatalf("%scpg never accepted a client: %v", ipcPrefix, err)
		case err := <-done:
			t.Fatalf("the daemon stopped: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	defer cpg.Close()
	if id, err := cpg.LocalGet(wait); err != nil || id != 1 {
		t.Errorf("cpg_local_get over %scpg: %d, %v; want 1", ipcPrefix, id, err)
	}
	qc, err := quorumclient.Dial(wait, quorumclient.Options{Service: ipcPrefix + "quorum"})
	if err != nil {
		t.Fatalf("%squorum: %v", ipcPrefix, err)
	}
	defer qc.Close()
	if _, err := qc.Quorate(wait); err != nil {
		t.Errorf("quorum_getquorate over %squorum: %v", ipcPrefix, err)
	}
	cm, err := cmapclient.Dial(wait, cmapclient.Options{Service: ipcPrefix + "cmap"})
	if err != nil {
		t.Fatalf("%scmap: %v", ipcPrefix, err)
	}
	defer cm.Close()
	if name, err := cm.GetString(wait, "totem.cluster_name"); err != nil || name != "prefixed" {
		t.Errorf("totem.cluster_name over %scmap: %q, %v", ipcPrefix, name, err)
	}
}

// freeUDPPort is a UDP port on 127.0.0.1 that nothing holds now.
func freeUDPPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}
