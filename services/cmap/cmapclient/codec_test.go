package cmapclient

import (
	"bytes"
	"testing"

	"github.com/gorosync/gorosync/services/cmap"
)

// TestEncodeDecodes: every request the client encodes is one the
// service's decoder takes, with the same fields.
func TestEncodeDecodes(t *testing.T) {
	buf := func() []byte { return make([]byte, reqBufSize) } // each case its own
	cases := []struct {
		req  []byte
		want cmap.Request
	}{
		{encodeSet(buf(), "a.key", cmap.U32, []byte{1, 2, 3, 4}),
			cmap.Request{ID: cmap.ReqSet, Key: "a.key", KeyLen: 5, ValueLen: 4, Type: cmap.U32, Value: []byte{1, 2, 3, 4}}},
		{encodeSetString(buf(), "s.key", "text"),
			cmap.Request{ID: cmap.ReqSet, Key: "s.key", KeyLen: 5, ValueLen: 4, Type: cmap.String, Value: []byte("text")}},
		{encodeSet(buf(), "e.key", cmap.Binary, nil),
			cmap.Request{ID: cmap.ReqSet, Key: "e.key", KeyLen: 5, Type: cmap.Binary, Value: []byte{}}},
		{encodeKeyReq(buf(), cmap.ReqDelete, cmap.DeleteReqSize, "d.key"),
			cmap.Request{ID: cmap.ReqDelete, Key: "d.key", KeyLen: 5}},
		{encodeGet(buf(), "g.key", 16), cmap.Request{ID: cmap.ReqGet, Key: "g.key", KeyLen: 5, ValueLen: 16}},
		{encodeAdjust(buf(), "i.key", -1), cmap.Request{ID: cmap.ReqAdjustInt, Key: "i.key", KeyLen: 5, Step: -1}},
		{encodeKeyReq(buf(), cmap.ReqIterInit, cmap.IterInitReqSize, ""), cmap.Request{ID: cmap.ReqIterInit}},
		{encodeKeyReq(buf(), cmap.ReqIterInit, cmap.IterInitReqSize, "pre."), cmap.Request{ID: cmap.ReqIterInit, Key: "pre.", KeyLen: 4}},
		{encodeHandle(buf(), cmap.ReqIterNext, 1<<40|7), cmap.Request{ID: cmap.ReqIterNext, Handle: 1<<40 | 7}},
		{encodeHandle(buf(), cmap.ReqIterFinalize, 9), cmap.Request{ID: cmap.ReqIterFinalize, Handle: 9}},
		{encodeTrackAdd(buf(), "t.", 15, 77), cmap.Request{ID: cmap.ReqTrackAdd, Key: "t.", KeyLen: 2, Track: 15, Handle: 77}},
		{encodeHandle(buf(), cmap.ReqTrackDelete, 5), cmap.Request{ID: cmap.ReqTrackDelete, Handle: 5}},
		{encodeHandle(buf(), cmap.ReqSetCurrentMap, 1), cmap.Request{ID: cmap.ReqSetCurrentMap, Map: 1}},
	}
	for _, c := range cases {
		got, e := cmap.DecodeRequest(c.req)
		if e != cmap.OK {
			t.Errorf("%+v: the service refuses it: %v", c.want, e)
			continue
		}
		if got.Value == nil && c.want.Value != nil {
			got.Value = []byte{}
		}
		if got.ID != c.want.ID || got.Key != c.want.Key || got.KeyLen != c.want.KeyLen || got.ValueLen != c.want.ValueLen ||
			got.Type != c.want.Type || !bytes.Equal(got.Value, c.want.Value) || got.Step != c.want.Step ||
			got.Handle != c.want.Handle || got.Track != c.want.Track || got.Map != c.want.Map {
			t.Errorf("decoded %+v\n    want %+v", got, c.want)
		}
	}
}

// TestDecodeNotify: what the service encodes decodes to the same event;
// lengths that do not fit the message are refused.
func TestDecodeNotify(t *testing.T) {
	ev := cmap.Event{Kind: cmap.TrackModify, Key: "some.key", New: cmap.Str("new"), Old: cmap.Int(cmap.U64, 9)}
	msg := notifyMsg(77, ev)
	inst, got, err := decodeNotify(msg)
	if err != nil || inst != 77 || got.Kind != ev.Kind || got.Key != ev.Key || !got.New.Equal(ev.New) || !got.Old.Equal(ev.Old) {
		t.Errorf("decoded %d %+v %v", inst, got, err)
	}
	if &got.New.Data[0] == &msg[cmap.NotifyResSize] {
		t.Error("the value aliases the event buffer")
	}
	bad := bytes.Clone(msg)
	le.PutUint64(bad[cmap.NotifyOldLenOff:], 9) // one byte more than sent
	if _, _, err := decodeNotify(bad); err == nil {
		t.Error("old_value_len past the end accepted")
	}
	le.PutUint64(bad[cmap.NotifyOldLenOff:], ^uint64(0)) // overflowing sum
	if _, _, err := decodeNotify(bad); err == nil {
		t.Error("huge old_value_len accepted")
	}
	if _, _, err := decodeNotify(msg[:cmap.NotifyResSize-1]); err == nil {
		t.Error("short event accepted")
	}
	bad = bytes.Clone(msg)
	for i := cmap.NotifyKeyOff + 8; i < cmap.NotifyKeyOff+8+cmap.NameMax; i++ {
		bad[i] = 'k'
	}
	if _, _, err := decodeNotify(bad); err == nil {
		t.Error("key without a NUL accepted")
	}
	bad = bytes.Clone(msg)
	le.PutUint32(bad, 3)
	if _, _, err := decodeNotify(bad); err == nil {
		t.Error("event id 3 accepted")
	}
}

func notifyMsg(inst uint64, ev cmap.Event) []byte {
	var hdr [cmap.NotifyResSize]byte
	msg := cmap.EncodeNotify(hdr[:], inst, ev)
	msg = append(msg, ev.New.Data...)
	return append(msg, ev.Old.Data...)
}

// TestCheckReply: id, size field and length must agree.
func TestCheckReply(t *testing.T) {
	b := make([]byte, cmap.HandleResSize)
	le.PutUint32(b, cmap.ReqIterInit)
	le.PutUint32(b[8:], uint32(len(b)))
	le.PutUint32(b[16:], uint32(cmap.ErrBusy))
	if e, err := checkReply(b, cmap.ReqIterInit); e != cmap.ErrBusy || err != nil {
		t.Errorf("good reply: %v %v", e, err)
	}
	if _, err := checkReply(b, cmap.ReqTrackAdd); err == nil {
		t.Error("wrong id accepted")
	}
	if _, err := checkReply(b[:cmap.HandleResSize-1], cmap.ReqIterInit); err == nil {
		t.Error("size field longer than the reply accepted")
	}
	if _, err := checkReply(b[:10], cmap.ReqIterInit); err == nil {
		t.Error("10-byte reply accepted")
	}
	if _, err := decodeHandle(b[:cmap.HandleResSize-1]); err == nil {
		t.Error("short handle reply accepted")
	}
}

// TestDecodeGet: a value longer than asked for or than sent is refused.
func TestDecodeGet(t *testing.T) {
	b := make([]byte, cmap.GetResSize+16)
	le.PutUint64(b[cmap.ResValueLenOff:], 4)
	b[cmap.ResTypeOff] = byte(cmap.U32)
	copy(b[cmap.GetResSize:], []byte{1, 2, 3, 4})
	r, err := decodeGet(b, 16)
	if err != nil || r.typ != cmap.U32 || !bytes.Equal(r.value, []byte{1, 2, 3, 4}) {
		t.Errorf("%+v %v", r, err)
	}
	if r, err := decodeGet(b[:cmap.GetResSize], 0); err != nil || r.len != 4 || r.value != nil {
		t.Errorf("probe: %+v %v", r, err)
	}
	if _, err := decodeGet(b, 3); err == nil {
		t.Error("value longer than asked for accepted")
	}
	if _, err := decodeGet(b[:cmap.GetResSize+3], 16); err == nil {
		t.Error("value longer than the reply accepted")
	}
}

// TestDecodeName: the length field bounds the key, and so does a NUL.
func TestDecodeName(t *testing.T) {
	b := make([]byte, cmap.NameSize)
	cmap.PutName(b, "abc.def")
	if k := decodeName(b); k != "abc.def" {
		t.Errorf("%q", k)
	}
	le.PutUint16(b, 3)
	if k := decodeName(b); k != "abc" {
		t.Errorf("length 3: %q", k)
	}
	le.PutUint16(b, 0xffff)
	if k := decodeName(b); k != "abc.def" {
		t.Errorf("length 65535: %q", k)
	}
	for i := 8; i < len(b); i++ {
		b[i] = 'k'
	}
	if k := decodeName(b); len(k) != cmap.MaxKeyLen {
		t.Errorf("no NUL, length 65535: %d bytes", len(k))
	}
}
