package sim

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expected output of scenario files")

// TestScenarios runs every scripted scenario under testdata/scenarios and
// compares each command's output with the golden output in the file
// (go test -run TestScenarios -args -rewrite regenerates them).
func TestScenarios(t *testing.T) {
	files, err := filepath.Glob("testdata/scenarios/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
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
			var s Script
			outputs := make([]string, len(steps))
			for i, step := range steps {
				out, err := s.Do(step.Command)
				if err != nil {
					out = "error: " + err.Error()
				}
				outputs[i] = out
				if !*rewrite && out != step.Expected {
					t.Errorf("%s:%d: %s\n got:\n%s\nwant:\n%s", path, step.Line, step.Command, out, step.Expected)
				}
			}
			if *rewrite {
				var buf bytes.Buffer
				FormatScript(&buf, steps, outputs)
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
