package shm

import "strconv"

// CorosyncPolicy is corosync's IPC authorisation (spec §1.6): root (uid 0
// or gid 0) always; anyone else when one of uidgid.uid.<uid>,
// uidgid.config.uid.<uid>, uidgid.gid.<gid> or uidgid.config.gid.<gid> is
// a uint8 set to 1. set reports that of a key; the daemon reads it from
// cmap (the config file's uidgid{} sections and uidgid.d files become the
// .config. keys; Pacemaker writes uidgid.gid.<haclient> at run time).
func CorosyncPolicy(set func(key string) bool) func(pid, uid, gid uint32) bool {
	return func(_, uid, gid uint32) bool {
		if uid == 0 || gid == 0 {
			return true
		}
		u, g := strconv.FormatUint(uint64(uid), 10), strconv.FormatUint(uint64(gid), 10)
		return set("uidgid.uid."+u) || set("uidgid.config.uid."+u) ||
			set("uidgid.gid."+g) || set("uidgid.config.gid."+g)
	}
}
