// Package oracle checks the Extended Virtual Synchrony guarantees of
// TOTEM_SPEC.md §4 over the per-node delivery logs that the deterministic
// cluster simulator records.
//
// It owns three things:
//
//   - the log model of §4.2 (Event, Log) and a cheap Recorder the simulator
//     appends to while it runs;
//   - Check, which replays every log once and reports each broken safety
//     invariant (E1–E15 of §4.3, plus SAFE for messages submitted with the
//     safe guarantee) and, when the run allows it, the liveness properties
//     L1 (self-delivery after a quiescent period) and L5 (no membership
//     change on a stable ring);
//   - Violation, the report a failing seed prints so it can be replayed.
//
// The package deliberately depends on nothing else in the project: the
// oracle must not share code (and therefore bugs) with the engine it judges.
//
// Cost: Check maps every message id to a dense index once, then works on
// integer positions; the pairwise checks (E10, E14) are O(nodes² × messages)
// and everything else is linear in the number of events.
package oracle
