// Package cbuild owns compiling the bench suite's embedded C clients
// (cpgbench, cmapbench) with gcc: the source is written next to the binary
// so that a failed build can be read and rerun by hand.
package cbuild

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// ErrNoGCC: gcc is not on PATH.
var ErrNoGCC = errors.New("cbuild: gcc not found")

// Error is a failed compilation; Output is gcc's, for the caller to tell
// a missing header or library from a real error.
type Error struct {
	Args   []string
	Err    error
	Output string
}

func (e *Error) Error() string {
	return fmt.Sprintf("gcc %v: %v: %s", e.Args, e.Err, e.Output)
}

func (e *Error) Unwrap() error { return e.Err }

// Build writes source as outDir/name.c (outDir is created if needed) and
// compiles it to outDir/name with flags before the source and libs after
// it; it returns the binary's absolute path.
func Build(outDir, name string, source []byte, flags, libs []string) (string, error) {
	gcc, err := exec.LookPath("gcc")
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNoGCC, err)
	}
	dir, err := filepath.Abs(outDir)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	src := filepath.Join(dir, name+".c")
	if err := os.WriteFile(src, source, 0o644); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, name)
	args := append(append(append([]string{}, flags...), "-o", bin, src), libs...)
	var out bytes.Buffer
	cmd := exec.Command(gcc, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", &Error{Args: args, Err: err, Output: string(bytes.TrimSpace(out.Bytes()))}
	}
	return bin, nil
}
