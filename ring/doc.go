// Package ring owns the in-process ring buffers through which other
// goroutines reach the token loop: bounded, allocation-free, and without
// locks (claim/commit, as Aeron's and Agrona's rings). The libqb-compatible
// shared-memory ring for clients will live here too.
package ring
