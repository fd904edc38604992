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
)

// modes runs f against a server in each transport mode.
func modes(t *testing.T, f func(t *testing.T, mode shm.Mode)) {
	for _, m := range []shm.Mode{shm.ModeSHM, shm.ModeSocket} {
		t.Run(m.String(), func(t *testing.T) { f(t, m) })
	}
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// start serves a fresh store in mode and connects a client to it.
func start(t *testing.T, mode shm.Mode) (*cmapclienttest.Server, *cmapclient.Client) {
	t.Helper()
	s := cmapclienttest.Start(t, cmapclienttest.Config{Mode: mode})
	return s, dial(t, s)
}

func dial(t testing.TB, s *cmapclienttest.Server) *cmapclient.Client {
	t.Helper()
	c, err := cmapclient.Dial(ctxT(t), cmapclient.Options{Service: s.Name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// wantCode fails unless err carries the cs_error want (nil for OK).
func wantCode(t *testing.T, what string, err error, want cmap.Error) {
	t.Helper()
	if got := cserror.Code(err); got != want {
		t.Errorf("%s: %v (%s), want %s", what, err, got.String(), want.String())
	}
	if want != cmap.OK {
		var e cmap.Error
		if !errors.As(err, &e) || e != want {
			t.Errorf("%s: errors.As gives %v, want %v", what, e, want)
		}
	}
}

// storeGet reads key from the server's main map.
func storeGet(t *testing.T, s *cmapclienttest.Server, key string) (cmap.Value, bool) {
	var v cmap.Value
	var ok bool
	s.Do(t, func() {
		v, ok = s.Store().Get(key)
		v.Data = append([]byte(nil), v.Data...)
	})
	return v, ok
}

func storeSet(t *testing.T, s *cmapclienttest.Server, key string, v cmap.Value) {
	s.Do(t, func() {
		if e := s.Store().Set(key, v); e != cmap.OK {
			t.Errorf("store set %s: %v", key, e)
		}
	})
}
