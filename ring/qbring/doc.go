// Package qbring owns libqb 2.0.6's shared-memory ring buffer as a Go
// server (and the Go client) must drive it to talk to C clients linked
// against libqb: the header file (LIBQB_IPC_SPEC.md §3.2) with its glibc
// semaphore (§3.3, package qbsem), the data file of word-sized slots and
// its chunk format (§3.4), the writer (§3.5) and reader (§3.6) algorithms,
// and the file lifecycle (§3.1, §4). §3.9 items 3–7 and 9 are implemented
// here; the handshake, notification bytes (§3.7) and flow-control policy
// (§3.8) belong to shm/.
//
// One Ring value is one process's handle on one ring. Each ring has
// exactly one writer and one reader, possibly in different processes;
// a Ring value is not safe for use by several goroutines at once.
//
// The other process is not trusted: every index and length read from the
// shared header or data is checked before use, and a bad one gives
// ErrCorrupt rather than a panic or an access outside the mapping. The
// word size, the file paths and the chunk positions in flight are kept
// in the Ring itself, never re-read from shared memory. (A peer that
// truncates the mapped files can still make an access fault with SIGBUS;
// libqb itself has the same exposure.)
package qbring
