package cfg

import (
	"bytes"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/gorosync/gorosync/services/cmap"
	"github.com/gorosync/gorosync/services/cmap/coroparse"
	"github.com/gorosync/gorosync/services/cserror"
)

const baseConf = `totem {
 version: 2
 cluster_name: gs
 transport: udpu
 crypto_cipher: none
 crypto_hash: none
 token: 1000
}
logging {
 to_stderr: no
 timestamp: hires
 debug: off
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

// parse reads a corosync.conf text as the daemon's reload would: parse,
// then find itself (node 0).
func parse(t *testing.T, text string) (map[string]coroparse.Value, error) {
	t.Helper()
	c, err := coroparse.Parse("corosync.conf", strings.NewReader(text))
	if err != nil {
		return nil, err
	}
	if err := c.SetLocal(0); err != nil {
		return nil, err
	}
	return c.Keys, nil
}

func liveStore(t *testing.T) *cmap.Store {
	t.Helper()
	keys, err := parse(t, baseConf)
	if err != nil {
		t.Fatal(err)
	}
	s := cmap.NewStore()
	if err := s.Load(keys); err != nil {
		t.Fatal(err)
	}
	s.Set("runtime.members.1.status", cmap.Str("joined")) // not the file's: untouched
	return s
}

// snapshot is every key and value of s.
func snapshot(s *cmap.Store) string {
	var b strings.Builder
	for _, k := range s.Keys("") {
		v, _ := s.Get(k)
		b.WriteString(k + " " + v.String() + "\n")
	}
	return b.String()
}

// events records every notification of s.
func events(t *testing.T, s *cmap.Store) *[]string {
	var got []string
	if _, e := s.Track("", cmap.TrackAdd|cmap.TrackModify|cmap.TrackDelete|cmap.TrackPrefix, func(_ *cmap.Track, ev cmap.Event) {
		kind := map[int32]string{cmap.TrackAdd: "add", cmap.TrackModify: "modify", cmap.TrackDelete: "delete"}[ev.Kind]
		got = append(got, kind+" "+ev.Key+" "+ev.New.Text())
	}); e != cmap.OK {
		t.Fatal(e)
	}
	return &got
}

func reload(t *testing.T, live *cmap.Store, text string, log *bytes.Buffer) ReloadResult {
	t.Helper()
	return ApplyReload(live, func() (map[string]coroparse.Value, error) { return parse(t, text) },
		ReloadOptions{Log: slog.New(slog.NewTextHandler(log, nil))})
}

func get(s *cmap.Store, k string) string {
	v, ok := s.Get(k)
	if !ok {
		return "<absent>"
	}
	return v.Text()
}

func TestReloadAllowedChange(t *testing.T) {
	live := liveStore(t)
	evs := events(t, live)
	var log bytes.Buffer
	conf := strings.Replace(baseConf, "debug: off", "debug: on", 1)
	conf = strings.Replace(conf, "token: 1000", "token: 3000", 1)
	res := reload(t, live, conf, &log)
	if res.Status != cserror.OK || len(res.Refused) != 0 || len(res.Deleted) != 0 {
		t.Fatalf("result %+v\n%s", res, &log)
	}
	if get(live, "logging.debug") != "on" || get(live, "totem.token") != "3000" {
		t.Errorf("logging.debug %s, totem.token %s", get(live, "logging.debug"), get(live, "totem.token"))
	}
	for _, want := range []string{"modify logging.debug on", "modify totem.token 3000"} {
		if !slices.Contains(*evs, want) {
			t.Errorf("no %q notification in %q", want, *evs)
		}
	}
	// The flags went 1 then 0, the status is CS_OK (1).
	flags := []string{
		"add config.totemconfig_reload_in_progress 1", "add config.reload_in_progress 1",
		"add config.reload_status 1",
		"modify config.totemconfig_reload_in_progress 0", "modify config.reload_in_progress 0",
	}
	var seen []string
	for _, e := range *evs {
		if strings.Contains(e, " config.") {
			seen = append(seen, e)
		}
	}
	if !slices.Equal(seen, flags) {
		t.Errorf("config.* notifications %q, want %q", seen, flags)
	}
	if get(live, "runtime.members.1.status") != "joined" || get(live, "nodelist.local_node_pos") != "0" {
		t.Errorf("keys outside the file changed:\n%s", snapshot(live))
	}
	// Reloading the same file again changes nothing but the flags.
	*evs = nil
	res = reload(t, live, conf, &log)
	if res.Status != cserror.OK || len(res.Changed) != 0 {
		t.Errorf("second reload: %+v", res)
	}
	for _, e := range *evs {
		if !strings.Contains(e, " config.") {
			t.Errorf("second reload notified %q", e)
		}
	}
}

func TestReloadRefused(t *testing.T) {
	live := liveStore(t)
	var log bytes.Buffer
	conf := strings.Replace(baseConf, "cluster_name: gs", "cluster_name: other\n netmtu: 9000", 1)
	conf = strings.Replace(conf, "token: 1000", "token: 2000", 1)
	conf = strings.Replace(conf, "transport: udpu\n", "", 1) // a fixed key removed: kept
	res := reload(t, live, conf, &log)
	if res.Status != cserror.OK {
		t.Fatalf("status %v\n%s", res.Status, &log)
	}
	want := []string{"totem.cluster_name", "totem.netmtu", "totem.transport"}
	if !slices.Equal(res.Refused, want) {
		t.Errorf("refused %q, want %q", res.Refused, want)
	}
	if get(live, "totem.cluster_name") != "gs" || get(live, "totem.netmtu") != "<absent>" || get(live, "totem.transport") != "udpu" {
		t.Errorf("fixed keys changed:\n%s", snapshot(live))
	}
	if get(live, "totem.token") != "2000" {
		t.Errorf("the allowed change beside them was not applied: totem.token %s", get(live, "totem.token"))
	}
	for _, k := range want {
		if !strings.Contains(log.String(), "Modified entry '"+k+"' in corosync.conf cannot be changed at run-time") {
			t.Errorf("refusal of %s not logged:\n%s", k, &log)
		}
	}
	if get(live, "config.reload_status") != "1" {
		t.Errorf("reload_status %s", get(live, "config.reload_status"))
	}
}

const knetConf = `totem {
 version: 2
 cluster_name: gs
 transport: knet
 crypto_cipher: none
 crypto_hash: none
 interface {
  linknumber: 0
  knet_transport: udp
  mcastport: 5405
 }
}
nodelist {
 node {
  nodeid: 1
  name: n1
  ring0_addr: 198.18.1.1
  ring1_addr: 198.18.2.1
 }
 node {
  nodeid: 2
  name: n2
  ring0_addr: 198.18.1.2
  ring1_addr: 198.18.2.2
 }
}
`

func TestReloadCryptoAndLinks(t *testing.T) {
	load := func(text string) func() (map[string]coroparse.Value, error) {
		return func() (map[string]coroparse.Value, error) { return parse(t, text) }
	}
	live := cmap.NewStore()
	keys, err := parse(t, knetConf)
	if err != nil {
		t.Fatal(err)
	}
	live.Load(keys)
	var log bytes.Buffer
	conf := strings.Replace(knetConf, "crypto_cipher: none", "crypto_cipher: aes256", 1)
	conf = strings.Replace(conf, "crypto_hash: none", "crypto_hash: sha256", 1)
	conf = strings.Replace(conf, "mcastport: 5405", "mcastport: 6000", 1)
	conf = strings.Replace(conf, " }\n}\nnodelist", " }\n interface {\n  linknumber: 1\n  mcastport: 6001\n }\n}\nnodelist", 1)
	res := ApplyReload(live, load(conf), ReloadOptions{Log: slog.New(slog.NewTextHandler(&log, nil))})
	want := []string{"totem.crypto_cipher", "totem.crypto_hash", "totem.interface.0.mcastport"}
	if res.Status != cserror.OK || !slices.Equal(res.Refused, want) {
		t.Fatalf("%+v, want refused %q\n%s", res, want, &log)
	}
	if get(live, "totem.interface.0.mcastport") != "5405" || get(live, "totem.interface.1.mcastport") != "6001" {
		t.Errorf("link 0 port %s (want kept 5405), new link 1 port %s (want 6001)",
			get(live, "totem.interface.0.mcastport"), get(live, "totem.interface.1.mcastport"))
	}
	// With a link layer that can switch crypto, crypto changes go through.
	live = cmap.NewStore()
	live.Load(keys)
	res = ApplyReload(live, load(conf), ReloadOptions{CryptoReconfigurable: true})
	if slices.Contains(res.Refused, "totem.crypto_cipher") || get(live, "totem.crypto_cipher") != "aes256" {
		t.Errorf("crypto reconfigurable: refused %q, cipher %s", res.Refused, get(live, "totem.crypto_cipher"))
	}
}

func TestReloadAbsentDeleted(t *testing.T) {
	live := liveStore(t)
	live.Set("logging.extra", cmap.Str("x"))  // not in the new file: deleted
	live.Set("resources.keep", cmap.Str("y")) // outside the reloaded sections: kept
	evs := events(t, live)
	var log bytes.Buffer
	conf := strings.Replace(baseConf, " timestamp: hires\n", "", 1)
	i := strings.Index(conf, " node {\n  nodeid: 2")
	conf = conf[:i] + "}\n" // drop node 2
	res := reload(t, live, conf, &log)
	if res.Status != cserror.OK {
		t.Fatalf("status %v\n%s", res.Status, &log)
	}
	for _, k := range []string{"logging.extra", "logging.timestamp", "nodelist.node.1.name", "nodelist.node.1.nodeid", "nodelist.node.1.ring0_addr"} {
		if get(live, k) != "<absent>" {
			t.Errorf("%s still there", k)
		}
		if !slices.Contains(*evs, "delete "+k+" ") {
			t.Errorf("no delete notification for %s in %q", k, *evs)
		}
		if !slices.Contains(res.Deleted, k) {
			t.Errorf("%s not reported deleted: %q", k, res.Deleted)
		}
	}
	if get(live, "resources.keep") != "y" || get(live, "nodelist.node.0.name") != "n1" {
		t.Errorf("wrong keys deleted:\n%s", snapshot(live))
	}
}

func TestReloadBadFileChangesNothing(t *testing.T) {
	live := liveStore(t)
	before := snapshot(live)
	evs := events(t, live)
	var log bytes.Buffer
	for _, load := range []func() (map[string]coroparse.Value, error){
		func() (map[string]coroparse.Value, error) { return parse(t, "totem {\n token: 1000\n") }, // unclosed section
		func() (map[string]coroparse.Value, error) { return parse(t, "totem {\n token: soon\n}\n") },
		func() (map[string]coroparse.Value, error) {
			return nil, errors.New("open /etc/corosync/corosync.conf: no such file")
		},
		func() (map[string]coroparse.Value, error) { // a value the store cannot take
			return map[string]coroparse.Value{"logging.debug": coroparse.Str("on"), "a": coroparse.Str("short name")}, nil
		},
	} {
		res := ApplyReload(live, load, ReloadOptions{Log: slog.New(slog.NewTextHandler(&log, nil))})
		if res.Status != cserror.ErrInvalidParam {
			t.Errorf("status %v, want CS_ERR_INVALID_PARAM", res.Status)
		}
	}
	if after := snapshot(live); after != before || len(*evs) != 0 {
		t.Errorf("a failed reload changed the store (events %q):\n%s", *evs, after)
	}
	if strings.Count(log.String(), "Unable to reload config file") != 4 {
		t.Errorf("log:\n%s", &log)
	}
}

// Commit runs with the new keys live and the flags still set; its error
// becomes the status.
func TestReloadCommit(t *testing.T) {
	live := liveStore(t)
	conf := strings.Replace(baseConf, "token: 1000", "token: 1500", 1)
	var during string
	res := ApplyReload(live, func() (map[string]coroparse.Value, error) { return parse(t, conf) }, ReloadOptions{
		Commit: func() Error {
			during = get(live, "totem.token") + " " + get(live, "config.reload_in_progress")
			return cserror.ErrFailedOperation
		},
	})
	if during != "1500 1" || res.Status != cserror.ErrFailedOperation || get(live, "config.reload_status") != "21" ||
		get(live, "config.reload_in_progress") != "0" {
		t.Errorf("during commit %q, result %+v, status key %s", during, res, get(live, "config.reload_status"))
	}
}
