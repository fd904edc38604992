// Package ring owns the in-process ring buffers through which other
// goroutines reach the token loop: bounded, allocation-free, and without
// locks (claim/commit, as Aeron's and Agrona's rings): MPSC for
// submissions, SPSC for one goroutine handing work to another. The
// libqb-compatible shared-memory ring lives in ring/qbring, its glibc
// semaphore in ring/qbsem.
package ring
