//go:build linux

package main

import (
	"fmt"
	"unsafe"

	"github.com/gorosync/gorosync/dataplane/loop"
	"github.com/gorosync/gorosync/services/cmap/coroparse"
	"golang.org/x/sys/unix"
)

// schedule applies system.sched_rr and system.priority to the calling
// thread, which is the token loop's (loop.Config.OnThread); the IPC server
// and the engines run on it too.
//
// sched_rr: yes gives the thread SCHED_RR at the highest real-time
// priority, as corosync gives its main thread, so that a node whose token
// arrives runs before ordinary processes on a loaded machine; a loop that
// would spin (idle: hybrid) blocks instead, since spinning at real-time
// priority keeps every ordinary process off the CPU meanwhile, the loop's
// own clients included (a cmap_get round trip on one CPU: 36 µs instead
// of 11). When SCHED_RR is refused the process group gets the highest nice
// priority instead, and with sched_rr: no, system.priority; failures are
// warnings. The undo puts the thread back to SCHED_OTHER before the Go
// runtime reuses it.
//
// Deviation: corosync's default for sched_rr is yes; gorosync's loop is
// real-time only when the file says sched_rr: yes. On the 2-vCPU machines
// we measure on, SCHED_RR made gorosync slower in every scenario but
// 64 KiB throughput (BENCHMARKS.md, "Real-time scheduling").
func (d *daemon) schedule() (undo func()) {
	sys := d.cfg.System
	nice := sys.Nice
	if _, written := d.cfg.Lines["system.sched_rr"]; written && sys.SchedRR {
		prio, err := setRealTime()
		if err == nil {
			msg := fmt.Sprintf("token loop: SCHED_RR at priority %d", prio)
			if idle, _ := loop.ParseIdle(d.cfg.Dataplane.Idle); idle == loop.IdleHybrid && d.loop != nil {
				d.loop.SetIdle(loop.IdleBlock)
				msg += "; idle: block (no spinning at real-time priority)"
			}
			d.log.Info(msg)
			return func() { _ = setNormal() }
		}
		d.log.Warn(fmt.Sprintf("Could not set SCHED_RR at priority %d: %v", prio, err))
		nice = coroparse.NiceMax
	}
	if nice != 0 {
		if err := unix.Setpriority(unix.PRIO_PGRP, 0, nice); err != nil {
			d.log.Warn(fmt.Sprintf("Could not set priority %d: %v", nice, err))
		}
	}
	return nil
}

// setRealTime makes the calling thread SCHED_RR at the policy's highest
// priority and returns that priority.
func setRealTime() (int, error) {
	prio, _, e := unix.Syscall(unix.SYS_SCHED_GET_PRIORITY_MAX, unix.SCHED_RR, 0, 0)
	if e != 0 {
		return 0, fmt.Errorf("sched_get_priority_max: %w", e)
	}
	attr := unix.SchedAttr{Size: uint32(unsafe.Sizeof(unix.SchedAttr{})), Policy: unix.SCHED_RR, Priority: uint32(prio)}
	if err := unix.SchedSetAttr(0, &attr, 0); err != nil {
		return int(prio), err
	}
	return int(prio), nil
}

// setNormal makes the calling thread SCHED_OTHER again (always allowed).
func setNormal() error {
	attr := unix.SchedAttr{Size: uint32(unsafe.Sizeof(unix.SchedAttr{})), Policy: unix.SCHED_NORMAL}
	return unix.SchedSetAttr(0, &attr, 0)
}
