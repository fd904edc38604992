package report

import (
	"fmt"
	"os"
	"strings"

	"github.com/gorosync/gorosync/bench/suite"
)

// The generated sections of BENCHMARKS.md. Each lies between
// <!-- gorosync-bench:NAME --> and <!-- /gorosync-bench:NAME -->; the
// text around them is written by hand.
const (
	SectionMachine = "machine"
	SectionTargets = "targets"
	SectionSuite   = "suite"
	SectionMicro   = "micro"
)

// Machine says when and where the suite ran.
func Machine(r *suite.Results) string {
	return fmt.Sprintf("Side-by-side suite measured %s UTC (%s) on %s; 1-minute load average %.1f at the start, %.1f at the end (the machine is shared).\n",
		r.Started.Format("2006-01-02 15:04"), r.Finished.Sub(r.Started).Round(1e9), r.Machine, r.LoadStart, r.LoadEnd)
}

func markers(name string) (begin, end string) {
	return "<!-- gorosync-bench:" + name + " -->", "<!-- /gorosync-bench:" + name + " -->"
}

// Rewrite replaces the content of each named section of doc; a section
// whose markers are missing is an error, so a run never silently drops
// its output.
func Rewrite(doc string, sections map[string]string) (string, error) {
	for name, body := range sections {
		begin, end := markers(name)
		i := strings.Index(doc, begin)
		j := strings.Index(doc, end)
		if i < 0 || j < i {
			return "", fmt.Errorf("report: markers %s … %s missing or out of order", begin, end)
		}
		if strings.Count(doc, begin) != 1 || strings.Count(doc, end) != 1 {
			return "", fmt.Errorf("report: section %q marked more than once", name)
		}
		body = strings.TrimRight(body, "\n")
		doc = doc[:i+len(begin)] + "\n" + body + "\n" + doc[j:]
	}
	return doc, nil
}

// RewriteFile applies Rewrite to the file at path.
func RewriteFile(path string, sections map[string]string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	doc, err := Rewrite(string(b), sections)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.WriteFile(path, []byte(doc), 0o644)
}
