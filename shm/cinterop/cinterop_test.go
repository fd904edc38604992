package cinterop

import (
	"bufio"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorosync/gorosync/shm"
	"github.com/gorosync/gorosync/shm/shmtest"
)

//go:embed qbclient.c
var qbclientSrc []byte

const maxMsg = 1 << 20

var (
	buildOnce sync.Once
	buildDir  string
	buildBin  string
	buildSkip string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// qbclient builds qbclient.c with gcc against Debian's libqb once per
// test binary. It skips when gcc or the libqb headers are missing (`make
// deps` installs gcc and libqb-dev).
func qbclient(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		gcc, err := exec.LookPath("gcc")
		if err != nil {
			buildSkip = "gcc is not installed (apt-get install gcc libqb-dev, or make deps)"
			return
		}
		if buildDir, buildErr = os.MkdirTemp("", "gorosync-cinterop-"); buildErr != nil {
			return
		}
		src := filepath.Join(buildDir, "qbclient.c")
		if buildErr = os.WriteFile(src, qbclientSrc, 0o600); buildErr != nil {
			return
		}
		probe := filepath.Join(buildDir, "probe.c")
		if buildErr = os.WriteFile(probe, []byte("#include <qb/qbipcc.h>\nint main(void){return 0;}\n"), 0o600); buildErr != nil {
			return
		}
		if out, err := exec.Command(gcc, "-fsyntax-only", probe).CombinedOutput(); err != nil {
			buildSkip = "libqb headers missing, qb/qbipcc.h not found (apt-get install libqb-dev, or make deps): " +
				strings.TrimSpace(string(out))
			return
		}
		bin := filepath.Join(buildDir, "qbclient")
		if out, err := exec.Command(gcc, "-O2", "-Wall", "-Werror", "-o", bin, src, "-lqb").CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("gcc qbclient.c: %v\n%s", err, out)
			return
		}
		buildBin = bin
	})
	if buildSkip != "" {
		t.Skip(buildSkip)
	}
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildBin
}

// socketMaxRequest is the largest request a libqb client can send as one
// datagram: libqb asks for SO_SNDBUF = max_msg_size, which the kernel caps
// at net.core.wmem_max and doubles, and a datagram must fit in it less 32
// bytes (spec §2.5).
func socketMaxRequest() int {
	b, err := os.ReadFile("/proc/sys/net/core/wmem_max")
	if err != nil {
		return 200 << 10
	}
	w, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 200 << 10
	}
	return min(maxMsg, 2*min(w, maxMsg)-64)
}

type checkResult struct {
	OK         bool   `json:"ok"`
	Error      string `json:"error"`
	RoundTrips int    `json:"roundtrips"`
	Events     int    `json:"events"`
	OneWay     int    `json:"oneway"`
	Bytes      int64  `json:"bytes"`
	MaxPayload int    `json:"max_payload"`
}

// TestCInterop: Debian's libqb client against the gorosync server, in
// SHM and in socket mode (the server decides), checked byte by byte by the
// C program; afterwards the server has removed everything from /dev/shm.
func TestCInterop(t *testing.T) {
	bin := qbclient(t)
	for _, mode := range []shm.Mode{shm.ModeSHM, shm.ModeSocket} {
		t.Run(mode.String(), func(t *testing.T) {
			s := shmtest.StartEcho(t, mode, shmtest.EchoOptions{})
			maxReq := maxMsg
			if mode == shm.ModeSocket {
				maxReq = socketMaxRequest()
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "check", s.Name, strconv.Itoa(maxReq))
			var stderr strings.Builder
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			line := strings.TrimSpace(string(out))
			var r checkResult
			if jerr := json.Unmarshal([]byte(line), &r); jerr != nil {
				t.Fatalf("qbclient printed %q (%v, exit %v); stderr:\n%s", line, jerr, err, stderr.String())
			}
			if !r.OK || err != nil {
				t.Fatalf("qbclient: %s (exit %v) after %d round trips, %d events; stderr:\n%s",
					r.Error, err, r.RoundTrips, r.Events, stderr.String())
			}
			t.Logf("%s: %d round trips, %d events, %d one-way, %.1f MB of payload, largest payload %d",
				mode, r.RoundTrips, r.Events, r.OneWay, float64(r.Bytes)/1e6, r.MaxPayload)
			if c := s.Echo.LastConn.Load(); c == nil || c.Mode() != mode {
				t.Fatalf("server connection mode: %v", c)
			}
			ring := (maxMsg + 13 + 4095) / 4096 * 4096
			if r.RoundTrips < 5000 || r.Events < 800 || r.OneWay != 5000 || r.Bytes < int64(50*ring) {
				t.Fatalf("qbclient did less than planned: %+v", r)
			}
			if r.MaxPayload != maxReq-shmtest.RespHdr {
				t.Fatalf("largest payload %d, want %d", r.MaxPayload, maxReq-shmtest.RespHdr)
			}
			// the disconnect: the server sees it and removes the files
			deadline := time.Now().Add(5 * time.Second)
			for s.Echo.Disconnects.Load() != 1 && time.Now().Before(deadline) {
				time.Sleep(2 * time.Millisecond)
			}
			if n := s.Echo.Disconnects.Load(); n != 1 {
				t.Fatalf("server saw %d disconnects, want 1", n)
			}
			shmtest.WaitNoShm(t, 5*time.Second)
		})
	}
}

// benchClient is one qbclient in bench mode, connected to a server.
type benchClient struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Scanner
	cancel context.CancelFunc
}

func startBench(b *testing.B, bin, service string, size int) *benchClient {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	cmd := exec.CommandContext(ctx, bin, "bench", service, strconv.Itoa(size))
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		cancel()
		b.Fatal(err)
	}
	p := &benchClient{cmd: cmd, in: in, out: bufio.NewScanner(out), cancel: cancel}
	if !p.out.Scan() || p.out.Text() != "ready" {
		p.stop()
		b.Fatalf("qbclient bench: %q", p.out.Text())
	}
	return p
}

// run asks for n operations and returns the nanoseconds the C client
// measured for them.
func (p *benchClient) run(b *testing.B, op string, n int) float64 {
	if _, err := fmt.Fprintf(p.in, "%s %d\n", op, n); err != nil {
		b.Fatal(err)
	}
	if !p.out.Scan() {
		b.Fatalf("qbclient bench %s %d: no answer", op, n)
	}
	ns, err := strconv.ParseFloat(p.out.Text(), 64)
	if err != nil {
		b.Fatalf("qbclient bench: %q", p.out.Text())
	}
	return ns
}

func (p *benchClient) stop() {
	fmt.Fprintln(p.in, "q")
	p.in.Close()
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
	p.cancel()
}

// The sizes and modes of shm/client's BenchmarkGoClient*: whole requests,
// header included; SHM under plain names, socket mode under "socket/".
var benchSizes = []struct {
	name string
	size int
}{{"64B", 64}, {"1KiB", 1024}, {"64KiB", 64 << 10}}

var benchModes = []struct {
	prefix string
	mode   shm.Mode
}{{"", shm.ModeSHM}, {"socket/", shm.ModeSocket}}

func benchC(b *testing.B, op string) {
	bin := qbclient(b)
	for _, m := range benchModes {
		s := shmtest.StartEcho(b, m.mode, shmtest.EchoOptions{})
		for _, sz := range benchSizes {
			p := startBench(b, bin, s.Name, sz.size)
			b.Run(m.prefix+sz.name, func(b *testing.B) {
				b.SetBytes(int64(sz.size))
				ns := p.run(b, op, b.N)
				b.ReportMetric(float64(b.N)/(ns/1e9), "msgs/s")
			})
			p.stop()
		}
	}
}

// BenchmarkCClientRoundTrip: libqb's qb_ipcc_sendv_recv echo round trips
// against the gorosync server; msgs/s is what the C program measured
// around its loop (ns/op also counts one pipe exchange with it).
func BenchmarkCClientRoundTrip(b *testing.B) { benchC(b, "rt") }

// BenchmarkCClientOneWay: libqb's qb_ipcc_send one-way requests (retried
// on EAGAIN) and one counting round trip at the end.
func BenchmarkCClientOneWay(b *testing.B) { benchC(b, "ow") }
