package main

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"strings"
)

// lineMax is the chunk corosync-cmapctl reads a settings file in
// (fgets into 1024 bytes): a longer line is read as several.
const lineMax = 1023

// load is -p: each line "[^[^]]key[ type value]" of the file: ^ deletes a
// key, ^^ a prefix, anything else is set. Lines whose first non-blank
// character is # are comments; blank lines are skipped. A file that
// cannot be opened is reported and the run still succeeds, as
// corosync-cmapctl does.
func (t *tool) load(name string, stdin io.Reader) int {
	f, err := os.Open(name)
	if err != nil {
		t.perror("Couldn't open file.", err)
		return 0
	}
	defer f.Close()
	r := bufio.NewReader(f)
	for {
		chunk, err := readChunk(r)
		if len(chunk) > 0 {
			if code := t.loadLine(chunk, stdin); code != 0 {
				return code
			}
		}
		if err != nil {
			return 0
		}
	}
}

// readChunk reads what fgets would: up to and with a newline, at most
// lineMax bytes.
func readChunk(r *bufio.Reader) ([]byte, error) {
	var b []byte
	for len(b) < lineMax {
		c, err := r.ReadByte()
		if err != nil {
			return b, err
		}
		b = append(b, c)
		if c == '\n' {
			break
		}
	}
	return b, nil
}

// loadLine handles one chunk. As C string functions do, it ends at a NUL.
func (t *tool) loadLine(chunk []byte, stdin io.Reader) int {
	if i := bytes.IndexByte(chunk, 0); i >= 0 {
		chunk = chunk[:i]
	}
	line := strings.TrimLeft(string(chunk), " \t")
	if strings.HasPrefix(line, "#") || strings.HasPrefix(line, "\n") {
		return 0
	}
	// An empty line here (blanks alone, no newline) has no key: the
	// message then names it as glibc prints a NULL string.
	toks := strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '\n' })
	if len(toks) > 0 && strings.HasPrefix(toks[0], "^") {
		key := toks[0][1:]
		if strings.HasPrefix(key, "^") {
			return t.deletePrefix(key[1:])
		}
		if err := t.c.Delete(t.ctx, key); err != nil {
			t.errorf("Can't delete key %s. Error %s\n", key, strerror(err))
		}
		return 0
	}
	if len(toks) < 3 {
		key := "(null)"
		if len(toks) > 0 {
			key = toks[0]
		}
		t.errorf("Both type and value for key %s are required\n", key)
		return 1
	}
	return t.setKey(toks[0], toks[1], toks[2], stdin)
}
