package sam

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"syscall"
	"time"

	"github.com/gorosync/gorosync/services/cserror"
)

// osExit ends the supervisor; a variable so that tests could stub it.
var osExit = os.Exit

// supervisor is the original process after Register (libsam's parent):
// it runs instances one after the other and decides by policy.
type supervisor struct {
	w        watch
	instance uint32
	cm       *cmapReg     // nil without the CMAP policy
	q        *quorumWatch // nil without the QUORUM policy
	opts     Options
	log      *slog.Logger
}

// newSupervisor takes the library's state (l.mu held).
func newSupervisor(l *lib) *supervisor {
	s := &supervisor{opts: l.opts, log: l.opts.Log, q: l.q}
	s.w = watch{policy: l.policy, intervalMs: l.intervalMs, warnSig: l.warnSig,
		data: append([]byte(nil), l.data...)}
	if s.q != nil {
		s.w.quorate = s.q.quorate
	}
	return s
}

// run supervises until an instance ends the supervisor, and returns the
// exit status; an error only when the first steps fail (cmap
// registration, starting a process).
func (s *supervisor) run() (int, error) {
	if s.w.policy.cmap() {
		cm, err := registerCmap(s.opts.CmapService, os.Getpid(), s.w.policy, s.w.intervalMs, s.log)
		if err != nil {
			return 0, err
		}
		s.cm = cm
	}
	if s.q != nil {
		s.q.run()
	}
	for {
		s.instance++
		if s.cm != nil && s.instance > 1 {
			s.cm.setState(stateStopped)
		}
		c, err := startChild(hello{instance: s.instance, warnSig: int32(s.w.warnSig),
			policy: s.w.policy, intervalMs: uint32(s.w.intervalMs), data: s.w.data})
		if err != nil {
			s.log.Error("sam: cannot start an instance", "err", err)
			s.end(false)
			return 0, cserror.ErrLibrary
		}
		act := s.watchChild(c)
		status := c.wait()
		if act == actRecovery && s.w.policy.base() == PolicyQuit {
			s.end(true)
			return status, nil
		}
		if act == actQuit {
			s.end(false)
			return status, nil
		}
		s.log.Info("sam: restarting", "instance", s.instance+1)
	}
}

// end is the QUIT path: quorum closed; with CMAP the keys stay with state
// "failed" after a failure and go otherwise.
func (s *supervisor) end(failed bool) {
	if s.q != nil {
		s.q.close()
	}
	if s.cm == nil {
		return
	}
	if failed {
		s.cm.setState(stateFailed)
	} else {
		s.cm.remove()
	}
	s.cm.close()
}

// watchChild feeds one child's events to the watch until it decides.
func (s *supervisor) watchChild(c *childProc) action {
	s.w.reset(childEffects{s, c})
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var qev chan quorumEvent
	if s.q != nil {
		qev = s.q.events
	}
	for s.w.act == actContinue {
		var tc <-chan time.Time
		if !s.w.deadline.IsZero() {
			timer.Reset(time.Until(s.w.deadline))
			tc = timer.C
		}
		select {
		case r := <-c.frames:
			s.w.step(time.Now(), func() { s.frame(r) })
		case ev := <-qev:
			s.w.step(time.Now(), func() { s.quorumEvent(ev) })
		case <-tc:
			s.w.step(time.Now(), s.w.timeout)
		}
	}
	return s.w.act
}

func (s *supervisor) frame(r frameResult) {
	switch {
	case r.err == nil:
		s.w.command(r.f)
	case errors.Is(r.err, io.EOF):
		s.w.childGone()
	default:
		s.log.Error("sam: bad data from the instance", "err", r.err)
		s.w.broken()
	}
}

func (s *supervisor) quorumEvent(ev quorumEvent) {
	if ev.err != 0 {
		s.log.Error("sam: quorum connection lost", "err", ev.err)
		s.w.quorumFailed(ev.err)
		return
	}
	s.w.quorum(ev.quorate)
}

// childEffects does the watch's effects on one child.
type childEffects struct {
	s *supervisor
	c *childProc
}

func (e childEffects) signal(sig syscall.Signal) { e.c.signal(sig) }
func (e childEffects) reply(err Error)           { e.c.send(replyFrame(err)) }

func (e childEffects) setState(st string) {
	if e.s.cm != nil {
		e.s.cm.setState(st)
	}
}

func (e childEffects) touch() {
	if e.s.cm != nil {
		e.s.cm.touch()
	}
}
