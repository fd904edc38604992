package main

import (
	"bufio"
	"context"
	"errors"
	"io"

	"github.com/gorosync/gorosync/services/cmap"
	"github.com/gorosync/gorosync/services/cmap/cmapclient"
)

// eventNames are the line prefixes of -t/-T output.
var eventNames = map[int32]string{cmap.TrackAdd: "create", cmap.TrackDelete: "delete", cmap.TrackModify: "modify"}

// track is -t/-T: a track on each key (or prefix) for every change,
// printed as "create> key (type) = value" (deleted keys with their old
// value) until "q" or the end of stdin.
func (t *tool) track(keys []string, stdin io.Reader) int {
	typ := int32(cmap.TrackAdd | cmap.TrackDelete | cmap.TrackModify)
	if t.cfg.trackPrefix {
		typ |= cmap.TrackPrefix
	}
	for _, k := range keys {
		if _, err := t.c.TrackAdd(t.ctx, k, typ, t.notify); err != nil {
			t.errorf("Failed to add tracking function. Error %s\n", strerror(err))
			return 1
		}
	}
	if t.cfg.json {
		t.errorf("Type \"q\" to finish\n") // stdout is for the JSON lines
	} else {
		t.out.WriteString("Type \"q\" to finish\n")
	}
	t.out.Flush()
	ctx, cancel := context.WithCancel(t.ctx)
	defer cancel()
	go waitQuit(stdin, cancel)
	err := t.c.Dispatch(ctx, cmapclient.DispatchBlocking)
	if err != nil && !errors.Is(err, context.Canceled) {
		t.errorf("Dispatch error %s\n", strerror(err))
	}
	return 0
}

// notify prints one change, and flushes: tracking output is read live.
func (t *tool) notify(n cmapclient.Notification) {
	defer t.out.Flush()
	name, ok := eventNames[n.Kind]
	if !ok {
		if !t.cfg.json {
			t.out.WriteString("unknown change> ") // no key, no newline: corosync-cmapctl's
		}
		return
	}
	v := n.New
	if n.Kind == cmap.TrackDelete {
		v = n.Old
	}
	if t.cfg.json {
		t.out.WriteString(jsonLine(struct {
			Event string `json:"event"`
			jsonEntry
		}{name, jsonEntry{Key: n.Key, Type: v.Type.String(), Value: jsonValue(v)}}) + "\n")
		return
	}
	t.out.WriteString(name + "> " + keyLine(n.Key, v, t.cfg.quiet, t.cfg.showBinary) + "\n")
}

// waitQuit calls quit at the end of r or at a "q": corosync-cmapctl reads
// its input two bytes (or up to a newline) at a time and stops at a piece
// that starts with q.
func waitQuit(r io.Reader, quit func()) {
	defer quit()
	br := bufio.NewReader(r)
	for {
		c, err := br.ReadByte()
		if err != nil || c == 'q' {
			return
		}
		if c != '\n' { // the piece's second byte, whatever it is
			if _, err := br.ReadByte(); err != nil {
				return
			}
		}
	}
}
