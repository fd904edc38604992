// Package cinterop holds only tests: a small C program of ours
// (qbclient.c, embedded) linked with Debian's libqb 2.0.6 (-lqb) talks to
// the gorosync IPC server (package shm) in SHM and in socket mode — round
// trips, events and one-way sends of every size up to 1 MiB, enough to
// wrap every ring many times — and, in bench mode, measures the C client
// against the same server as the Go client's benchmarks (shm/client), so
// `go test -bench . ./shm/...` shows both side by side.
package cinterop
