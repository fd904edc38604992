// Package suite runs the side-by-side scenarios of the bench suite: the
// same C clients on corosync's own client libraries (bench/cpgbench on
// libcpg, bench/cmapbench on libcmap) drive gorosync and Debian's corosync
// 3.1.7 through libqb IPC, on the same network-namespace topology
// (bench/cluster), with the same corosync.conf, in one run, alternating
// daemons point by point so both see the machine in the same state.
//
// Scenarios: cpg throughput (one sender and all senders, by message size
// and cluster size; with the daemons' CPU per message, RSS and, for
// gorosync, GC cycles), cpg latency (paced and ping-pong), failover
// (kill -9 → configuration change on the survivors, restart → rejoin),
// IPC (cmap_get, cpg to self on a one-node cluster), a long run that
// counts gorosync's GC cycles, and throughput under packet loss.
//
// The package measures and records (Results, saved as JSON); bench/report
// and bench/chart turn Results into tables and plots.
package suite
