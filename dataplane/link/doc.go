// Package link owns what sits between the token loop and a transport: the
// authenticated encryption of every frame (Secure, with the sealing in
// link/crypto), and several links per node with heartbeats and failover,
// as knet does for corosync 3: Links, itself a Transport, runs up to eight
// inner transports with per-(peer, link) liveness and link_mode routing.
package link
