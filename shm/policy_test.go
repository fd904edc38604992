package shm

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/gorosync/gorosync/services/cmap/coroparse"
)

// corosync's policy over the keys a corosync.conf with uidgid{} sections
// produces: root always, listed uids and gids, nobody else.
func TestCorosyncPolicyFromConfig(t *testing.T) {
	conf := `totem {
	version: 2
	cluster_name: p
}
nodelist {
	node {
		nodeid: 1
		ring0_addr: 127.0.0.1
	}
}
uidgid {
	uid: 189
}
uidgid {
	gid: 7
}
`
	path := filepath.Join(t.TempDir(), "corosync.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := coroparse.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	runtime := map[string]bool{"uidgid.gid.1001": true} // as pacemakerd writes for haclient
	allow := CorosyncPolicy(func(key string) bool {
		if runtime[key] {
			return true
		}
		v, ok := cfg.Keys[key]
		return ok && v.String() == "(u8) = 1"
	})
	for _, tc := range []struct {
		uid, gid uint32
		want     bool
	}{
		{0, 500, true}, {500, 0, true}, // root by uid or gid
		{189, 500, true},                   // uidgid { uid: 189 }
		{500, 7, true},                     // uidgid { gid: 7 }
		{500, 1001, true},                  // uidgid.gid.1001 set at run time
		{500, 500, false}, {7, 189, false}, // ids are not confused between uid and gid
	} {
		if got := allow(1, tc.uid, tc.gid); got != tc.want {
			t.Errorf("uid %d gid %d: allowed %v, want %v", tc.uid, tc.gid, got, tc.want)
		}
	}
}
