package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorosync/gorosync/services/cmap/coroparse"
)

// The formats are corosync 3.1.7's, read off its stderr and logfile.
var (
	stderrLine  = regexp.MustCompile(`^[A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d\.\d{3} notice  \[TOTEM \] A new membership \(1\.5\) was formed\.$`)
	logfileLine = regexp.MustCompile(`^[A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d\.\d{3} \[\d+\] \S+ gorosync notice  \[TOTEM \] A new membership \(1\.5\) was formed\.$`)
)

func TestLogsysFormatsAsCorosync(t *testing.T) {
	file := filepath.Join(t.TempDir(), "g.log")
	var stderr bytes.Buffer
	s := newLogsys(coroparse.Logging{ToStderr: true, ToLogfile: true, Logfile: file, Timestamp: "hires",
		LogfilePriority: "info", SyslogPriority: "info"}, &stderr)
	s.Logger(subsysTotem).Log(context.Background(), levelNotice, "A new membership (1.5) was formed.")
	s.Logger(subsysTotem).Debug("not shown without debug")
	s.Close()
	if got := strings.TrimSuffix(stderr.String(), "\n"); !stderrLine.MatchString(got) {
		t.Errorf("stderr line %q does not look like corosync's", got)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSuffix(string(b), "\n"); !logfileLine.MatchString(got) {
		t.Errorf("logfile line %q does not look like corosync's", got)
	}
}

func TestLogsysSubsysDebugAndTimestamp(t *testing.T) {
	var stderr bytes.Buffer
	s := newLogsys(coroparse.Logging{ToStderr: true, Timestamp: "off", LogfilePriority: "info", Debug: "off",
		Subsys: []coroparse.LoggerSubsys{{Name: "KNET", ToStderr: true, LogfilePriority: "info", Debug: "on"}}}, &stderr)
	s.Logger(subsysKnet).Debug("link probe", "link", 1)
	s.Logger(subsysTotem).Debug("hidden")
	s.Logger(subsysMain).Info("shown")
	want := "debug   [KNET  ] link probe link=1\ninfo    [MAIN  ] shown\n"
	if stderr.String() != want {
		t.Errorf("got\n%s\nwant\n%s", stderr.String(), want)
	}
}

func TestLogsysPriorityThreshold(t *testing.T) {
	var stderr bytes.Buffer
	s := newLogsys(coroparse.Logging{ToStderr: true, Timestamp: "off", LogfilePriority: "warning"}, &stderr)
	s.Logger(subsysMain).Info("below")
	s.Logger(subsysMain).Log(context.Background(), levelNotice, "below too")
	s.Logger(subsysMain).Warn("at")
	s.Logger(subsysMain).Error("above")
	if want := "warning [MAIN  ] at\nerror   [MAIN  ] above\n"; stderr.String() != want {
		t.Errorf("got %q, want %q", stderr.String(), want)
	}
}

func TestLogsysUnopenableLogfileReported(t *testing.T) {
	var stderr bytes.Buffer
	s := newLogsys(coroparse.Logging{ToLogfile: true, Logfile: filepath.Join(t.TempDir(), "no", "such", "dir", "x.log"),
		LogfilePriority: "info"}, &stderr)
	s.Logger(subsysMain).Info("lost quietly")
	if !strings.Contains(stderr.String(), "cannot open logfile") {
		t.Errorf("no report of the unopenable logfile: %q", stderr.String())
	}
}

func TestLogsysSyslogPriorityAndFacility(t *testing.T) {
	addr := filepath.Join(t.TempDir(), "log.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: addr, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	syslogAddr = addr
	defer func() { syslogAddr = "" }()
	s := newLogsys(coroparse.Logging{ToSyslog: true, SyslogFacility: "local3", SyslogPriority: "notice",
		LogfilePriority: "info"}, &bytes.Buffer{})
	s.Logger(subsysTotem).Info("below the syslog priority")
	s.Logger(subsysTotem).Warn("link lost")
	s.Close()
	buf := make([]byte, 2048)
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	// <PRI> = facility local3 (19) × 8 + warning (4) = 156.
	got := string(buf[:n])
	if !strings.HasPrefix(got, "<156>") || !strings.Contains(got, "gorosync") || !strings.HasSuffix(strings.TrimSpace(got), "[TOTEM ] link lost") {
		t.Errorf("syslog datagram %q", got)
	}
}

// After logrotate moves the file away, Reopen writes to a new one.
func TestLogsysReopen(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/corosync.log"
	s := newLogsys(coroparse.Logging{ToLogfile: true, Logfile: path, Timestamp: "off", LogfilePriority: "info"}, io.Discard)
	defer s.Close()
	s.Logger("MAIN").Info("before")
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Reopen(); err != nil {
		t.Fatal(err)
	}
	s.Logger("MAIN").Info("after")
	old, _ := os.ReadFile(path + ".1")
	cur, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(cur), "after") || strings.Contains(string(cur), "before") || !strings.Contains(string(old), "before") {
		t.Fatalf("old %q, new %q (%v)", old, cur, err)
	}
}

// A reload's logging thresholds reach loggers made before it.
func TestLogsysReconfigure(t *testing.T) {
	var out bytes.Buffer
	s := newLogsys(coroparse.Logging{ToStderr: true, Timestamp: "off", LogfilePriority: "info", SyslogPriority: "info", Debug: "off"}, &out)
	defer s.Close()
	l := s.Logger("TOTEM")
	l.Debug("hidden")
	s.Reconfigure(coroparse.Logging{ToStderr: true, Timestamp: "off", LogfilePriority: "info", SyslogPriority: "info", Debug: "on"})
	l.Debug("shown")
	if got := out.String(); strings.Contains(got, "hidden") || !strings.Contains(got, "debug   [TOTEM ] shown") {
		t.Fatalf("output %q", got)
	}
}
