package sam

import (
	"bytes"
	"testing"

	"github.com/gorosync/gorosync/services/cserror"
)

// FuzzReadCommand feeds arbitrary bytes to the supervisor's reader of the
// child's pipe: no panic, and every frame it accepts is of a known
// command with the body length that command allows. Seeds:
// testdata/fuzz/FuzzReadCommand.
func FuzzReadCommand(f *testing.F) {
	f.Add(appendFrame(nil, cmdStart))
	f.Add(appendFrame(appendFrame(nil, cmdHB), cmdDataStore, []byte("data")))
	f.Add(appendFrame(nil, cmdWarnSignal, []byte{15, 0, 0, 0}))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		for range 64 {
			fr, err := readFrame(r, true)
			if err != nil {
				return
			}
			lo, hi, ok := bodyBounds(fr.kind, true)
			if !ok || len(fr.body) < lo || len(fr.body) > hi {
				t.Fatalf("accepted kind %d with %d bytes", fr.kind, len(fr.body))
			}
			w := watch{policy: PolicyRestart | PolicyCMAP, intervalMs: 10}
			w.reset(&fx{})
			w.command(fr) // the supervisor handles whatever is accepted
		}
	})
}

// FuzzReadParentMsg feeds arbitrary bytes to the child's reader of the
// supervisor's pipe and decoders: no panic, and an accepted hello has a
// valid policy. Seeds: testdata/fuzz/FuzzReadParentMsg.
func FuzzReadParentMsg(f *testing.F) {
	f.Add(hello{instance: 1, warnSig: 15, policy: PolicyRestart, intervalMs: 100, data: []byte("x")}.frame())
	f.Add(replyFrame(cserror.OK))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		for range 64 {
			fr, err := readFrame(r, false)
			if err != nil {
				return
			}
			switch fr.kind {
			case msgHello:
				if h, err := decodeHello(fr.body); err == nil && !h.policy.valid() {
					t.Fatalf("hello with policy %#x", h.policy)
				}
			case msgReply:
				if _, err := decodeReply(fr.body); err != nil {
					t.Fatalf("accepted reply frame does not decode: %v", err)
				}
			default:
				t.Fatalf("accepted kind %d", fr.kind)
			}
		}
	})
}
