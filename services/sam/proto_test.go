package sam

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/gorosync/gorosync/services/cserror"
)

func TestFrameRoundTrip(t *testing.T) {
	var stream []byte
	stream = appendFrame(stream, cmdStart)
	stream = appendFrame(stream, cmdDataStore, []byte("ab"), []byte("cd"))
	stream = appendFrame(stream, cmdWarnSignal, le.AppendUint32(nil, 10))
	r := bufio.NewReader(bytes.NewReader(stream))
	for _, want := range []frame{{cmdStart, nil}, {cmdDataStore, []byte("abcd")}, {cmdWarnSignal, []byte{10, 0, 0, 0}}} {
		f, err := readFrame(r, true)
		if err != nil || f.kind != want.kind || !bytes.Equal(f.body, want.body) {
			t.Fatalf("%+v %v, want %+v", f, err, want)
		}
	}
	if _, err := readFrame(r, true); err != io.EOF {
		t.Fatalf("end: %v, want EOF", err)
	}
}

func TestFrameBounds(t *testing.T) {
	for _, c := range []struct {
		name      string
		b         []byte
		fromChild bool
	}{
		{"HB with a body", appendFrame(nil, cmdHB, []byte{1}), true},
		{"signal of 3 bytes", appendFrame(nil, cmdWarnSignal, []byte{1, 2, 3}), true},
		{"unknown command", appendFrame(nil, 99), true},
		{"parent kind from the child", appendFrame(nil, msgReply, []byte{1, 0, 0, 0}), true},
		{"data beyond the bound", le.AppendUint32(le.AppendUint32(nil, cmdDataStore), MaxDataSize+1), true},
		{"short hello", appendFrame(nil, msgHello, make([]byte, helloSize-1)), false},
		{"long reply", appendFrame(nil, msgReply, make([]byte, 5)), false},
		{"command from the parent", appendFrame(nil, cmdHB), false},
	} {
		if _, err := readFrame(bytes.NewReader(c.b), c.fromChild); !errors.Is(err, errMalformed) {
			t.Errorf("%s: %v, want errMalformed", c.name, err)
		}
	}
	// A body shorter than announced is a truncation, not a hang.
	short := appendFrame(nil, cmdDataStore, []byte("abcdef"))[:frameHdrSize+3]
	if _, err := readFrame(bytes.NewReader(short), true); err != io.ErrUnexpectedEOF {
		t.Errorf("truncated body: %v", err)
	}
}

func TestHelloRoundTrip(t *testing.T) {
	h := hello{instance: 1 << 31, warnSig: 10, policy: PolicyQuorumRestart | PolicyCMAP, intervalMs: 1234, data: []byte("d")}
	f, err := readFrame(bytes.NewReader(h.frame()), false)
	if err != nil || f.kind != msgHello {
		t.Fatal(f, err)
	}
	g, err := decodeHello(f.body)
	if err != nil || g.instance != h.instance || g.warnSig != h.warnSig || g.policy != h.policy ||
		g.intervalMs != h.intervalMs || string(g.data) != "d" {
		t.Fatalf("%+v %v", g, err)
	}
	bad := h
	bad.policy = 3
	f, _ = readFrame(bytes.NewReader(bad.frame()), false)
	if _, err := decodeHello(f.body); err == nil {
		t.Error("hello with an invalid policy accepted")
	}
	if _, err := decodeHello(make([]byte, 3)); err == nil {
		t.Error("short hello accepted")
	}
	if e, err := decodeReply(le.AppendUint32(nil, uint32(cserror.ErrBusy))); e != cserror.ErrBusy || err != nil {
		t.Errorf("reply %v %v", e, err)
	}
	if _, err := decodeReply(nil); err == nil {
		t.Error("empty reply accepted")
	}
}
