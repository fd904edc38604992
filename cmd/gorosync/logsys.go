package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"log/syslog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorosync/gorosync/services/cmap/coroparse"
)

// corosync's priorities beyond slog's four.
const (
	levelTrace  = slog.Level(-8)
	levelNotice = slog.Level(2)
	levelCrit   = slog.Level(12)
)

// Subsystem names, as corosync prints them in brackets.
const (
	subsysMain  = "MAIN"
	subsysTotem = "TOTEM"
	subsysKnet  = "KNET"
)

// logsys is corosync's logging{} section on log/slog: the same targets
// (stderr, logfile, syslog), thresholds per target and per logger_subsys,
// and the same line formats, so that what reads corosync's logs reads ours:
//
//	stderr:  Nov 22 12:58:22.706 notice  [MAIN  ] message
//	logfile: Nov 22 12:58:22.706 [28613] host gorosync notice  [MAIN  ] message
type logsys struct {
	mu      sync.Mutex // one line at a time per writer
	stderr  io.Writer
	logfile io.Writer
	syslog  *syslog.Writer
	header  string // "[pid] host gorosync"
	path    string // the logfile, for Reopen
	// thresholds change on a configuration reload while loggers log.
	thresholds atomic.Pointer[thresholds]
}

// thresholds are the levels per target, for every subsystem, and the
// timestamp format: what a reload may change.
type thresholds struct {
	top       targetLevels
	subsys    map[string]targetLevels
	timestamp string // hires, on or off
}

func thresholdsFor(cfg coroparse.Logging) *thresholds {
	t := &thresholds{timestamp: cfg.Timestamp, subsys: map[string]targetLevels{},
		top: levelsFor(cfg.ToStderr, cfg.ToLogfile, cfg.ToSyslog, cfg.LogfilePriority, cfg.SyslogPriority, cfg.Debug)}
	for _, sub := range cfg.Subsys {
		t.subsys[strings.ToUpper(sub.Name)] = levelsFor(sub.ToStderr, sub.ToLogfile, sub.ToSyslog, sub.LogfilePriority, sub.SyslogPriority, sub.Debug)
	}
	return t
}

func (t *thresholds) of(subsys string) targetLevels {
	if lv, ok := t.subsys[subsys]; ok {
		return lv
	}
	return t.top
}

// Reconfigure applies a reloaded logging{} section's thresholds, debug
// switches and timestamp format to every logger at once (corosync applies
// them at runtime too). Targets opened or closed by a reload (a new
// logfile path, syslog switched on) take effect at the next start.
func (s *logsys) Reconfigure(cfg coroparse.Logging) {
	s.thresholds.Store(thresholdsFor(cfg))
}

// targetLevels is the lowest level each target takes; above levelCrit
// means the target is off.
type targetLevels struct{ stderr, logfile, syslog slog.Level }

const off = slog.Level(100)

// newLogsys opens the targets the configuration names. A logfile or syslog
// that cannot be opened is reported on stderr and left out: logging must
// not stop the cluster engine.
func newLogsys(cfg coroparse.Logging, stderr io.Writer) *logsys {
	host, _ := os.Hostname()
	s := &logsys{stderr: stderr, header: fmt.Sprintf("[%d] %s gorosync", os.Getpid(), host)}
	s.thresholds.Store(thresholdsFor(cfg))
	wantFile, wantSyslog := cfg.ToLogfile, cfg.ToSyslog
	for _, sub := range cfg.Subsys {
		wantFile = wantFile || sub.ToLogfile
		wantSyslog = wantSyslog || sub.ToSyslog
	}
	if wantFile && cfg.Logfile != "" {
		s.path = cfg.Logfile
		f, err := os.OpenFile(cfg.Logfile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
		if err != nil {
			fmt.Fprintf(stderr, "gorosync: cannot open logfile: %v; logging to it is off\n", err)
		} else {
			s.logfile = f
		}
	}
	if wantSyslog {
		w, err := dialSyslog(facility(cfg.SyslogFacility))
		if err != nil {
			fmt.Fprintf(stderr, "gorosync: cannot reach syslog: %v; logging to it is off\n", err)
		} else {
			s.syslog = w
		}
	}
	return s
}

// syslogAddr is the syslog socket; "" is the system's (/dev/log). Tests
// point it at a socket of their own.
var syslogAddr = ""

func dialSyslog(f syslog.Priority) (*syslog.Writer, error) {
	if syslogAddr == "" {
		return syslog.New(f|syslog.LOG_INFO, "gorosync")
	}
	return syslog.Dial("unixgram", syslogAddr, f|syslog.LOG_INFO, "gorosync")
}

func levelsFor(toStderr, toLogfile, toSyslog bool, filePrio, syslogPrio, debug string) targetLevels {
	l := targetLevels{stderr: off, logfile: off, syslog: off}
	fileMin, syslogMin := parsePriority(filePrio), parsePriority(syslogPrio)
	switch debug {
	case "on":
		fileMin, syslogMin = slog.LevelDebug, slog.LevelDebug
	case "trace":
		fileMin, syslogMin = levelTrace, levelTrace
	}
	if toStderr {
		l.stderr = fileMin
	}
	if toLogfile {
		l.logfile = fileMin
	}
	if toSyslog {
		l.syslog = syslogMin
	}
	return l
}

// parsePriority reads corosync's priority names (coroparse checked them).
func parsePriority(p string) slog.Level {
	switch p {
	case "alert", "crit", "emerg":
		return levelCrit
	case "err", "error":
		return slog.LevelError
	case "warning":
		return slog.LevelWarn
	case "notice":
		return levelNotice
	case "debug":
		return slog.LevelDebug
	case "trace":
		return levelTrace
	}
	return slog.LevelInfo
}

func priorityName(l slog.Level) string {
	switch {
	case l >= levelCrit:
		return "crit"
	case l >= slog.LevelError:
		return "error"
	case l >= slog.LevelWarn:
		return "warning"
	case l >= levelNotice:
		return "notice"
	case l >= slog.LevelInfo:
		return "info"
	case l >= slog.LevelDebug:
		return "debug"
	}
	return "trace"
}

func facility(name string) syslog.Priority {
	switch name {
	case "local0":
		return syslog.LOG_LOCAL0
	case "local1":
		return syslog.LOG_LOCAL1
	case "local2":
		return syslog.LOG_LOCAL2
	case "local3":
		return syslog.LOG_LOCAL3
	case "local4":
		return syslog.LOG_LOCAL4
	case "local5":
		return syslog.LOG_LOCAL5
	case "local6":
		return syslog.LOG_LOCAL6
	case "local7":
		return syslog.LOG_LOCAL7
	case "user":
		return syslog.LOG_USER
	}
	return syslog.LOG_DAEMON
}

// Logger is the logger of one subsystem (MAIN, TOTEM, KNET, ...).
func (s *logsys) Logger(subsys string) *slog.Logger {
	return slog.New(&logHandler{sys: s, subsys: subsys})
}

// Reopen opens the logfile again (after logrotate moved it away: cfg's
// REOPEN_LOG_FILES, corosync-cfgtool -L). The old file stays in use if the
// new one cannot be opened.
func (s *logsys) Reopen() error {
	if s.path == "" {
		return nil
	}
	f, err := os.OpenFile(s.path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o640)
	if err != nil {
		return fmt.Errorf("reopening the logfile: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.logfile.(io.Closer); ok {
		_ = c.Close()
	}
	s.logfile = f
	return nil
}

// Close closes the logfile and the syslog connection.
func (s *logsys) Close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.logfile.(io.Closer); ok {
		_ = c.Close()
	}
	if s.syslog != nil {
		_ = s.syslog.Close()
	}
}

type logHandler struct {
	sys    *logsys
	subsys string
	attrs  string // pre-formatted " key=value" pairs from WithAttrs
}

func (h *logHandler) levels() targetLevels { return h.sys.thresholds.Load().of(h.subsys) }

func (h *logHandler) Enabled(_ context.Context, l slog.Level) bool {
	lv := h.levels()
	return l >= min(lv.stderr, lv.logfile, lv.syslog)
}

func (h *logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	var b strings.Builder
	for _, a := range as {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
	}
	c.attrs += b.String()
	return &c
}

func (h *logHandler) WithGroup(string) slog.Handler { return h }

// Handle writes one record to every target whose threshold it reaches.
func (h *logHandler) Handle(_ context.Context, r slog.Record) error {
	var body strings.Builder
	body.WriteString(r.Message)
	body.WriteString(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&body, " %s=%v", a.Key, a.Value)
		return true
	})
	msg := body.String()
	line := fmt.Sprintf("%-7s [%-6s] %s", priorityName(r.Level), h.subsys, msg)
	stamp := h.sys.stamp(r.Time)
	lv := h.levels()
	s := h.sys
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.Level >= lv.stderr && s.stderr != nil {
		fmt.Fprintf(s.stderr, "%s%s\n", stamp, line)
	}
	if r.Level >= lv.logfile && s.logfile != nil {
		fmt.Fprintf(s.logfile, "%s%s %s\n", stamp, s.header, line)
	}
	if r.Level >= lv.syslog && s.syslog != nil {
		h.toSyslog(r.Level, fmt.Sprintf("[%-6s] %s", h.subsys, msg))
	}
	return nil
}

func (h *logHandler) toSyslog(l slog.Level, msg string) {
	w := h.sys.syslog
	switch {
	case l >= levelCrit:
		_ = w.Crit(msg)
	case l >= slog.LevelError:
		_ = w.Err(msg)
	case l >= slog.LevelWarn:
		_ = w.Warning(msg)
	case l >= levelNotice:
		_ = w.Notice(msg)
	case l >= slog.LevelInfo:
		_ = w.Info(msg)
	default:
		_ = w.Debug(msg)
	}
}

// stamp is corosync's %t: "Nov 22 12:58:22.706 " with timestamp hires,
// without the milliseconds with on, nothing with off.
func (s *logsys) stamp(t time.Time) string {
	switch s.thresholds.Load().timestamp {
	case "off":
		return ""
	case "on":
		return t.Format("Jan 02 15:04:05 ")
	}
	return t.Format("Jan 02 15:04:05.000 ")
}
