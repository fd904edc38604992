package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

const testConf = `totem {
	version: 2
	cluster_name: t
	transport: udpu
	token: 1000
}
nodelist {
	node {
		nodeid: 1
		ring0_addr: 127.0.0.1
	}
	node {
		nodeid: 2
		ring0_addr: 127.0.0.2
	}
}
system {
	state_dir: %s
}
`

func TestCheckConfigAndVersion(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.conf")
	if err := os.WriteFile(good, []byte(fmt.Sprintf(testConf, dir)), 0o600); err != nil {
		t.Fatal(err)
	}
	if rc := run([]string{"-t", "-c", good, "-n", "2"}); rc != 0 {
		t.Fatalf("-t on a good config: exit %d", rc)
	}
	bad := filepath.Join(dir, "bad.conf")
	if err := os.WriteFile(bad, []byte("totem {\n\ttoken: soon\n}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if rc := run([]string{"-t", "-c", bad}); rc != 8 {
		t.Fatalf("-t on a bad config: exit %d, want 8", rc)
	}
	if rc := run([]string{"-t", "-c", good, "-n", "9"}); rc != 8 {
		t.Fatalf("a node id not in the nodelist: exit %d, want 8", rc)
	}
	if rc := run([]string{"-v"}); rc != 0 {
		t.Fatalf("-v: exit %d", rc)
	}
}

func TestNotifyReadyTellsSystemd(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	t.Setenv("NOTIFY_SOCKET", sock)
	notifyReady()
	_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 64)
	n, err := conn.Read(buf)
	if err != nil || string(buf[:n]) != "READY=1" {
		t.Fatalf("systemd got %q, %v", buf[:n], err)
	}
}
