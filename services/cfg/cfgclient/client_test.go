package cfgclient

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorosync/gorosync/services/cfg"
	"github.com/gorosync/gorosync/services/cfg/cfgtest"
	"github.com/gorosync/gorosync/services/cmap"
	"github.com/gorosync/gorosync/services/cserror"
	"github.com/gorosync/gorosync/shm"
	"github.com/gorosync/gorosync/shm/client"
)

var names atomic.Uint64

// start serves a test cluster under names of its own (the test's network
// namespace is shared: never the real "cfg").
func start(t *testing.T, mode shm.Mode) (*cfgtest.Cluster, string) {
	n := names.Add(1)
	cfgName := fmt.Sprintf("gscfg-%d-%d", os.Getpid(), n)
	cl := cfgtest.Start(t, cfgtest.Options{CfgName: cfgName, CmapName: fmt.Sprintf("gscmap-%d-%d", os.Getpid(), n), Mode: mode})
	return cl, cfgName
}

func ctx5(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func dial(t *testing.T, name string) *Client {
	t.Helper()
	c, err := DialService(ctx5(t), name, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func wantErr(t *testing.T, what string, err error, want cfg.Error) {
	t.Helper()
	if got := cserror.FromErrno(err); got != want {
		t.Errorf("%s: %v (%v), want %v", what, got, err, want)
	}
}

func TestCalls(t *testing.T) {
	for _, mode := range []shm.Mode{shm.ModeSHM, shm.ModeSocket} {
		t.Run(mode.String(), func(t *testing.T) {
			cl, name := start(t, mode)
			c := dial(t, name)
			ctx := ctx5(t)
			if id, err := c.LocalGet(ctx); err != nil || id != 1 {
				t.Errorf("LocalGet: %d %v", id, err)
			}
			st, err := c.NodeStatusGet(ctx, 3)
			want := cfg.NodeStatus{NodeID: 3, Reachable: true}
			want.Links[0] = cfg.LinkStatus{Enabled: true, Connected: true, MTU: 1500, Src: "198.18.1.3"}
			if err != nil || st != want {
				t.Errorf("NodeStatusGet 3: %v\n got %+v\nwant %+v", err, st, want)
			}
			_, err = c.NodeStatusGet(ctx, 8)
			wantErr(t, "NodeStatusGet 8", err, cserror.ErrFailedOperation)
			rings, err := c.RingStatusGet(ctx)
			if err != nil || !slices.Equal(rings, []cfg.RingStatus{{Name: "0 198.18.1.1", Status: "n33"}}) {
				t.Errorf("RingStatusGet: %q %v", rings, err)
			}
			addrs, err := c.GetNodeAddrs(ctx, 2)
			if err != nil || !slices.Equal(addrs, []netip.Addr{netip.MustParseAddr("198.18.1.2")}) {
				t.Errorf("GetNodeAddrs 2: %v %v", addrs, err)
			}
			_, err = c.GetNodeAddrs(ctx, 5)
			wantErr(t, "GetNodeAddrs 5", err, cserror.ErrNotExist)
			wantErr(t, "ReopenLogFiles", c.ReopenLogFiles(ctx), cserror.OK)
			wantErr(t, "ReplyToShutdown without a shutdown", c.ReplyToShutdown(ctx, true), cserror.ErrAccess)
			wantErr(t, "KillNode reason too long", c.KillNode(ctx, 2, strings.Repeat("x", 256)), cserror.ErrNameTooLong)
			wantErr(t, "KillNode 9", c.KillNode(ctx, 9, "x"), cserror.ErrNotExist)
			wantErr(t, "KillNode 2", c.KillNode(ctx, 2, "for the test"), cserror.OK)
			h := cl.WaitHooks(t, 2, func(h cfgtest.Hooks) bool { return len(h.Kills) > 0 })
			if !slices.Equal(h.Kills, []string{"for the test"}) {
				t.Errorf("node 2 kills %q", h.Kills)
			}
		})
	}
}

func TestReloadConfig(t *testing.T) {
	cl, name := start(t, shm.ModeSHM)
	c := dial(t, name)
	ctx := ctx5(t)
	// Node 2's file gains a key, node 3's breaks: each reloads its own.
	os.WriteFile(cl.Nodes[2].Conf, []byte(strings.Replace(cfgtest.Conf, "token: 1000", "token: 1000\n token_warning: 50", 1)), 0o644)
	os.WriteFile(cl.Nodes[3].Conf, []byte("totem {\n"), 0o644)
	wantErr(t, "ReloadConfig", c.ReloadConfig(ctx), cserror.OK)
	for id, want := range map[uint32][]cfg.Error{1: {cserror.OK}, 2: {cserror.OK}, 3: {cserror.ErrInvalidParam}} {
		h := cl.WaitHooks(t, id, func(h cfgtest.Hooks) bool { return len(h.Reloads) > 0 })
		if !slices.Equal(h.Reloads, want) {
			t.Errorf("node %d reloads %v, want %v", id, h.Reloads, want)
		}
	}
	var w2, w1 string
	cl.Do(t, func() {
		if v, ok := cl.Nodes[2].Store.Get("totem.token_warning"); ok {
			w2 = v.Text()
		}
		if v, ok := cl.Nodes[1].Store.Get("totem.token_warning"); ok && v.Type == cmap.U32 {
			w1 = v.Text()
		}
	})
	if w2 != "50" || w1 != "" {
		t.Errorf("token_warning: node 2 %q (want 50), node 1 %q (want none)", w2, w1)
	}
	// The origin's failure is its client's answer.
	os.WriteFile(cl.Nodes[1].Conf, []byte("nonsense\n"), 0o644)
	wantErr(t, "ReloadConfig with a broken file", c.ReloadConfig(ctx), cserror.ErrInvalidParam)
}

// A Pacemaker-like flow: pacemakerd tracks shutdowns and vetoes them; an
// administrator's TRYSHUTDOWN(REQUEST) from another connection gets
// CS_ERR_BUSY, and nothing shuts down. Then the tracker leaves and the
// next request goes through.
func TestPacemakerVeto(t *testing.T) {
	cl, name := start(t, shm.ModeSHM)
	pcmk, admin := dial(t, name), dial(t, name)
	ctx := ctx5(t)
	if err := pcmk.TrackStart(ctx, 0); err != nil {
		t.Fatal(err)
	}
	vetoed := make(chan error, 1)
	go func() {
		ev, err := pcmk.NextEvent(ctx)
		if err == nil && (ev.Status != cserror.OK || ev.Flags != cfg.ShutdownRequest) {
			err = fmt.Errorf("event %+v", ev)
		}
		if err == nil {
			err = pcmk.ReplyToShutdown(ctx, false)
		}
		vetoed <- err
	}()
	wantErr(t, "TryShutdown(REQUEST) vetoed", admin.TryShutdown(ctx, cfg.ShutdownRequest), cserror.ErrBusy)
	if err := <-vetoed; err != nil {
		t.Fatalf("tracker: %v", err)
	}
	if h := cl.Hooks(t, 1); h.Shutdowns != 0 {
		t.Fatalf("shut down despite the veto")
	}
	// A second admin request while the tracker is slow is refused.
	done := make(chan error, 1)
	go func() { done <- admin.TryShutdown(ctx, cfg.ShutdownRegardless) }()
	if ev, err := pcmk.NextEvent(ctx); err != nil || ev.Flags != cfg.ShutdownRegardless {
		t.Fatalf("second question: %+v %v", ev, err)
	}
	other := dial(t, name)
	wantErr(t, "TryShutdown while one is pending", other.TryShutdown(ctx, cfg.ShutdownRequest), cserror.ErrExist)
	// The tracker goes away: leaving is a yes, so REGARDLESS proceeds.
	pcmk.Close()
	wantErr(t, "TryShutdown(REGARDLESS) after the tracker left", <-done, cserror.OK)
	h := cl.WaitHooks(t, 1, func(h cfgtest.Hooks) bool { return h.Shutdowns > 0 })
	if h.Shutdowns != 1 || !strings.Contains(h.Log, "Node 1 was shut down by sysadmin") {
		t.Errorf("shutdowns %d, log:\n%s", h.Shutdowns, h.Log)
	}
	h2 := cl.WaitHooks(t, 2, func(h cfgtest.Hooks) bool { return strings.Contains(h.Log, "shut down by sysadmin") })
	if h2.Shutdowns != 0 || !strings.Contains(h2.Log, "Node 1 was shut down by sysadmin") {
		t.Errorf("node 2: shutdowns %d, log:\n%s", h2.Shutdowns, h2.Log)
	}
}

// Timeout on the real clock: a silent tracker is a NO after
// cfg.shutdown_timeout, and it is told with CS_ERR_TIMEOUT.
func TestShutdownTimeout(t *testing.T) {
	cl, name := start(t, shm.ModeSHM)
	cl.Do(t, func() { cl.Local.Store.Set("cfg.shutdown_timeout", cmap.Int(cmap.U32, 200)) })
	tr, admin := dial(t, name), dial(t, name)
	ctx := ctx5(t)
	if err := tr.TrackStart(ctx, 0); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	wantErr(t, "TryShutdown with a silent tracker", admin.TryShutdown(ctx, cfg.ShutdownRequest), cserror.ErrBusy)
	if d := time.Since(t0); d < 190*time.Millisecond {
		t.Errorf("answered after %v, before the 200 ms timeout", d)
	}
	for _, want := range []cfg.Error{cserror.OK, cserror.ErrTimeout} {
		if ev, err := tr.NextEvent(ctx); err != nil || ev.Status != want {
			t.Errorf("event %+v %v, want status %v", ev, err, want)
		}
	}
}

// Raw requests: unknown ids and wrong sizes get CS_ERR_INVALID_PARAM and
// the connection and the server carry on.
func TestBadRequests(t *testing.T) {
	_, name := start(t, shm.ModeSHM)
	qb, err := client.Dial(ctx5(t), name, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer qb.Close()
	ctx := ctx5(t)
	raw := func(id int32, size int) []byte {
		b := make([]byte, size)
		binary.LittleEndian.PutUint32(b, uint32(id))
		binary.LittleEndian.PutUint32(b[8:], uint32(size))
		return b
	}
	buf := make([]byte, 1<<20)
	for _, tc := range []struct {
		req      []byte
		id       int32
		size     int
		wantErr  cfg.Error
		describe string
	}{
		{raw(12, 16), 0, 24, cserror.ErrInvalidParam, "id 12"},
		{raw(1000, 64), 0, 24, cserror.ErrInvalidParam, "id 1000"},
		{raw(-5, 16), 0, 24, cserror.ErrInvalidParam, "id -5"},
		{raw(cfg.ReqKillNode, 280), cfg.ResKillNode, 24, cserror.ErrInvalidParam, "KILLNODE 280 bytes"},
		{raw(cfg.ReqLocalGet, 20), cfg.ResLocalGet, 32, cserror.ErrInvalidParam, "LOCAL_GET 20 bytes"},
		{raw(cfg.ReqTrackStart, 16), cfg.ResTrackStart, 24, cserror.ErrInvalidParam, "TRACKSTART 16 bytes"},
		{raw(cfg.ReqLocalGet, 16), cfg.ResLocalGet, 32, cserror.OK, "LOCAL_GET"},
	} {
		n, err := qb.Request(ctx, tc.req, buf)
		if err != nil {
			t.Fatalf("%s: %v", tc.describe, err)
		}
		id, size, e, ok := cfg.ResHeader(buf[:n])
		if !ok || id != tc.id || size != tc.size || n != size || e != tc.wantErr {
			t.Errorf("%s: reply id %d size %d (%d bytes) %v, want id %d size %d %v", tc.describe, id, size, n, e, tc.id, tc.size, tc.wantErr)
		}
	}
	// A fresh client still works.
	if id, err := dial(t, name).LocalGet(ctx); err != nil || id != 1 {
		t.Errorf("LocalGet after bad requests: %d %v", id, err)
	}
}

func TestErrorsAreComparable(t *testing.T) {
	err := fmt.Errorf("cfg x: %w", cserror.ErrBusy)
	if !errors.Is(err, cserror.ErrBusy) || cserror.FromErrno(err) != cserror.ErrBusy {
		t.Errorf("%v", err)
	}
	if cserror.FromErrno(fmt.Errorf("x: %w", client.ErrConnRefused)) != cserror.ErrLibrary ||
		cserror.FromErrno(client.ErrTryAgain) != cserror.ErrTryAgain {
		t.Error("errno mapping")
	}
}
