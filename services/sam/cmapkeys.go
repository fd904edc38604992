package sam

import (
	"context"
	"log/slog"
	"strconv"

	"github.com/gorosync/gorosync/services/cmap/cmapclient"
	"golang.org/x/sys/unix"
)

// cmapReg is the supervisor's registration in cmap (TOTEM_SPEC §11.5):
// resources.process.<supervisor pid>.{recovery,poll_period,last_updated,state}.
type cmapReg struct {
	c      *cmapclient.Client
	prefix string
	log    *slog.Logger
}

// The keys under the prefix.
const (
	keyRecovery    = "recovery"
	keyPollPeriod  = "poll_period"
	keyLastUpdated = "last_updated"
	keyState       = "state"
)

// cmapPrefix is the key prefix of the process pid.
func cmapPrefix(pid int) string { return "resources.process." + strconv.Itoa(pid) + "." }

// registerCmap connects and creates the keys, state "stopped".
func registerCmap(service string, pid int, p Policy, intervalMs int, log *slog.Logger) (*cmapReg, error) {
	ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
	defer cancel()
	c, err := cmapclient.Dial(ctx, cmapclient.Options{Service: service})
	if err != nil {
		return nil, toError(err)
	}
	r := &cmapReg{c: c, prefix: cmapPrefix(pid), log: log}
	err = c.SetString(ctx, r.prefix+keyRecovery, p.recoveryName())
	if err == nil {
		err = c.SetUint64(ctx, r.prefix+keyPollPeriod, uint64(intervalMs))
	}
	if err == nil {
		err = c.SetUint64(ctx, r.prefix+keyLastUpdated, monotonicNs())
	}
	if err == nil {
		err = c.SetString(ctx, r.prefix+keyState, stateStopped)
	}
	if err != nil {
		r.remove()
		_ = c.Close()
		return nil, toError(err)
	}
	return r, nil
}

// monotonicNs is the clock of last_updated (CLOCK_MONOTONIC, as the
// watchdog that reads it).
func monotonicNs() uint64 {
	var ts unix.Timespec
	_ = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return uint64(ts.Nano())
}

// setState and touch are best effort, as in libsam: a failed update is
// logged and supervision goes on.
func (r *cmapReg) setState(s string) {
	ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
	defer cancel()
	if err := r.c.SetString(ctx, r.prefix+keyState, s); err != nil {
		r.log.Warn("sam: cannot update cmap", "key", r.prefix+keyState, "err", err)
	}
}

func (r *cmapReg) touch() {
	ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
	defer cancel()
	if err := r.c.SetUint64(ctx, r.prefix+keyLastUpdated, monotonicNs()); err != nil {
		r.log.Warn("sam: cannot update cmap", "key", r.prefix+keyLastUpdated, "err", err)
	}
}

// remove deletes the keys (a normal quit).
func (r *cmapReg) remove() {
	ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
	defer cancel()
	for _, k := range []string{keyRecovery, keyPollPeriod, keyLastUpdated, keyState} {
		_ = r.c.Delete(ctx, r.prefix+k)
	}
}

func (r *cmapReg) close() { _ = r.c.Close() }
