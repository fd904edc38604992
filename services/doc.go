// Package services owns the engine API and the sync engine: how a service
// (cmap, cfg, cpg, quorum, votequorum) receives ordered exec messages,
// configuration changes, sync callbacks and timer ticks, and how it sends
// exec messages into the agreed order. The services themselves live in
// subpackages; the IPC they serve is shm's.
//
// A Host multiplexes the engines over one ordered stream: every exec
// message starts with a 4-byte header (service id and function number,
// little-endian uint16 each), so a single totempg group carries them all.
// After every regular configuration the Host runs corosync's sync engine
// (TOTEM_SPEC §6): SERVICE_BUILD, then for each sync-capable service in
// ascending id, sync_process until done, a BARRIER from every member, and
// sync_activate. An engine that another node has and this one lacks is
// synchronised as a no-op, so mixed versions still agree on the barriers.
//
// Goroutines: none of its own. Everything runs on the token loop's
// goroutine: Deliver and Conf from the loop's callbacks, Poll as one of its
// Pollers, and the engines' IPC handlers from the shm server the loop
// polls. Nothing is locked.
package services
