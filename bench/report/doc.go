// Package report turns the bench suite's Results into the markdown of
// BENCHMARKS.md: a table per scenario with medians, ranges and the
// gorosync/corosync ratio, the targets with what was measured against
// them, the Go micro-benchmarks from `go test -bench` output, and the
// rewriting of the file's generated sections between their markers.
package report
