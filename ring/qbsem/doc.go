// Package qbsem owns the process-shared POSIX semaphore that libqb 2.0.6
// places in every shared-memory ring header: a glibc 2.36 64-bit sem_t
// (32 bytes) living in a mapping that a C client also maps, operated on
// with the same atomic word protocol and shared futex calls as glibc, so
// that a C process blocked in sem_timedwait is woken by a Go Post and a Go
// Wait is woken by a C sem_post (LIBQB_IPC_SPEC.md §3.3, §3.9 item 6).
//
// Layout (64-bit little-endian glibc): bytes 0..7 are one 64-bit word
// whose low half is the token count and whose high half is the number of
// registered waiters; bytes 8..11 are the futex privacy selector, which
// glibc sets to 128 for a process-shared semaphore; the rest is zero. The
// futex word is the low half (the value) at offset 0.
//
// This is glibc's internal encoding, not a documented ABI; the tests pin
// it against the glibc installed on the machine.
package qbsem
