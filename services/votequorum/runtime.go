package votequorum

import (
	"encoding/binary"
	"fmt"
	"os"
	"syscall"

	"github.com/gorosync/gorosync/services/cmap"
)

// runtime.votequorum.* keys (TOTEM_SPEC §9.9).
const (
	keyThisNodeID        = "runtime.votequorum.this_node_id"
	keyLowestNodeID      = "runtime.votequorum.lowest_node_id"
	keyHighestNodeID     = "runtime.votequorum.highest_node_id"
	keyTwoNode           = "runtime.votequorum.two_node"
	keyWFAStatus         = "runtime.votequorum.wait_for_all_status"
	keyEVBarrier         = "runtime.votequorum.ev_barrier"
	keyEVTrackingBarrier = "runtime.votequorum.ev_tracking_barrier"
	keyATBType           = "runtime.votequorum.atb_type"
	keyQdevCanOperate    = "runtime.votequorum.qdevice_can_operate"
	keyQdevMasterWins    = "runtime.votequorum.qdevice_master_wins"

	keyCancelWFA = "quorum.cancel_wait_for_all"
	keyReloading = "config.totemconfig_reload_in_progress"
	keyReloadRes = "config.reload_status"
)

func (e *Engine) putU32(key string, v uint32) { e.store.Set(key, cmap.Int(cmap.U32, uint64(v))) }
func (e *Engine) putU8(key string, v uint8)   { e.store.Set(key, cmap.Int(cmap.U8, uint64(v))) }

func (e *Engine) setWFAStatus(on bool) {
	e.wfaStatus = on
	if on {
		e.us.flags |= flagWFAStatus
	} else {
		e.us.flags &^= flagWFAStatus
	}
	e.putU8(keyWFAStatus, b8(on))
}

func (e *Engine) setEVBarrier(v uint32) {
	e.evBarrier = v
	e.putU32(keyEVBarrier, v)
}

func (e *Engine) setQdevCanOperate(on bool) {
	e.qd.canOperate = on
	e.putU8(keyQdevCanOperate, b8(on))
}

// setEVTrackingBarrier raises the persisted barrier. corosync 3.1.7
// writes through a descriptor it has already closed, so its file keeps
// the first value; here every rise reaches the disk (fdatasync).
func (e *Engine) setEVTrackingBarrier(v uint32) {
	e.evTrackingBarrier = v
	e.putU32(keyEVTrackingBarrier, v)
	if err := storeEVTracking(e.evTrackingPath, v); err != nil {
		e.warn(fmt.Sprintf("Unable to update ev_tracking_barrier on disk data: %v", err))
	}
}

// loadEVTracking reads the barrier (a native-endian uint32, as corosync
// writes it); a missing or short file is (re)created holding 0.
func loadEVTracking(path string) (uint32, error) {
	b, err := os.ReadFile(path)
	if err == nil && len(b) >= 4 {
		return binary.NativeEndian.Uint32(b), nil
	}
	if err := storeEVTracking(path, 0); err != nil {
		return 0, fmt.Errorf("unable to create %s: %w", path, err)
	}
	return 0, nil
}

func storeEVTracking(path string, v uint32) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o700)
	if err != nil {
		return err
	}
	var b [4]byte
	binary.NativeEndian.PutUint32(b[:], v)
	if _, err = f.WriteAt(b[:], 0); err == nil {
		err = syscall.Fdatasync(int(f.Fd()))
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// trackConfig watches what corosync's votequorum watches: quorum.* and
// nodelist.* (any change re-reads the runtime keys) and the end of a
// configuration reload.
func (e *Engine) trackConfig() {
	all := int32(cmap.TrackAdd | cmap.TrackDelete | cmap.TrackModify | cmap.TrackPrefix)
	for _, w := range []struct {
		key string
		typ int32
	}{{"quorum.", all}, {"nodelist.", all}, {keyReloading, cmap.TrackAdd | cmap.TrackModify}} {
		if t, err := e.store.Track(w.key, w.typ, e.configChanged); err == cmap.OK {
			e.tracks = append(e.tracks, t)
		}
	}
}

// configChanged is corosync's votequorum_refresh_config: nothing while a
// full reload runs (its end re-reads everything, unless it failed);
// quorum.cancel_wait_for_all ≥ 1 is reset to 0 and cancels wait_for_all
// on every node; any other change re-reads the runtime keys.
func (e *Engine) configChanged(_ *cmap.Track, ev cmap.Event) {
	if e.inCancel {
		return // our own reset of quorum.cancel_wait_for_all
	}
	if v, ok := getU8(e.store, keyReloading); ok && v != 0 {
		return
	}
	if ev.Key == keyReloading {
		if v, ok := e.store.Get(keyReloadRes); ok && v.Type == cmap.I32 && len(v.Data) == 4 && le.Uint32(v.Data) != 1 {
			return // the reload failed: keep the running configuration
		}
	}
	if ev.Key == keyCancelWFA {
		if v, _ := getU8(e.store, keyCancelWFA); v >= 1 {
			e.inCancel = true
			e.putU8(keyCancelWFA, 0)
			e.inCancel = false
			if !e.sendReconfigure(reconfCancelWFA, e.us.id, 0) {
				e.log.Error("Failed to send Cancel WFA message to other nodes")
			}
			return
		}
	}
	e.Reload()
}

// Reload re-reads the keys that may change at runtime (quorum.two_node,
// quorum.expected_votes, the votes, the qdevice keys) and tells the
// cluster: our NODEINFO and the qdevice's, and RECONFIGURE for changed
// votes or expected votes. The daemon calls it after a configuration
// reload (a change of those keys in cmap calls it too).
func (e *Engine) Reload() {
	oldVotes, oldExpected := e.us.votes, e.us.expected
	_ = e.readConfig(true) // at runtime problems are logged, not returned
	e.sendNodeinfo(e.us.id)
	e.sendNodeinfo(qdeviceNodeID)
	if e.us.votes != oldVotes && !e.sendReconfigure(reconfNodeVotes, e.us.id, e.us.votes) {
		e.log.Error("Failed to send new votes message to other nodes")
	}
	if e.us.expected != oldExpected && !e.sendReconfigure(reconfExpectedVotes, e.us.id, e.us.expected) {
		e.log.Error("Failed to send expected votes message to other nodes")
	}
}
