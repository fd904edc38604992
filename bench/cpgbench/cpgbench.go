// Package cpgbench builds and drives cpgbench, a small C benchmark client on
// corosync's libcpg (cpgbench.c, embedded). The same binary measures Debian's
// corosync 3.1.7 and gorosync through the cpg client API, so both are measured
// with one client.
//
// Modes of the binary (one JSON line on stdout at the end; errors on stderr, exit 1):
//
//	cpgbench [-g GROUP] -m throughput -s SIZE -t SECONDS
//	cpgbench [-g GROUP] -m throughput -w -t SECONDS      (watch: count others' messages)
//	cpgbench [-g GROUP] -m latency -s SIZE -n COUNT -r RATE [-o FILE]
//	cpgbench [-g GROUP] -m pingpong -s SIZE -n COUNT [-o FILE]
//	cpgbench [-g GROUP] -m members -t SECONDS      (one JSON event line per confchg)
//
// -o FILE writes every latency sample (ns, one a line) for ReadSamples. The
// members mode streams Event lines (ParseEvent) as configuration changes
// arrive and ends on SIGTERM.
//
// The IPC sockets of corosync are abstract unix sockets, which are per network
// namespace: run the binary in the daemon's namespace (ip netns exec NS ...).
package cpgbench

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/gorosync/gorosync/bench/cbuild"
)

//go:embed cpgbench.c
var source []byte

// Source returns the C source of the benchmark client.
func Source() []byte { return bytes.Clone(source) }

// BinaryName is the file name Build gives the compiled client.
const BinaryName = "cpgbench"

// Errors Build wraps when the toolchain or libcpg development files are missing.
var (
	ErrNoCompiler = errors.New("cpgbench: gcc not found in PATH")
	ErrNoCPG      = errors.New("cpgbench: libcpg development files missing (corosync/cpg.h or -lcpg; install libcpg-dev libcorosync-common-dev libqb-dev)")
)

// CFlags are the compiler flags Build uses (the link flag -lcpg follows the source).
var CFlags = []string{"-std=c99", "-O2", "-Wall", "-Wextra"}

// Build compiles the embedded cpgbench.c with gcc into outDir (created if
// needed) and returns the absolute path of the binary. The error wraps
// ErrNoCompiler or ErrNoCPG when gcc or libcpg's header or library is missing.
func Build(outDir string) (path string, err error) {
	return build(outDir, nil)
}

func build(outDir string, extraFlags []string) (string, error) {
	flags := append(append([]string{}, CFlags...), extraFlags...)
	bin, err := cbuild.Build(outDir, BinaryName, source, flags, []string{"-lcpg"})
	var ce *cbuild.Error
	switch {
	case errors.Is(err, cbuild.ErrNoGCC):
		return "", fmt.Errorf("%w: %v", ErrNoCompiler, err)
	case errors.As(err, &ce) && ((strings.Contains(ce.Output, "cpg.h") && strings.Contains(ce.Output, "No such file")) ||
		strings.Contains(ce.Output, "cannot find -lcpg")):
		return "", fmt.Errorf("%w: gcc: %s", ErrNoCPG, ce.Output)
	case err != nil:
		return "", fmt.Errorf("cpgbench: %w", err)
	}
	return bin, nil
}

// Result is the JSON line cpgbench prints. Fields a mode does not produce stay zero.
type Result struct {
	Mode   string `json:"mode"` // "throughput", "watch", "latency", "pingpong" or "members"
	Group  string `json:"group"`
	NodeID uint32 `json:"nodeid"`
	PID    uint32 `json:"pid"`
	Size   int    `json:"size"` // payload bytes per message (not in watch mode)

	// Own messages (throughput, latency). In watch mode Delivered counts
	// deliveries from any sender and Sent is 0.
	Sent            uint64 `json:"sent"`
	Delivered       uint64 `json:"delivered"`
	WindowDelivered uint64 `json:"window_delivered"` // own deliveries inside the timed window

	// Seconds is the timed window: from the first own delivery for SECONDS
	// (throughput), first to last delivery (watch), or first send to the end
	// of draining (latency).
	Seconds  float64 `json:"seconds"`
	MsgsPerS float64 `json:"msgs_per_s"` // own (throughput) or all (watch) deliveries per second
	MBPerS   float64 `json:"mb_per_s"`   // MsgsPerS × size / 1e6

	// Deliveries from every sender, including this process.
	DeliveredAll       uint64  `json:"delivered_all"`
	WindowDeliveredAll uint64  `json:"window_delivered_all"`
	AllMsgsPerS        float64 `json:"all_msgs_per_s"`
	Senders            int     `json:"senders"`

	// Latency mode: send → own agreed delivery, microseconds.
	Count  uint64  `json:"count"`
	Rate   float64 `json:"rate"`
	MinUs  float64 `json:"min_us"`
	MeanUs float64 `json:"mean_us"`
	P50Us  float64 `json:"p50_us"`
	P99Us  float64 `json:"p99_us"`
	P999Us float64 `json:"p999_us"`
	MaxUs  float64 `json:"max_us"`

	// Checks. Lost: own messages sent but not delivered within 5 s of the end
	// (watch mode: equal to Gaps). Gaps: sequence numbers skipped, any sender.
	// Misordered: late or duplicate sequence numbers, any sender. Corrupt:
	// deliveries with a bad header or length.
	Lost       uint64 `json:"lost"`
	Gaps       uint64 `json:"gaps"`
	Misordered uint64 `json:"misordered"`
	Corrupt    uint64 `json:"corrupt"`

	// CPUSeconds is the client's own user + system CPU time at the end
	// (throughput, latency, pingpong).
	CPUSeconds float64 `json:"cpu_s"`
}

// Parse returns the result in the last line of out that is a JSON object
// (other lines, such as stderr mixed into out, are ignored).
func Parse(out []byte) (Result, error) {
	var last []byte
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for sc.Scan() {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) >= 2 && line[0] == '{' && line[len(line)-1] == '}' {
			last = append(last[:0], line...)
		}
	}
	if err := sc.Err(); err != nil {
		return Result{}, fmt.Errorf("cpgbench: reading output: %w", err)
	}
	if last == nil {
		return Result{}, fmt.Errorf("cpgbench: no JSON result line in output: %q", truncate(out, 300))
	}
	var r Result
	if err := json.Unmarshal(last, &r); err != nil {
		return Result{}, fmt.Errorf("cpgbench: bad result line %q: %w", truncate(last, 300), err)
	}
	switch r.Mode {
	case "throughput", "watch", "latency", "pingpong", "members":
	default:
		return Result{}, fmt.Errorf("cpgbench: result line has unknown mode %q: %q", r.Mode, truncate(last, 300))
	}
	return r, nil
}

func truncate(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "..."
}
