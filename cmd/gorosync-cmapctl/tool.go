package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"syscall"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gorosync/gorosync/services/cmap/cmapclient"
	"github.com/gorosync/gorosync/services/cserror"
)

var le = binary.LittleEndian

// maxTryAgain is how often corosync-cmapctl retries a call the daemon
// answers with CS_ERR_TRY_AGAIN, a second apart.
const maxTryAgain = 10

// tool is one run: the parsed command line, the connection, the output.
type tool struct {
	cfg     config
	c       *cmapclient.Client
	ctx     context.Context
	out     *bufio.Writer // stdout, flushed at exit (line by line while tracking)
	errw    io.Writer
	json    []string // --json entries, printed at the end
	service string   // the socket name

	// sleep waits between CS_ERR_TRY_AGAIN retries.
	sleep func(time.Duration)
}

func newTool(stdout, stderr io.Writer) *tool {
	return &tool{out: bufio.NewWriter(stdout), errw: stderr, ctx: context.Background(),
		service: cmapclient.ServiceName, sleep: time.Sleep}
}

// errorf writes to stderr (unbuffered, as C's stderr).
func (t *tool) errorf(format string, a ...any) { fmt.Fprintf(t.errw, format, a...) }

// strerror is the text of err's cs_error_t, as cs_strerror gives it.
func strerror(err error) string { return cserror.Code(err).String() }

// perror writes what C's perror(msg) writes for err: "msg: Text".
func (t *tool) perror(msg string, err error) {
	var errno syscall.Errno
	text := err.Error()
	if errors.As(err, &errno) {
		text = errno.Error()
	}
	r, n := utf8.DecodeRuneInString(text) // glibc's messages start upper-case
	t.errorf("%s: %s\n", msg, string(unicode.ToUpper(r))+text[n:])
}

// retry calls f until it succeeds or fails with something other than
// CS_ERR_TRY_AGAIN, at most maxTryAgain retries.
func (t *tool) retry(f func() error) error {
	var err error
	for n := 0; ; n++ {
		err = f()
		if cserror.Code(err) != cserror.ErrTryAgain || n >= maxTryAgain {
			return err
		}
		t.sleep(time.Second)
	}
}

// connect opens the map, retrying while the daemon is not ready.
func (t *tool) connect() error {
	return t.retry(func() error {
		c, err := cmapclient.Dial(t.ctx, cmapclient.Options{Service: t.service})
		if err != nil {
			return err
		}
		if err := c.SetMap(t.ctx, t.cfg.m); err != nil { // cmap_initialize_map always sends it
			c.Close()
			return err
		}
		t.c = c
		return nil
	})
}

// do connects and carries out the action; it returns the exit status.
func (t *tool) do(stdin io.Reader) int {
	if err := t.connect(); err != nil {
		t.errorf("Failed to initialize the cmap API. Error %s\n", strerror(err))
		return 1
	}
	code := t.act(stdin)
	if code != 0 {
		t.c.Close()
		return code
	}
	if err := t.c.Close(); err != nil {
		t.errorf("Failed to finalize the cmap API. Error %s\n", strerror(err))
		return 1
	}
	return 0
}

func (t *tool) act(stdin io.Reader) int {
	args := t.cfg.args
	switch t.cfg.action {
	case actPrint:
		return t.printPrefixes(args)
	case actGet:
		return t.getKeys(args)
	case actDelete:
		for _, k := range args {
			if err := t.c.Delete(t.ctx, k); err != nil {
				t.errorf("Can't delete key %s. Error %s\n", k, strerror(err))
				return 1
			}
		}
	case actDeletePrefix:
		for _, p := range args {
			if code := t.deletePrefix(p); code != 0 {
				return code
			}
		}
	case actLoad:
		return t.load(t.cfg.file, stdin)
	case actTrack:
		return t.track(args, stdin)
	case actSet:
		if len(args) < 3 {
			t.errorf("At least 3 parameters are expected for set\n")
			return 1
		}
		return t.setKey(args[0], args[1], args[2], stdin)
	case actClearStats:
		_ = t.c.SetUint32(t.ctx, "stats.clear."+t.cfg.clear, 1) // corosync-cmapctl ignores the answer
	}
	return 0
}
