// Package oracle checks the Extended Virtual Synchrony guarantees of
// TOTEM_SPEC.md §4 over the per-node delivery logs that the deterministic
// cluster simulator records.
//
// It owns three things:
//
//   - the log model of §4.2 (Event, Log), extended with the faults the
//     simulator injects: per node CRASH, LEAVE and RESTART, which separate
//     incarnations, and cluster-wide PARTITION, one-way CUT and HEAL in a
//     fault log of their own; and a cheap Recorder the simulator appends to
//     while it runs;
//   - Check (CheckStats), which replays every log once and reports each
//     broken safety invariant (E1–E15 of §4.3, plus SAFE for messages
//     submitted with the safe guarantee) and, when the run allows it, the
//     liveness properties of §4.4: L1 (self-delivery after a quiescent
//     period), L5 (no membership change on a stable ring) and, given
//     Bounds, the timed ones — L2 (a crash is detected), L3 (a leave is
//     processed without the token timeout) and L4 (partitions converge and
//     healed ones merge) — each judged only where no other fault came
//     inside its time window, so randomized runs with overlapping faults
//     check what can be checked and skip the rest;
//   - Violation, the report a failing seed prints so it can be replayed.
//
// The package deliberately depends on nothing else in the project: the
// oracle must not share code (and therefore bugs) with the engine it judges.
//
// Cost: Check maps every message id to a dense index once, then works on
// integer positions; the pairwise checks (E10, E14) are O(nodes² × messages)
// and everything else is linear in the number of events. The timed checks
// look up incarnations and REGs per fault: quadratic at worst, but in
// faults and configurations, which are few next to messages.
package oracle
