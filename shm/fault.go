package shm

import (
	"fmt"
	"runtime/debug"
)

// A client owns its ring files (they are chowned to it, so that it can
// open them) and can truncate one while the server has it mapped; the next
// access to the lost pages faults with SIGBUS, which would kill the whole
// daemon. Every access to a connection's shared memory therefore runs with
// the runtime's panic-on-fault switched on for the goroutine, and a fault
// is recovered into a disconnect of that one client.

// faultGuard is deferred around an access to c's shared memory, after
// panicOnFault: a fault closes c and sets *err to ErrClosed; any other
// panic goes on.
func (c *Conn) faultGuard(err *error) {
	r := recover()
	if r == nil {
		return
	}
	f, ok := r.(interface{ Addr() uintptr })
	if !ok {
		panic(r)
	}
	c.faulted = true
	c.s.stats.badRequests.Add(1)
	c.closeWith("the client truncated its shared memory", fmt.Errorf("fault at %#x", f.Addr()))
	if err != nil {
		*err = ErrClosed
	}
}

// panicOnFault switches the runtime's panic-on-fault on for this goroutine
// and returns the previous setting, for a deferred debug.SetPanicOnFault.
func panicOnFault() bool { return debug.SetPanicOnFault(true) }
