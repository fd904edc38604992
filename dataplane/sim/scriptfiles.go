package sim

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// RunScriptFiles runs every scenario file matching glob, each on a fresh
// Script from newScript, and compares each command's output with the
// golden output in the file; with rewrite it writes the outputs back
// instead. newScript gets the subtest and the file's path (a scenario may configure its
// services from it). Service packages use it for their own scenarios
// (with Script.Services and Script.Commands set).
func RunScriptFiles(t *testing.T, glob string, newScript func(t *testing.T, path string) *Script, rewrite bool) {
	t.Helper()
	files, err := filepath.Glob(glob)
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios match %s: %v", glob, err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			steps, err := ParseScript(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			s := newScript(t, path)
			outputs := make([]string, len(steps))
			for i, step := range steps {
				out, err := s.Do(step.Command)
				if err != nil {
					out = "error: " + err.Error()
				}
				outputs[i] = out
				if !rewrite && out != step.Expected {
					t.Errorf("%s:%d: %s\n got:\n%s\nwant:\n%s", path, step.Line, step.Command, out, step.Expected)
				}
			}
			if rewrite {
				var buf bytes.Buffer
				buf.Write(leadingComments(data)) // a scenario's own configuration
				FormatScript(&buf, steps, outputs)
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// leadingComments returns the comment lines at the top of a scenario file.
func leadingComments(data []byte) []byte {
	end := 0
	for end < len(data) && data[end] == '#' {
		nl := bytes.IndexByte(data[end:], '\n')
		if nl < 0 {
			return data
		}
		end += nl + 1
	}
	return data[:end]
}
