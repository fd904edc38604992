// Package measure holds what the bench suite reads off a run: a daemon's
// CPU time and memory from /proc, latency distributions (HdrHistogram),
// and the median-and-range summaries every table prints.
package measure
