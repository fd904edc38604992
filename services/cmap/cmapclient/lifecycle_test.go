package cmapclient_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/gorosync/gorosync/services/cmap"
	"github.com/gorosync/gorosync/services/cmap/cmapclient"
	"github.com/gorosync/gorosync/services/cmap/cmapclient/cmapclienttest"
	"github.com/gorosync/gorosync/services/cserror"
	"github.com/gorosync/gorosync/shm"
	"github.com/gorosync/gorosync/shm/client"
	"github.com/gorosync/gorosync/shm/shmtest"
)

// TestNoServer: connecting to a name nobody serves is CS_ERR_LIBRARY, as
// libcmap reports ECONNREFUSED.
func TestNoServer(t *testing.T) {
	_, err := cmapclient.Dial(ctxT(t), cmapclient.Options{Service: shmtest.Name("gscmapc")})
	var ie *cmapclient.IPCError
	if !errors.As(err, &ie) || cserror.Code(err) != cmap.ErrLibrary || !errors.Is(err, client.ErrConnRefused) {
		t.Errorf("Dial with no server: %v", err)
	}
}

// TestClosed: calls after Close are CS_ERR_BAD_HANDLE; Close twice is
// fine.
func TestClosed(t *testing.T) {
	s := cmapclienttest.Start(t, cmapclienttest.Config{})
	c := dial(t, s)
	ctx := ctxT(t)
	must(t, c.Close())
	must(t, c.Close())
	wantCode(t, "set after close", c.SetUint8(ctx, "cl.a", 1), cmap.ErrBadHandle)
	_, err := c.Recv(ctx)
	wantCode(t, "recv after close", err, cmap.ErrBadHandle)
}

// TestServerGone: when the server goes, requests and a waiting Recv fail
// with CS_ERR_LIBRARY (libcmap: ENOTCONN) instead of hanging.
func TestServerGone(t *testing.T) {
	t.Run("shm", func(t *testing.T) {
		var c *cmapclient.Client
		t.Run("serve", func(t *testing.T) {
			s := cmapclienttest.Start(t, cmapclienttest.Config{Mode: shm.ModeSHM})
			var err error
			c, err = cmapclient.Dial(ctxT(t), cmapclient.Options{Service: s.Name})
			must(t, err)
			must(t, c.SetUint8(ctxT(t), "gone.a", 1))
		}) // the subtest's cleanup stops the server
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		wantCode(t, "set with the server gone", c.SetUint8(ctx, "gone.a", 2), cmap.ErrLibrary)
		_, err := c.Recv(ctx)
		wantCode(t, "recv with the server gone", err, cmap.ErrLibrary)
		if ctx.Err() != nil {
			t.Error("waited for the context")
		}
	})
}

// TestCancelledRequest: a request whose context ends is abandoned; the
// next request gets its own reply, not the stale one.
func TestCancelledRequest(t *testing.T) {
	s, c := start(t, shm.ModeSHM)
	ctx := ctxT(t)
	storeSet(t, s, "cx.a", cmap.Int(cmap.U8, 1))
	storeSet(t, s, "cx.b", cmap.Int(cmap.U16, 2))
	dead, cancel := context.WithCancel(ctx)
	cancel()
	_, err := c.GetUint8(dead, "cx.a")
	if err != nil {
		wantCode(t, "cancelled get", err, cserror.ErrInterrupt)
	}
	for range 3 {
		if v, err := c.GetUint16(ctx, "cx.b"); v != 2 || err != nil {
			t.Fatalf("after a cancelled request: %d %v", v, err)
		}
	}
}

// TestStrError: corosync's names (cs_strerror).
func TestStrError(t *testing.T) {
	for e, want := range map[cmap.Error]string{
		cmap.OK: "success", cmap.ErrNotExist: "CS_ERR_NOT_EXIST", cmap.ErrLibrary: "CS_ERR_LIBRARY",
		cserror.ErrTryAgain: "CS_ERR_TRY_AGAIN", cmap.ErrNoSection: "CS_ERR_NO_SECTIONS",
		cserror.ErrSecurity: "CS_ERR_SECURITY", 29: "unknown error", 0: "unknown error",
	} {
		if got := e.String(); got != want {
			t.Errorf("Error(%d).String() = %q, want %q", int32(e), got, want)
		}
	}
	for err, want := range map[error]cmap.Error{
		nil: cmap.OK, client.ErrTryAgain: cserror.ErrTryAgain, client.ErrNoBuffers: cserror.ErrTryAgain,
		client.ErrClosed: cmap.ErrBadHandle, client.ErrNotConnected: cmap.ErrLibrary, client.ErrTooBig: cserror.ErrTooBig,
		client.ErrAccess: cmap.ErrAccess, client.ErrNotSupported: cmap.ErrNotSupp, context.DeadlineExceeded: cserror.ErrTimeout,
		errors.New("x"): cmap.ErrLibrary, cmap.ErrExist: cmap.ErrExist,
	} {
		if got := cserror.Code(err); got != want {
			t.Errorf("Code(%v) = %d, want %d", err, got, want)
		}
	}
}
