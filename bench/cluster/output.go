//go:build linux

package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"time"
)

// Output positions. WaitOutput and OutputSize speak of a position in two
// files at once, packed in one int64: the low 32 bits are a byte offset in
// OutPath, bits 32..62 a byte offset in LogPath. When LogPath is empty or
// absent the position is simply OutPath's byte offset. 0 is the start of
// both files. Positions are opaque otherwise; SplitPos unpacks one.
const (
	maxOutOff = 1<<32 - 1
	maxLogOff = 1<<31 - 1

	// PollInterval is how often WaitOutput rereads the files.
	PollInterval = 20 * time.Millisecond
	// DefaultWaitTimeout bounds WaitOutput when ctx has no deadline.
	DefaultWaitTimeout = 60 * time.Second

	readChunk = 1 << 20
)

// SplitPos unpacks a position returned by OutputSize or WaitOutput into byte
// offsets in OutPath and LogPath.
func SplitPos(pos int64) (out, log int64) {
	return pos & maxOutOff, pos >> 32 & maxLogOff
}

// JoinPos packs byte offsets in OutPath and LogPath into a position.
func JoinPos(out, log int64) (int64, error) {
	if out < 0 || out > maxOutOff || log < 0 || log > maxLogOff {
		return 0, fmt.Errorf("cluster: output offsets %d/%d beyond 4 GiB/2 GiB", out, log)
	}
	return log<<32 | out, nil
}

// OutputSize is the position of the current ends of OutPath and LogPath.
func (n *Node) OutputSize() int64 {
	pos, _ := JoinPos(min(fileSize(n.OutPath), maxOutOff), min(fileSize(n.LogPath), maxLogOff))
	return pos
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// WaitOutput polls OutPath and LogPath every PollInterval for a line
// matching re that starts at or after position after (see SplitPos) in its
// file, and returns the line (without its newline) and the position just
// past it, the other file's offset left at after's. It waits until ctx is
// done, or DefaultWaitTimeout when ctx has no deadline. Only complete lines
// are matched, except that the daemon's last unterminated line is matched
// once the daemon has exited.
func (n *Node) WaitOutput(ctx context.Context, re *regexp.Regexp, after int64) (line string, offset int64, err error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultWaitTimeout)
		defer cancel()
	}
	outOff, logOff := SplitPos(after)
	tails := [2]tailer{{path: n.OutPath, pos: outOff}, {path: n.LogPath, pos: logOff}}
	tick := time.NewTicker(PollInterval)
	defer tick.Stop()
	for {
		final := !n.Running()
		for i := range tails {
			line, end, ok, err := tails[i].scan(re, final)
			if err != nil {
				return "", after, fmt.Errorf("cluster: %s: %w", n.Name, err)
			}
			if !ok {
				continue
			}
			if i == 0 {
				offset, err = JoinPos(end, logOff)
			} else {
				offset, err = JoinPos(outOff, end)
			}
			if err != nil {
				return line, after, err
			}
			return line, offset, nil
		}
		select {
		case <-ctx.Done():
			return "", after, fmt.Errorf("cluster: %s: no line matching %q in %s or %s: %w", n.Name, re, n.OutPath, n.LogPath, ctx.Err())
		case <-tick.C:
		}
	}
}

// tailer scans a growing file for matching lines from pos, which it
// advances past every complete line it has seen.
type tailer struct {
	path string
	pos  int64
	buf  []byte
}

func (t *tailer) scan(re *regexp.Regexp, final bool) (line string, end int64, ok bool, err error) {
	f, err := os.Open(t.path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", 0, false, nil
	}
	if err != nil {
		return "", 0, false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", 0, false, err
	}
	size := fi.Size()
	if t.buf == nil {
		t.buf = make([]byte, readChunk)
	}
	// Each round consumes at least one line or stops; the file's size
	// bounds the rounds.
	for t.pos < size {
		m, err := f.ReadAt(t.buf[:min(int64(len(t.buf)), size-t.pos)], t.pos)
		if m == 0 {
			if err != nil && err != io.EOF {
				return "", 0, false, err
			}
			break
		}
		data := t.buf[:m]
		used := 0
		for {
			i := bytes.IndexByte(data[used:], '\n')
			if i < 0 {
				break
			}
			l := data[used : used+i]
			used += i + 1
			if re.Match(bytes.TrimSuffix(l, []byte("\r"))) {
				t.pos += int64(used)
				return string(bytes.TrimSuffix(l, []byte("\r"))), t.pos, true, nil
			}
		}
		if used == 0 {
			if m < len(t.buf) {
				// An unterminated last line: matched only once the
				// writer is gone.
				if final && re.Match(data) {
					return string(data), t.pos + int64(m), true, nil
				}
				break
			}
			used = m // a line longer than the buffer: take it in pieces
			if re.Match(data) {
				t.pos += int64(used)
				return string(data), t.pos, true, nil
			}
		}
		t.pos += int64(used)
	}
	return "", 0, false, nil
}

// Tail returns up to maxBytes from the end of OutPath and of LogPath, for
// test failure messages.
func (n *Node) Tail(maxBytes int) string {
	var b bytes.Buffer
	for _, p := range []string{n.OutPath, n.LogPath} {
		data, err := readTail(p, maxBytes)
		if err != nil {
			continue
		}
		fmt.Fprintf(&b, "==> %s <==\n%s", p, data)
		if len(data) > 0 && data[len(data)-1] != '\n' {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func readTail(path string, maxBytes int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	off := max(0, fi.Size()-int64(maxBytes))
	buf := make([]byte, fi.Size()-off)
	m, err := f.ReadAt(buf, off)
	if err != nil && err != io.EOF {
		return nil, err
	}
	return buf[:m], nil
}
