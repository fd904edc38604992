// Package cmapbench builds and drives cmapbench, a small C client on
// corosync's libcmap (cmapbench.c, embedded), so that cmap_get is timed
// with one client for Debian's corosync 3.1.7 and for gorosync.
//
//	cmapbench [-M icmap|stats] -k KEY -t SECONDS   (gets back to back: ops/s)
//	cmapbench [-M icmap|stats] -k KEY [-k KEY]... -n 1   (integer values)
//
// One JSON line on stdout at the end; errors on stderr, exit 1. Like every
// corosync client it must run in the daemon's network namespace.
package cmapbench

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

//go:embed cmapbench.c
var source []byte

// BinaryName is the file name Build gives the compiled client.
const BinaryName = "cmapbench"

// ErrNoToolchain is wrapped by Build when gcc or libcmap's development
// files are missing.
var ErrNoToolchain = errors.New("cmapbench: gcc or libcmap development files missing (install gcc libcmap-dev)")

// Build compiles the embedded cmapbench.c with gcc into outDir (created if
// needed) and returns the binary's absolute path.
func Build(outDir string) (string, error) {
	bin, err := cbuild.Build(outDir, BinaryName, source, []string{"-std=c99", "-O2", "-Wall", "-Wextra"}, []string{"-lcmap"})
	var ce *cbuild.Error
	switch {
	case errors.Is(err, cbuild.ErrNoGCC):
		return "", fmt.Errorf("%w: %v", ErrNoToolchain, err)
	case errors.As(err, &ce) && (strings.Contains(ce.Output, "cmap.h") || strings.Contains(ce.Output, "cannot find -lcmap")):
		return "", fmt.Errorf("%w: %s", ErrNoToolchain, ce.Output)
	case err != nil:
		return "", fmt.Errorf("cmapbench: %w", err)
	}
	return bin, nil
}

// Result is the line cmapbench prints; fields a mode does not set stay zero.
type Result struct {
	Mode    string            `json:"mode"` // "get" or "values"
	Key     string            `json:"key"`
	Ops     uint64            `json:"ops"`
	Seconds float64           `json:"seconds"`
	OpsPerS float64           `json:"ops_per_s"`
	Values  map[string]uint64 `json:"values"`
}

// Parse returns the last JSON object line of out.
func Parse(out []byte) (Result, error) {
	var last []byte
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		l := bytes.TrimSpace(sc.Bytes())
		if len(l) >= 2 && l[0] == '{' && l[len(l)-1] == '}' {
			last = append(last[:0], l...)
		}
	}
	if last == nil {
		return Result{}, fmt.Errorf("cmapbench: no result line in %q", out)
	}
	var r Result
	if err := json.Unmarshal(last, &r); err != nil {
		return Result{}, fmt.Errorf("cmapbench: bad result line %q: %w", last, err)
	}
	if r.Mode != "get" && r.Mode != "values" {
		return Result{}, fmt.Errorf("cmapbench: unknown mode in %q", last)
	}
	return r, nil
}
