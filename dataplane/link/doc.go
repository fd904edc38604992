// Package link owns what sits between the token loop and a transport: the
// authenticated encryption of every frame (Secure, with the sealing in
// link/crypto), and — to come — several links per node with heartbeats
// and failover, as knet does for corosync 3.
package link
