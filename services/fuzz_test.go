package services_test

import (
	"testing"

	"github.com/gorosync/gorosync/services/servicetest"
)

// FuzzDeliver feeds a synchronising host arbitrary messages from a member:
// nothing may panic, and a host that is not syncing stays so.
func FuzzDeliver(f *testing.F) {
	f.Add([]byte{0xff, 0xff, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 1, 0, 1, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0, 0, 3, 0, 'x'})
	f.Fuzz(func(t *testing.T, msg []byte) {
		var log []string
		bus := servicetest.New()
		r := &recorder{id: 0, node: 1, log: &log}
		if _, err := bus.Add(1, r); err != nil {
			t.Fatal(err)
		}
		bus.Add(2)
		bus.Form(1, 2)
		h := bus.Node(1).Host
		h.Deliver(2, msg)
		bus.Run(5, 5)
		h.Deliver(2, msg)
	})
}
