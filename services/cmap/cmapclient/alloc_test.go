package cmapclient_test

import (
	"context"
	"testing"
	"time"

	"github.com/gorosync/gorosync/services/cmap"
	"github.com/gorosync/gorosync/services/cmap/cmapclient"
	"github.com/gorosync/gorosync/shm"
)

// TestAllocs: the typed setters and getters, Set, SetString and GetInto
// into a large enough buffer allocate nothing per call once the
// connection is up, with a background and with a deadline context; so do
// the service's errors (small cs_error_t values). The server runs in a
// child process.
func TestAllocs(t *testing.T) {
	modes(t, func(t *testing.T, mode shm.Mode) {
		// The server runs in another process: AllocsPerRun counts the
		// whole process's allocations, and the service's are not ours.
		c, err := cmapclient.Dial(ctxT(t), cmapclient.Options{Service: startChild(t, mode)})
		must(t, err)
		defer c.Close()
		dl, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		buf := make([]byte, 0, 64)
		val := cmap.Int(cmap.U64, 7)
		for name, ctx := range map[string]context.Context{"background": context.Background(), "deadline": dl} {
			ops := map[string]func(){
				"SetUint32": func() { must(t, c.SetUint32(ctx, "alloc.u32", 5)) },
				"GetUint32": func() {
					if _, err := c.GetUint32(ctx, "alloc.u32"); err != nil {
						t.Fatal(err)
					}
				},
				"SetString": func() { must(t, c.SetString(ctx, "alloc.str", "some text")) },
				"Set":       func() { must(t, c.Set(ctx, "alloc.u64", val)) },
				"GetInto": func() {
					if _, err := c.GetInto(ctx, "alloc.str", buf); err != nil {
						t.Fatal(err)
					}
				},
				"SetDouble": func() { must(t, c.SetDouble(ctx, "alloc.dbl", 0.5)) },
				"GetDouble": func() {
					if _, err := c.GetDouble(ctx, "alloc.dbl"); err != nil {
						t.Fatal(err)
					}
				},
				"Inc": func() { must(t, c.Inc(ctx, "alloc.u32")) },
				"GetUint8 not exist": func() {
					if _, err := c.GetUint8(ctx, "alloc.none"); err != cmap.ErrNotExist {
						t.Fatal(err)
					}
				},
			}
			for _, op := range []string{"SetUint32", "GetUint32", "SetString", "Set", "GetInto", "SetDouble", "GetDouble", "Inc", "GetUint8 not exist"} {
				f := ops[op]
				for range 20 {
					f() // warm up: lazily made buffers, the context's channel
				}
				// Few runs: under AllocsPerRun's GOMAXPROCS=1 every round trip
				// hands the one P between client and server goroutines.
				if a := testing.AllocsPerRun(50, f); a != 0 {
					t.Errorf("%s (%s context): %.2f allocations per call, want 0", op, name, a)
				}
			}
		}
	})
}
