package cmapclient

import (
	"testing"

	"github.com/gorosync/gorosync/services/cmap"
)

// FuzzDecodeNotify feeds arbitrary events to the NOTIFY decoder: no panic,
// and what decodes re-encodes to the same message (values inside it).
// Seeds: testdata/fuzz/FuzzDecodeNotify.
func FuzzDecodeNotify(f *testing.F) {
	f.Add(notifyMsg(1, cmap.Event{Kind: cmap.TrackAdd, Key: "a.b", New: cmap.Int(cmap.U8, 1)}))
	f.Fuzz(func(t *testing.T, msg []byte) {
		inst, ev, err := decodeNotify(msg)
		if err != nil {
			return
		}
		if len(ev.Key) > cmap.MaxKeyLen || len(ev.New.Data)+len(ev.Old.Data) > len(msg)-cmap.NotifyResSize {
			t.Fatalf("decoded %+v from %d bytes", ev, len(msg))
		}
		again, ev2, err := decodeNotify(notifyMsg(inst, ev))
		if err != nil || again != inst || ev2.Kind != ev.Kind || ev2.Key != ev.Key || !ev2.New.Equal(ev.New) || !ev2.Old.Equal(ev.Old) {
			t.Fatalf("re-encoded %+v decodes to %+v %v", ev, ev2, err)
		}
	})
}

// FuzzDecodeReply feeds arbitrary replies to the reply decoders: no
// panic, and decoded values stay inside the reply.
// Seeds: testdata/fuzz/FuzzDecodeReply.
func FuzzDecodeReply(f *testing.F) {
	f.Add(make([]byte, cmap.IterNextResSize), 16)
	f.Fuzz(func(t *testing.T, b []byte, want int) {
		for _, id := range []int32{cmap.ReqGet, cmap.ReqIterNext, cmap.ReqIterInit} {
			_, _ = checkReply(b, id)
		}
		if r, err := decodeGet(b, want); err == nil && (want <= 0 && r.value != nil || len(r.value) > max(want, 0)) {
			t.Fatalf("GET value of %d bytes from %d (want %d)", len(r.value), len(b), want)
		}
		if ki, err := decodeIterNext(b); err == nil && len(ki.Key) > cmap.MaxKeyLen {
			t.Fatalf("key of %d bytes", len(ki.Key))
		}
		_, _ = decodeHandle(b)
	})
}
