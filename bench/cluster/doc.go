// Package cluster runs N cluster daemons in N Linux network namespaces joined
// by Linux bridges, injects network faults with nftables and ip-link, and
// undoes everything it made. It is shared by the integration tests and the
// bench suite, and it is daemon-agnostic: the caller supplies each node's
// config file and command line, so the same harness runs gorosync or
// Debian's corosync.
//
// # Topology
//
// A hub namespace <prefix>hub holds one bridge per link (br0..brL-1). Node
// i (1-based) lives in namespace <prefix>n<i> and has, per link L, a veth
// ethL with address 198.18.L.i/24 whose peer n<i>l<L> is enslaved to brL in
// the hub. lo is up everywhere. Bridges run without STP and without
// multicast snooping, so ports forward at once and multicast floods.
//
// The prefix is the family (default "gs"), the creating process's PID in 5
// base-36 digits and one base-36 sequence character, e.g. "gs01r2k0". Build
// also writes /run/bench-cluster/<prefix> holding its PID, and Close removes
// it. Sweep removes the namespaces of recorded prefixes whose PID (in the
// name and the record) is dead, so namespaces of other tools that merely
// share the letters are never touched; Build calls it for its family before
// it creates anything.
//
// # Processes
//
// Daemons are started with `ip netns exec <ns> argv...` (which execs into
// argv, so the PID is the daemon's), or, when mounts are asked for (BindRun,
// Mounts), with `ip netns exec <ns> sh -c 'mount --bind ... && exec "$@"'`,
// again leaving the daemon at the PID that was started. They are started from
// one OS thread that never exits and with PR_SET_PDEATHSIG=SIGKILL, so a test
// binary that dies without Close takes its daemons with it. Stdout and
// stderr go to Dir/n<i>/out.log, appended across restarts.
//
// # Faults
//
// Loss, LossTo and Partition write one nftables table (inet, named after the
// prefix) in each affected node namespace; the table is replaced atomically
// with each change and deleted when the node has no fault left. Traffic on
// lo is never touched. LinkDown and LinkUp set ethL down and up.
//
// The package needs root, iproute2 and nft; Available says what is missing.
// Only Linux is supported.
package cluster
