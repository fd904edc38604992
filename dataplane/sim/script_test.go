package sim

import (
	"flag"
	"testing"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expected output of scenario files")

// TestScenarios runs every scripted scenario under testdata/scenarios and
// compares each command's output with the golden output in the file
// (go test -run TestScenarios -args -rewrite regenerates them).
func TestScenarios(t *testing.T) {
	RunScriptFiles(t, "testdata/scenarios/*.txt", func(*testing.T, string) *Script { return &Script{} }, *rewrite)
}
