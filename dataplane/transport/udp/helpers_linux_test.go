//go:build linux

package udp

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/gorosync/gorosync/dataplane/transport"
)

// Every wait in these tests is bounded by waitLimit.
const waitLimit = 2 * time.Second

// freePort asks the kernel for a UDP port free on addr. A fixed peer table
// needs the port before the transports exist, so the port is found by a
// throwaway socket and reused; a race with another process is retried by
// the callers.
func freePort(t testing.TB, addr string) uint16 {
	t.Helper()
	c, err := net.ListenPacket("udp", net.JoinHostPort(addr, "0"))
	if err != nil {
		if strings.Contains(addr, ":") {
			// Some containers run without IPv6; IPv4 loopback always exists.
			t.Skipf("no IPv6 UDP on %s: %v", addr, err)
		}
		t.Fatalf("no UDP on %s: %v", addr, err)
	}
	defer c.Close()
	return uint16(c.LocalAddr().(*net.UDPAddr).Port)
}

// cluster opens one transport per address, all on the same port (as
// corosync's nodelist does), node ids 1..n. tweak adjusts each config.
func cluster(t testing.TB, addrs []string, tweak func(*Config)) []*Transport {
	t.Helper()
	var lastErr error
	for range 10 {
		port := freePort(t, addrs[0])
		peers := make(map[uint32]netip.AddrPort, len(addrs))
		for i, a := range addrs {
			peers[uint32(i+1)] = netip.AddrPortFrom(netip.MustParseAddr(a), port)
		}
		trs, err := openAll(peers, len(addrs), tweak)
		if err == nil {
			t.Cleanup(func() {
				for _, tr := range trs {
					tr.Close()
				}
			})
			return trs
		}
		lastErr = err
		if !errors.Is(err, unix.EADDRINUSE) {
			break
		}
	}
	t.Fatalf("opening transports: %v", lastErr)
	return nil
}

func openAll(peers map[uint32]netip.AddrPort, n int, tweak func(*Config)) ([]*Transport, error) {
	var trs []*Transport
	for id := uint32(1); id <= uint32(n); id++ {
		cfg := Config{Local: peers[id], Peers: peers, LocalNodeID: id}
		if tweak != nil {
			tweak(&cfg)
		}
		tr, err := New(cfg)
		if err != nil {
			for _, o := range trs {
				o.Close()
			}
			return nil, fmt.Errorf("node %d: %w", id, err)
		}
		trs = append(trs, tr)
	}
	return trs, nil
}

// got is a received frame copied out of the pool.
type got struct {
	From uint32
	Data string
}

// waitReadable polls the transport's fd briefly, so loops sleep in the
// kernel rather than spin, and also exercises Fd.
func waitReadable(tr *Transport, d time.Duration) {
	fds := []unix.PollFd{{Fd: int32(tr.Fd()), Events: unix.POLLIN}}
	_, _ = unix.Poll(fds, int(d/time.Millisecond))
}

// recvN receives until want frames have come or waitLimit passed, and
// reports the size of each Recv call's result.
func recvN(t testing.TB, tr *Transport, want int) (frames []got, calls []int) {
	t.Helper()
	buf := make([]transport.Received, 256)
	deadline := time.Now().Add(waitLimit)
	for len(frames) < want && time.Now().Before(deadline) {
		n, err := tr.Recv(buf)
		if err != nil {
			t.Fatalf("Recv: %v", err)
		}
		if n == 0 {
			waitReadable(tr, 10*time.Millisecond)
			continue
		}
		calls = append(calls, n)
		for _, f := range buf[:n] {
			frames = append(frames, got{f.From, string(f.Data)})
		}
		tr.Release(buf[:n])
	}
	if len(frames) < want {
		t.Fatalf("received %d frames in %v, want %d: %v", len(frames), waitLimit, want, frames)
	}
	return frames, calls
}

// quiet checks that nothing more arrives for a short while.
func quiet(t testing.TB, tr *Transport) {
	t.Helper()
	waitReadable(tr, 50*time.Millisecond)
	buf := make([]transport.Received, 16)
	n, err := tr.Recv(buf)
	if err != nil || n != 0 {
		t.Fatalf("Recv = %d, %v; want nothing more (first: %q)", n, err, buf[0].Data)
	}
}
