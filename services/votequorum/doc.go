// Package votequorum owns corosync's vote quorum (service 5): who the
// node knows, their votes and expected votes, the quorum that follows and
// the verdict it reports to the quorum service (TOTEM_SPEC §9):
//
//   - configuration from cmap (quorum.*, nodelist.node.N.quorum_votes),
//     with corosync's refusals of incompatible combinations, and the
//     runtime-changeable keys re-read on Reload or on a change in cmap;
//   - the exec messages NODEINFO, RECONFIGURE, QDEVICE_REG and
//     QDEVICE_RECONFIGURE in the agreed order (our own little-endian
//     layout after the Host's header);
//   - the quorum calculation, two_node, wait_for_all, last_man_standing,
//     auto_tie_breaker, allow_downscale, expected_votes_tracking and the
//     quorum device (qdevice) protocol;
//   - the sync hooks and the timers (last man standing window, qdevice
//     timeouts) on the loop's clock;
//   - runtime.votequorum.* in cmap;
//   - the libvotequorum IPC (socket "votequorum"), byte-exact to corosync
//     3.1.7 (LIBQB_IPC_SPEC §5.5), with its three notifications.
//
// It does not own the quorum service's IPC (package quorum): it tells it
// its verdict through Config.Quorum.
//
// Goroutines: none. Everything (exec messages, sync, Tick, cmap tracks,
// IPC handlers) runs on the token loop's goroutine. Nothing is locked.
package votequorum
