package cmapclient_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gorosync/gorosync/services/cmap"
	"github.com/gorosync/gorosync/services/cmap/cmapclient"
	"github.com/gorosync/gorosync/services/cserror"
	"github.com/gorosync/gorosync/shm"
)

// note formats a notification for comparison.
func note(n cmapclient.Notification) string {
	return fmt.Sprintf("%d %s new=%v old=%v", n.Kind, n.Key, n.New, n.Old)
}

func recv(t *testing.T, c *cmapclient.Client) cmapclient.Notification {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, err := c.Recv(ctx)
	if err != nil {
		t.Fatalf("Recv: %v", err)
	}
	return n
}

// expectNotes receives len(want) notifications and compares them; a
// marker key then proves nothing else came in between.
func expectNotes(t *testing.T, c *cmapclient.Client, want ...string) {
	t.Helper()
	for i, w := range want {
		if got := note(recv(t, c)); got != w {
			t.Errorf("notification %d:\n got %s\nwant %s", i, got, w)
		}
	}
}

// TestTrackKey: a track on one key sees its add, modify and delete (not
// an identical set, not other keys), with new and old values; the
// client's own changes and the daemon's alike. After TrackDelete, no
// more.
func TestTrackKey(t *testing.T) {
	modes(t, func(t *testing.T, mode shm.Mode) {
		s, c := start(t, mode)
		ctx := ctxT(t)
		all := int32(cmap.TrackAdd | cmap.TrackDelete | cmap.TrackModify)
		h, err := c.TrackAdd(ctx, "trk.a", all, nil)
		if err != nil {
			t.Fatal(err)
		}
		marker, err := c.TrackAdd(ctx, "trk.marker", cmap.TrackAdd, nil)
		if err != nil {
			t.Fatal(err)
		}
		must(t, c.SetUint32(ctx, "trk.a", 1))
		must(t, c.SetUint32(ctx, "trk.a", 1)) // identical: no event
		must(t, c.SetUint32(ctx, "trk.ab", 1))
		storeSet(t, s, "trk.a", cmap.Str("x")) // the daemon's change, another type
		must(t, c.Delete(ctx, "trk.a"))
		must(t, c.SetUint8(ctx, "trk.marker", 1))
		expectNotes(t, c,
			"4 trk.a new=(u32) = 1 old=(type0) = ",
			"2 trk.a new=(str) = x old=(u32) = 1",
			"1 trk.a new=(type0) =  old=(str) = x",
			"4 trk.marker new=(u8) = 1 old=(type0) = ")
		must(t, c.SetUint32(ctx, "trk.a", 2))
		if n := recv(t, c); n.Track != h {
			t.Errorf("notification of track %x, want %x", n.Track, h)
		}
		must(t, c.TrackDelete(ctx, h))
		must(t, c.Delete(ctx, "trk.a"))
		must(t, c.Delete(ctx, "trk.marker"))
		must(t, c.SetUint8(ctx, "trk.marker", 2))
		if n := recv(t, c); n.Track != marker || n.Key != "trk.marker" {
			t.Errorf("after TrackDelete: %s (track %x)", note(n), n.Track)
		}
		wantCode(t, "delete the deleted track", c.TrackDelete(ctx, h), cmap.ErrBadHandle)
		_, err = c.TrackAdd(ctx, "trk.a", 16, nil)
		wantCode(t, "track type 16", err, cmap.ErrInvalid)
		_, err = c.TrackAdd(ctx, string(make([]byte, 256)), all, nil)
		wantCode(t, "track of a 256-byte key", err, cmap.ErrNameLong)
		// Open tracks make SET_CURRENT_MAP busy.
		wantCode(t, "set map with a track", c.SetMap(ctx, cmapclient.MapStats), cmap.ErrBusy)
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestTrackPrefix: a prefix track sees every key under it, filtered by
// its type bits; "" with TrackPrefix sees all keys.
func TestTrackPrefix(t *testing.T) {
	modes(t, func(t *testing.T, mode shm.Mode) {
		_, c := start(t, mode)
		ctx := ctxT(t)
		_, err := c.TrackAdd(ctx, "pfx.", cmap.TrackAdd|cmap.TrackDelete|cmap.TrackPrefix, nil)
		must(t, err)
		must(t, c.SetUint32(ctx, "pfx.a", 1))
		must(t, c.SetUint32(ctx, "pfx.a", 2)) // modify: not tracked
		must(t, c.SetUint32(ctx, "pfy.a", 1)) // not under the prefix
		must(t, c.SetString(ctx, "pfx.b.c", "v"))
		must(t, c.Delete(ctx, "pfx.a"))
		expectNotes(t, c,
			"4 pfx.a new=(u32) = 1 old=(type0) = ",
			"4 pfx.b.c new=(str) = v old=(type0) = ",
			"1 pfx.a new=(type0) =  old=(u32) = 2")
		all, err := c.TrackAdd(ctx, "", cmap.TrackModify|cmap.TrackPrefix, nil)
		must(t, err)
		must(t, c.SetUint32(ctx, "pfy.a", 3))
		if n := recv(t, c); note(n) != "2 pfy.a new=(u32) = 3 old=(u32) = 1" || n.Track != all {
			t.Errorf("all-keys track: %s", note(n))
		}
	})
}

// TestDispatch: callbacks through each dispatch mode; DispatchAll and
// DispatchOneNonblocking do not wait; DispatchBlocking ends with its
// context.
func TestDispatch(t *testing.T) {
	modes(t, func(t *testing.T, mode shm.Mode) {
		_, c := start(t, mode)
		ctx := ctxT(t)
		var got []string
		fn := func(n cmapclient.Notification) { got = append(got, note(n)) }
		_, err := c.TrackAdd(ctx, "dsp.", cmap.TrackAdd|cmap.TrackModify|cmap.TrackPrefix, fn)
		must(t, err)
		wantCode(t, "nonblocking with nothing", c.Dispatch(ctx, cmapclient.DispatchOneNonblocking), cserror.ErrTryAgain)
		start := time.Now()
		must(t, c.Dispatch(ctx, cmapclient.DispatchAll))
		if len(got) != 0 || time.Since(start) > time.Second {
			t.Errorf("DispatchAll with nothing: %q after %v", got, time.Since(start))
		}
		must(t, c.SetUint32(ctx, "dsp.a", 1))
		must(t, c.SetUint32(ctx, "dsp.b", 1))
		must(t, c.SetUint32(ctx, "dsp.a", 2))
		must(t, c.Dispatch(ctx, cmapclient.DispatchOne))
		if len(got) != 1 || got[0] != "4 dsp.a new=(u32) = 1 old=(type0) = " {
			t.Errorf("DispatchOne: %q", got)
		}
		// The remaining two: they are queued already (the server sends
		// events before replies), so DispatchAll takes both.
		must(t, c.Dispatch(ctx, cmapclient.DispatchAll))
		if len(got) != 3 || got[2] != "2 dsp.a new=(u32) = 2 old=(u32) = 1" {
			t.Errorf("DispatchAll: %q", got)
		}
		must(t, c.SetUint32(ctx, "dsp.c", 1))
		must(t, c.Dispatch(ctx, cmapclient.DispatchOneNonblocking))
		if len(got) != 4 {
			t.Errorf("DispatchOneNonblocking: %q", got)
		}
		// Blocking: a callback that cancels the dispatch's context.
		bctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		_, err = c.TrackAdd(ctx, "dsp.stop", cmap.TrackAdd, func(cmapclient.Notification) { cancel() })
		must(t, err)
		must(t, c.SetUint32(ctx, "dsp.d", 1))
		must(t, c.SetUint32(ctx, "dsp.stop", 1))
		err = c.Dispatch(bctx, cmapclient.DispatchBlocking)
		if !errors.Is(err, context.Canceled) || cserror.Code(err) != cserror.ErrInterrupt {
			t.Errorf("DispatchBlocking ended with %v", err)
		}
		if len(got) != 6 {
			t.Errorf("after DispatchBlocking: %q", got)
		}
	})
}

// TestCallbackReenters: a callback may call the client (requests and a
// nested dispatch).
func TestCallbackReenters(t *testing.T) {
	_, c := start(t, shm.ModeSHM)
	ctx := ctxT(t)
	var seen string
	_, err := c.TrackAdd(ctx, "re.a", cmap.TrackAdd, func(n cmapclient.Notification) {
		v, err := c.GetString(ctx, n.Key)
		seen = v
		must(t, err)
		must(t, c.Dispatch(ctx, cmapclient.DispatchAll))
	})
	must(t, err)
	must(t, c.SetString(ctx, "re.a", "value"))
	must(t, c.Dispatch(ctx, cmapclient.DispatchOne))
	if seen != "value" {
		t.Errorf("callback read %q", seen)
	}
}

// TestConcurrentDispatch: one goroutine dispatches while another sends
// requests (how a daemon client uses the library); every change arrives.
func TestConcurrentDispatch(t *testing.T) {
	_, c := start(t, shm.ModeSHM)
	ctx := ctxT(t)
	const n = 200
	got := make(chan string, n)
	_, err := c.TrackAdd(ctx, "cc.", cmap.TrackAdd|cmap.TrackPrefix, func(nt cmapclient.Notification) { got <- nt.Key })
	must(t, err)
	dctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- c.Dispatch(dctx, cmapclient.DispatchBlocking) }()
	for i := range n {
		must(t, c.SetUint32(ctx, fmt.Sprintf("cc.k%03d", i), uint32(i)))
	}
	for i := range n {
		select {
		case k := <-got:
			if want := fmt.Sprintf("cc.k%03d", i); k != want {
				t.Fatalf("notification %d for %s, want %s", i, k, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%d of %d notifications", i, n)
		}
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("DispatchBlocking: %v", err)
	}
}
