// Package cmap owns corosync's configuration and runtime map on one node:
//
//   - the store (Store): typed values of every cmap type, Get/Set/Delete,
//     Adjust (corosync's cmap_inc/cmap_dec), lexicographic prefix
//     iteration, read-only keys (refused to IPC clients with
//     CS_ERR_ACCESS) and tracking of add/delete/modify per key or per
//     prefix with synchronous notifications (TOTEM_SPEC §10);
//   - the IPC service (Service), an shm.Handler speaking corosync 3.1.7's
//     cmap protocol byte-exactly (LIBQB_IPC_SPEC §5.1), with per-connection
//     iterators and tracks freed when the connection goes.
//
// It does not own the corosync.conf parser (coroparse: the store is loaded
// from its Keys), the stats map's values, nor the cluster-wide
// totem.config_version exchange.
//
// Goroutines: everything here runs on one goroutine, the token loop that
// calls shm.Server.Poll. Nothing is locked.
package cmap
