// Package loop owns the token loop: the one goroutine that runs a node's
// whole data path — receive a batch from the transport, step the totem
// state machine, fire its timers, take what clients submitted (through a
// lock-free ring), pack and deliver through totempg, send the batch — and
// decides what to do when a pass found no work (spin, yield, or sleep until
// a frame, a submission or the next deadline). It pins itself to a CPU when
// told to. Nothing on this path takes a lock or allocates.
package loop
