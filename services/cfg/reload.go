package cfg

import (
	"log/slog"
	"maps"
	"slices"
	"strings"

	"github.com/gorosync/gorosync/services/cmap"
	"github.com/gorosync/gorosync/services/cmap/coroparse"
	"github.com/gorosync/gorosync/services/cserror"
)

// The cmap keys a reload maintains (TOTEM_SPEC §10.5).
const (
	keyReloadInProgress = "config.reload_in_progress"
	keyTotemReload      = "config.totemconfig_reload_in_progress"
	keyReloadStatus     = "config.reload_status"
)

// reloadPrefixes are the sections whose keys a reload deletes when the new
// file no longer has them.
var reloadPrefixes = []string{"logging.", "totem.", "nodelist.", "quorum.", "uidgid.config.", "nozzle."}

// fixedKeys cannot change at runtime: a reload keeps their live value
// (or their absence) and logs the refusal.
var fixedKeys = []string{
	"totem.version", "totem.threads", "totem.ip_version", "totem.rrp_mode", "totem.netmtu",
	"totem.transport", "totem.cluster_name", "quorum.provider",
	"system.move_to_root_cgroup", "system.allow_knet_handle_fallback", "system.sched_rr",
	"system.priority", "system.qb_ipc_type", "system.state_dir",
}

// cryptoKeys are fixed too unless the link layer can change crypto live.
var cryptoKeys = []string{"totem.secauth", "totem.crypto_hash", "totem.crypto_cipher", "totem.keyfile", "totem.key"}

// fixedLinkKeys are fixed per link (totem.interface.<L>.<key>) once the
// link exists: a new link's keys may be added, and a removed link's
// keys are deleted.
var fixedLinkKeys = []string{"bindnetaddr", "mcastaddr", "broadcast", "mcastport", "ttl"}

// ReloadOptions tune ApplyReload.
type ReloadOptions struct {
	// CryptoReconfigurable says the link layer can switch crypto at
	// runtime; otherwise totem.crypto_cipher, crypto_hash, secauth, keyfile
	// and key cannot change.
	CryptoReconfigurable bool
	// Commit, if set, runs after the new keys are live and before
	// config.reload_status and the in-progress flags are written: the
	// daemon installs the new totem configuration (links, nodes) there.
	// Its result becomes the reload's status.
	Commit func() Error
	// Log receives the refusals and errors (corosync's CFG messages).
	Log *slog.Logger
}

// ReloadResult says what a reload did.
type ReloadResult struct {
	Status  Error    // the result, also written to config.reload_status
	Deleted []string // live keys removed because the new file lacks them
	Refused []string // keys whose change was kept out
	Changed []string // keys added or modified
}

// ApplyReload is the cmap side of a configuration reload (corosync's
// RELOAD_CONFIG handler, TOTEM_SPEC §12.2). load parses this node's own
// corosync.conf and returns its keys (coroparse.Config.Keys after SetLocal,
// so that nodelist.local_node_pos and the bindnetaddr keys stay); if it
// fails, or a value cannot be stored, nothing changes and the status is
// CS_ERR_INVALID_PARAM. Otherwise, with config.totemconfig_reload_in_progress
// and config.reload_in_progress set to 1: live keys under logging.,
// totem., nodelist., quorum., uidgid.config. and nozzle. that the new file
// lacks are deleted; changes to keys that cannot change at runtime are
// refused (logged, the live value kept); the rest is copied into live
// (notifications fire for what differs); then config.reload_status and
// the flags (back to 0) are written.
//
// Unlike corosync 3.1.7: a parse error leaves the flags alone (corosync
// leaves config.totemconfig_reload_in_progress at 1); a fixed key removed
// from the file is kept rather than deleted; and the per-link interface
// keys are refused by link (corosync names "totem.interface.bindnetaddr",
// a key that does not exist in 3.x, so it refuses nothing there).
func ApplyReload(live *cmap.Store, load func() (map[string]coroparse.Value, error), opt ReloadOptions) ReloadResult {
	log := opt.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	next, err := newKeys(load)
	if err != nil {
		log.Error("Unable to reload config file: " + err.Error())
		return ReloadResult{Status: cserror.ErrInvalidParam}
	}
	live.Set(keyTotemReload, cmap.Int(cmap.U8, 1))
	live.Set(keyReloadInProgress, cmap.Int(cmap.U8, 1))
	var res ReloadResult
	res.Refused = refuseFixed(live, next, opt.CryptoReconfigurable, log)
	res.Deleted = deleteAbsent(live, next)
	res.Changed, res.Status = copyKeys(live, next, log)
	if res.Status == cserror.OK && opt.Commit != nil {
		res.Status = opt.Commit()
	}
	live.Set(keyReloadStatus, cmap.Int(cmap.I32, uint64(int64(res.Status))))
	live.Set(keyTotemReload, cmap.Int(cmap.U8, 0))
	live.Set(keyReloadInProgress, cmap.Int(cmap.U8, 0))
	return res
}

// newKeys loads and converts the new configuration; any error means the
// reload must change nothing.
func newKeys(load func() (map[string]coroparse.Value, error)) (map[string]cmap.Value, error) {
	keys, err := load()
	if err != nil {
		return nil, err
	}
	next := make(map[string]cmap.Value, len(keys))
	for k, cv := range keys {
		if !cmap.ValidKeyName(k) {
			return nil, &keyError{k, "not a valid cmap key name"}
		}
		v, err := cmap.FromConf(cv)
		if err != nil {
			return nil, &keyError{k, err.Error()}
		}
		next[k] = v
	}
	return next, nil
}

type keyError struct{ key, msg string }

func (e *keyError) Error() string { return e.key + ": " + e.msg }

// refuseFixed makes next agree with live on every key that cannot change
// at runtime, and returns those it had to change.
func refuseFixed(live *cmap.Store, next map[string]cmap.Value, crypto bool, log *slog.Logger) []string {
	fixed := fixedKeys
	if !crypto {
		fixed = append(slices.Clone(fixedKeys), cryptoKeys...)
	}
	var refused []string
	keep := func(k string) {
		refused = append(refused, k)
		log.Info("Modified entry '" + k + "' in corosync.conf cannot be changed at run-time")
		if v, ok := live.Get(k); ok {
			next[k] = v
		} else {
			delete(next, k)
		}
	}
	for _, k := range fixed {
		old, inLive := live.Get(k)
		v, inNext := next[k]
		if inLive != inNext || inLive && !old.Equal(v) {
			keep(k)
		}
	}
	for _, k := range live.Keys("totem.interface.") {
		v, inNext := next[k]
		if !isFixedLinkKey(k) || !inNext {
			continue
		}
		if old, _ := live.Get(k); !old.Equal(v) {
			keep(k)
		}
	}
	slices.Sort(refused)
	return refused
}

// isFixedLinkKey reports whether k is totem.interface.<L>.<fixed key>.
func isFixedLinkKey(k string) bool {
	rest := strings.TrimPrefix(k, "totem.interface.")
	link, key, ok := strings.Cut(rest, ".")
	if !ok || link == "" || strings.Trim(link, "0123456789") != "" {
		return false
	}
	return slices.Contains(fixedLinkKeys, key)
}

// deleteAbsent deletes live keys of the reloaded sections that next lacks.
func deleteAbsent(live *cmap.Store, next map[string]cmap.Value) []string {
	var deleted []string
	for _, p := range reloadPrefixes {
		for _, k := range live.Keys(p) {
			if _, ok := next[k]; !ok {
				live.Delete(k)
				deleted = append(deleted, k)
			}
		}
	}
	return deleted
}

// copyKeys sets every key of next in live, in key order, and returns
// those that changed.
func copyKeys(live *cmap.Store, next map[string]cmap.Value, log *slog.Logger) ([]string, Error) {
	var changed []string
	for _, k := range slices.Sorted(maps.Keys(next)) {
		v := next[k]
		if old, ok := live.Get(k); ok && old.Equal(v) {
			continue
		}
		if e := live.Set(k, v); e != cmap.OK {
			log.Error("Error making new config live. cmap database may be inconsistent", "key", k, "err", e)
			return changed, Error(e)
		}
		changed = append(changed, k)
	}
	return changed, cserror.OK
}
