// Package quorum owns corosync's simple quorum service (service 3, socket
// "quorum"): the node's quorate verdict as its quorum provider reports it,
// and the libquorum IPC that Pacemaker's controller and the tools use
// (LIBQB_IPC_SPEC §5.4, TOTEM_SPEC §9.8):
//
//   - GETQUORATE, TRACKSTART/TRACKSTOP, GETTYPE (model v0) and
//     MODEL_GETTYPE (model v1), byte-exact to corosync 3.1.7;
//   - the v0 NOTIFICATION and the v1 QUORUM and NODELIST notifications;
//   - the sync hooks: a nodelist notification (members, joined, left) at
//     every sync activation, before votequorum's activation reports the
//     quorum of the same ring.
//
// The provider (votequorum, the only one gorosync has) calls SetQuorum at
// every sync activation and whenever its verdict changes. Without a
// provider the node is always quorate and the quorum type is QUORUM_FREE.
//
// Its replies carry Error, corosync's cs_error_t (package cserror), as
// the votequorum service's do.
//
// Goroutines: none. Everything runs on the token loop's goroutine (sync
// hooks, SetQuorum and the IPC handlers alike). Nothing is locked.
package quorum
