// Package totem owns the Totem Single-Ring Protocol as a pure state machine:
// SRP ordering (the ORF token, broadcast, retransmission, flow control,
// agreed and safe delivery) and, later, membership.
//
// A Node never reads a clock, starts a goroutine, touches a socket or draws a
// random number. Its inputs are received frames (Step), submitted messages
// (Submit) and the current monotonic time in nanoseconds (Tick); its output
// is a Ready batch: frames to send, deliveries and configuration changes in
// order, and the next timer deadline. The caller acts on the batch and calls
// Advance before asking for the next one (the shape of etcd-io/raft's
// Step/Tick/Ready). This is what lets the simulator replay any run exactly.
//
// Memory is bounded and reused: sort-queue slots and send-queue entries own
// frame-sized buffers that are swapped, never copied, when a queued message
// is stamped and broadcast; steady-state operation allocates nothing.
package totem
