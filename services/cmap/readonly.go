package cmap

import "strings"

type roRule struct {
	key    string
	prefix bool
}

// defaultRO are the keys corosync 3.1.7 makes read-only for IPC clients
// (TOTEM_SPEC §10.1, votequorum's startup-only keys of §9.1 included).
var defaultRO = []roRule{
	{"internal_configuration.", true},
	{"runtime.services.", true},
	{"runtime.config.", true},
	{"runtime.totem.", true},
	{"uidgid.config.", true},
	{"system.", true},
	{"nodelist.", true},
	{"totem.crypto_cipher", false},
	{"totem.crypto_hash", false},
	{"totem.crypto_model", false},
	{"totem.keyfile", false},
	{"totem.key", false},
	{"totem.secauth", false},
	{"totem.ip_version", false},
	{"totem.rrp_mode", false},
	{"totem.transport", false},
	{"totem.cluster_name", false},
	{"totem.netmtu", false},
	{"totem.threads", false},
	{"totem.version", false},
	{"totem.nodeid", false},
	{"totem.clear_node_high_bit", false},
	{"config.reload_in_progress", false},
	{"config.totemconfig_reload_in_progress", false},
	{"quorum.allow_downscale", false},
	{"quorum.wait_for_all", false},
	{"quorum.last_man_standing", false},
	{"quorum.last_man_standing_window", false},
	{"quorum.auto_tie_breaker", false},
	{"quorum.auto_tie_breaker_node", false},
}

// ReadOnly reports whether IPC clients may not set, delete or adjust key
// (icmap_is_key_ro).
func (s *Store) ReadOnly(key string) bool {
	for _, r := range s.ro {
		if r.key == key || r.prefix && strings.HasPrefix(key, r.key) {
			return true
		}
	}
	return false
}

// SetReadOnly adds (ro true) or removes a read-only key or, with prefix,
// a read-only prefix (icmap_set_ro_access).
func (s *Store) SetReadOnly(key string, prefix, ro bool) {
	for i, r := range s.ro {
		if r.key == key && r.prefix == prefix {
			if !ro {
				s.ro = append(s.ro[:i], s.ro[i+1:]...)
			}
			return
		}
	}
	if ro {
		s.ro = append(s.ro, roRule{key, prefix})
	}
}
