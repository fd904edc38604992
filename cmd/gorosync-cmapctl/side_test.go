package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gorosync/gorosync/services/cmap"
	"github.com/gorosync/gorosync/services/cmap/cmapclient"
	"github.com/gorosync/gorosync/services/cmap/cmapclient/cmapclienttest"
	"github.com/gorosync/gorosync/services/cmap/coroparse"
	"github.com/gorosync/gorosync/shm/shmtest"
)

// The side-by-side tests run gorosync-cmapctl and Debian's
// corosync-cmapctl against one in-process cmap server serving the real
// name "cmap", so they run in a private network namespace (abstract unix
// sockets are per network namespace): TestSideBySide re-executes the
// test binary under `unshare --net` (shmtest.InNetns), and the child runs
// the scenarios.
func TestSideBySide(t *testing.T) {
	if shmtest.InNetns(t, 4*time.Minute, debianTool, "/usr/bin/stdbuf") {
		sideBySide(t)
	}
}

const testConf = `totem {
 version: 2
 cluster_name: gs
 transport: udpu
 token: 1000
}
quorum {
 provider: corosync_votequorum
}
nodelist {
 node {
  nodeid: 1
  name: n1
  ring0_addr: 198.18.1.1
 }
 node {
  nodeid: 2
  name: n2
  ring0_addr: 198.18.1.2
 }
}
`

// side is the child's state: the server and the store's first contents.
type side struct {
	s    *cmapclienttest.Server
	base map[string]cmap.Value
	dir  string
}

func sideBySide(t *testing.T) {
	dir := t.TempDir()
	// No server yet: both fail to connect alike.
	t.Run("no server", func(t *testing.T) { compare(t, nil, "", "-g", "totem.cluster_name") })

	conf := filepath.Join(dir, "corosync.conf")
	if err := os.WriteFile(conf, []byte(testConf), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := coroparse.Load(conf)
	if err != nil {
		t.Fatal(err)
	}
	base := map[string]cmap.Value{}
	for k, cv := range cfg.Keys {
		v, err := cmap.FromConf(cv)
		if err != nil {
			t.Fatal(err)
		}
		base[k] = v
	}
	for k, v := range extraKeys {
		base[k] = v
	}
	stats := cmap.NewStore()
	stats.Set("stats.srp.mcast_tx", cmap.Int(cmap.U64, 42))
	stats.Set("stats.pg.msg_reserved", cmap.Int(cmap.U32, 3))
	sd := &side{s: cmapclienttest.Start(t, cmapclienttest.Config{Name: "cmap", Stats: stats}), base: base, dir: dir}
	sd.reset(t)
	t.Run("read", sd.readScenarios)
	t.Run("write", sd.writeScenarios)
	t.Run("load", sd.loadScenarios)
	t.Run("track", sd.trackScenarios)
	t.Run("json", sd.jsonScenarios)
	t.Run("client defaults", sd.clientDefaults)
}

// clientDefaults: cmapclient's Initialize and InitializeMap reach the
// service under its real name.
func (sd *side) clientDefaults(t *testing.T) {
	sd.reset(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := cmapclient.Initialize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if s, err := c.GetString(ctx, "totem.cluster_name"); s != "gs" || err != nil {
		t.Errorf("Initialize: %q %v", s, err)
	}
	st, err := cmapclient.InitializeMap(ctx, cmapclient.MapStats)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if u, err := st.GetUint64(ctx, "stats.srp.mcast_tx"); u != 42 || err != nil {
		t.Errorf("InitializeMap(MapStats): %d %v", u, err)
	}
}

// reset makes the store hold base exactly.
func (sd *side) reset(t *testing.T) {
	sd.s.Do(t, func() {
		st := sd.s.Store()
		for _, k := range st.Keys("") {
			if _, ok := sd.base[k]; !ok {
				st.Delete(k)
			}
		}
		for k, v := range sd.base {
			if e := st.Set(k, v); e != cmap.OK {
				t.Errorf("reset %s: %v", k, e)
			}
		}
	})
}

// snapshot is the store's exact contents.
func (sd *side) snapshot(t *testing.T) string {
	var b strings.Builder
	sd.s.Do(t, func() {
		st := sd.s.Store()
		for _, k := range st.Keys("") {
			v, _ := st.Get(k)
			fmt.Fprintf(&b, "%s %s %s\n", k, v.Type, hex.EncodeToString(v.Data))
		}
	})
	return b.String()
}

// compare runs both tools with the same arguments and input and fails
// on any difference of output, errors or exit status; with sd, the
// tools run from the same store and must leave the same store behind.
func compare(t *testing.T, sd *side, stdin string, args ...string) result {
	t.Helper()
	if sd != nil {
		sd.reset(t)
	}
	c := runTool(t, true, stdin, args...)
	var cStore string
	if sd != nil {
		cStore = sd.snapshot(t)
		sd.reset(t)
	}
	g := runTool(t, false, stdin, args...)
	if c != g {
		t.Errorf("%q:\ncorosync-cmapctl: exit %d\n%s\nstderr:\n%s\ngorosync-cmapctl: exit %d\n%s\nstderr:\n%s",
			args, c.code, c.stdout, c.stderr, g.code, g.stdout, g.stderr)
	}
	if sd != nil {
		if gStore := sd.snapshot(t); gStore != cStore {
			t.Errorf("%q: the stores differ:\n%s", args, lineDiff(cStore, gStore))
		}
	}
	return c
}

// lineDiff lists the lines only in a ("-") and only in b ("+").
func lineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var d []string
	for _, l := range al {
		if !slices.Contains(bl, l) {
			d = append(d, "- "+l)
		}
	}
	for _, l := range bl {
		if !slices.Contains(al, l) {
			d = append(d, "+ "+l)
		}
	}
	return strings.Join(d, "\n")
}
