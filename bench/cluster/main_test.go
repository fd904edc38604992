//go:build linux

package cluster

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The test binary doubles as the daemon and the client:
//
//	<test binary> cluster-test-echo <config>
//	    a UDP echo server on 0.0.0.0:5405. The config holds name=<node> and
//	    log=<path>; replies are "<name> <pid> <$CLUSTER_TEST_TAG> <payload>"
//	    and every datagram received is logged to stdout as
//	    "recv from <ip> <payload>".
//	<test binary> cluster-test-ping <timeout> <ip>...
//	    sends to <ip>:5405 every 100 ms until the reply comes or the timeout
//	    passes; prints "ok <ip> <reply>" or "fail <ip>" per target.
const (
	echoMode = "cluster-test-echo"
	pingMode = "cluster-test-ping"
	// <test binary> cluster-test-orphan <dir>: starts a 2-node echo cluster,
	// prints "<prefix> <pid> <pid>" and exits without Close, like a crashed
	// test binary.
	orphanMode = "cluster-test-orphan"
	echoPort   = 5405
)

func TestMain(m *testing.M) {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case echoMode:
			os.Exit(echoMain(os.Args[2:]))
		case pingMode:
			os.Exit(pingMain(os.Args[2:]))
		case orphanMode:
			os.Exit(orphanMain(os.Args[2:]))
		}
	}
	os.Exit(m.Run())
}

func echoMain(args []string) int {
	if len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: cluster-test-echo <config>")
		return 2
	}
	conf, err := os.ReadFile(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var name, logPath string
	sc := bufio.NewScanner(strings.NewReader(string(conf)))
	for sc.Scan() {
		k, v, _ := strings.Cut(sc.Text(), "=")
		switch k {
		case "name":
			name = v
		case "log":
			logPath = v
		}
	}
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{Port: echoPort})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	var mu sync.Mutex // stdout lines whole
	term := make(chan os.Signal, 1)
	signal.Notify(term, syscall.SIGTERM)
	go func() {
		<-term
		mu.Lock()
		fmt.Println("echo: terminating on SIGTERM")
		os.Exit(0)
	}()
	if logPath != "" {
		if err := os.WriteFile(logPath, []byte(fmt.Sprintf("log: %s started pid=%d\n", name, os.Getpid())), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	mu.Lock()
	fmt.Printf("echo: %s listening pid=%d\n", name, os.Getpid())
	mu.Unlock()
	tag := os.Getenv("CLUSTER_TEST_TAG")
	buf := make([]byte, 2048)
	for {
		m, from, err := conn.ReadFromUDP(buf)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		payload := string(buf[:m])
		mu.Lock()
		fmt.Printf("recv from %s %s\n", from.IP, payload)
		mu.Unlock()
		reply := fmt.Sprintf("%s %d %s %s", name, os.Getpid(), tag, payload)
		_, _ = conn.WriteToUDP([]byte(reply), from)
	}
}

func pingMain(args []string) int {
	if len(args) < 1 {
		fmt.Fprintln(os.Stderr, "usage: cluster-test-ping <timeout> <ip>...")
		return 2
	}
	timeout, err := time.ParseDuration(args[0])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	results := make([]string, len(args)-1)
	var wg sync.WaitGroup
	for i, target := range args[1:] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = ping(target, timeout)
		}()
	}
	wg.Wait()
	for _, r := range results {
		fmt.Println(r)
	}
	return 0
}

func ping(target string, timeout time.Duration) string {
	ip := net.ParseIP(target)
	conn, err := net.ListenUDP("udp4", nil)
	if err != nil {
		return "fail " + target + " " + err.Error()
	}
	defer conn.Close()
	to := &net.UDPAddr{IP: ip, Port: echoPort}
	payload := fmt.Sprintf("ping-%d-%s", os.Getpid(), target)
	deadline := time.Now().Add(timeout)
	buf := make([]byte, 2048)
	for time.Now().Before(deadline) {
		_, _ = conn.WriteToUDP([]byte(payload), to)
		next := time.Now().Add(100 * time.Millisecond)
		if next.After(deadline) {
			next = deadline
		}
		_ = conn.SetReadDeadline(next)
		for {
			m, from, err := conn.ReadFromUDP(buf)
			if err != nil {
				break // timeout: send again
			}
			if from.IP.Equal(ip) && strings.HasSuffix(string(buf[:m]), " "+payload) {
				return "ok " + target + " " + string(buf[:m])
			}
		}
	}
	return "fail " + target
}

func orphanMain(args []string) int {
	exe, err := os.Executable()
	if err != nil || len(args) != 1 {
		fmt.Fprintln(os.Stderr, "usage: cluster-test-orphan <dir>", err)
		return 2
	}
	c, err := Start(context.Background(), Options{
		Nodes: 2,
		Dir:   args[0],
		Config: func(n *Node) string {
			return "name=" + n.Name + "\n"
		},
		Command: func(n *Node) []string { return []string{exe, echoMode, n.ConfPath} },
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(c.Prefix(), c.Node(1).PID(), c.Node(2).PID())
	return 0
}
