// Package fault is a TEST-ONLY fault stage at the daemon's transport
// boundary. The kernels gorosync is tested on may have no netem, so the
// delay, duplication, reordering and loss of received frames that netem
// would inject on the wire are injected here instead, on the receive side:
// each node disturbs what it hears. The daemon wraps its transport in a
// Stage only when a fault key is set (Config.Enabled); it is never on in a
// production configuration.
//
// The package owns, per Stage and for its whole life: the slots (Slots
// buffers of inner.MTU() bytes in one slab) into which held frames are
// copied, so that the inner transport's buffers are released at once and
// never held back; the due heap and the reordering list that order the held
// frames; and the seeded PRNG that makes every decision, so that the same
// seed and the same input give the same faults. All of it is allocated in
// New: Recv, Release and Send allocate nothing, and the stage starts no
// goroutine and no timer.
//
// A held frame is handed up by the first Recv at or after its due time.
// The stage has no descriptor of its own (Fd is the inner's, which does not
// become readable when a held frame falls due), so it relies on the
// daemon's loop polling Recv at least every millisecond (loop's maxSleep):
// due frames are handed up within about a millisecond of their time.
//
// Frames handed up straight from the inner transport keep the inner's
// buffer; held frames are handed up from a slot. The Received handle says
// which (inner handle h is handed up as 2h, slot i as 2i+1), so Release
// routes each frame to its owner. Inner handles must therefore lie in
// [-2^30, 2^30); a frame whose handle does not is copied into a slot (or,
// with every slot busy, dropped and counted in Dropped and Overflow). A
// zero Received released to the stage is released to the inner as the
// inner's zero Received.
//
// A Stage is used by one goroutine (the token loop), like any Transport;
// Stats may be read from any goroutine.
package fault
