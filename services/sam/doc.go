// Package sam is corosync's libsam, the Simple Availability Manager, as
// a Go library (TOTEM_SPEC §11; the API of corosync/sam.h): a supervisor
// process runs the application as a child, which proves its health with
// heartbeats; the supervisor restarts it or quits by policy, can keep the
// resources.process.<pid>.* keys in cmap for the watchdog, and with a
// quorum policy holds the application until the node is quorate and
// treats losing quorum as a failure. Like libsam it is client-side only:
// there is no sam service in the daemon.
//
// It owns: the library states (NOT_INITIALIZED → INITIALIZED →
// REGISTERED ⇄ STARTED → FINALIZED, cserror.ErrBadHandle in the wrong
// one), the supervisor's decisions (watch: warn signal, then SIGKILL one
// interval later; restart counter; data and warn signal kept across
// instances; mark-failed), the pipe protocol between supervisor and
// instance (our own layout, length-checked), event-driven health checks,
// and the cmap and quorum conversations (through
// services/cmap/cmapclient and services/quorum/quorumclient).
//
// Errors are cs_error_t values (Error, package cserror's type): the
// ErrBadHandle, ErrInvalidParam, … that the functions' comments name are
// cserror's constants.
//
// # Process model: how this differs from libsam's fork
//
// libsam's sam_register forks: the parent supervises, the child returns
// from sam_register with the whole state of the process. A Go program
// cannot fork safely (the runtime's threads do not survive it), so here
// Register in the original process starts this same binary again
// (/proc/self/exe, the same argv, environment and standard descriptors,
// the current directory at that time) with the environment marker
// GOROSYNC_SAM_CHILD=<supervisor pid>, and supervises it. The new
// process runs main from the start; its Initialize and Register see the
// marker and Register returns the instance id there. Consequences:
//
//   - Everything before Register runs again in every instance. Call
//     Initialize and Register first in main, before work with side
//     effects (files, sockets, goroutines, flag parsing with side
//     effects).
//   - Only what libsam's parent knows travels to the instance, through a
//     pipe: the instance id, the stored data, the warn signal, and the
//     supervisor's policy and interval (which win over the instance's own
//     Initialize arguments). Heap, goroutines and open files do not.
//   - In the instance, descriptors 3 and 4 are the pipes to the
//     supervisor (close-on-exec); other inherited descriptors beyond
//     stdin, stdout and stderr are not passed (socket activation fds do
//     not reach instances). The marker is removed from the environment
//     at package init, so programs the instance starts are not instances.
//   - The supervisor runs no application code after Register, but the
//     goroutines the program started before Register keep running in it
//     (as other threads of libsam's parent do).
//   - The health-check callback is func() error (nil: healthy) instead of
//     an int, and runs on a goroutine of the instance. Registering it in
//     the supervisor before Register starts nothing there.
//
// # Other differences
//
//   - Once the warn signal is sent, the instance has one interval until
//     SIGKILL whatever it sends (sam_overview(3)); libsam re-arms its
//     poll on every heartbeat, so an instance ignoring the warning after
//     losing quorum could live on. With a zero interval nothing follows
//     the warning but the instance's own exit, as in libsam.
//   - Initialize refuses a negative interval and WarnSignalSet a signal
//     outside 0..64 (ErrInvalidParam); libsam takes them.
//   - DataStore takes at most MaxDataSize bytes (ErrNoMemory beyond).
//   - Instance ids are uint32 and wrap to 0, starting at 1 (the code's
//     behaviour; sam_register(3) says 0).
//   - A lost quorum connection while started counts as losing quorum; a
//     later Start then fails with its error.
//   - cmap's last_updated is set at registration, at Start and at every
//     heartbeat (CLOCK_MONOTONIC ns).
//   - When an instance is killed by a signal and the supervisor quits, it
//     exits with status 0, as WEXITSTATUS gives libsam.
//
// Goroutines: in the supervisor, one watching loop plus a reader and a
// writer per instance and one quorum reader; in an instance, the
// health-check loop when a callback is registered. The API is safe to
// call from several goroutines; calls are serialised.
package sam
