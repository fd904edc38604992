package cmapclient

import (
	"bytes"
	"encoding/binary"

	"github.com/gorosync/gorosync/services/cmap"
)

var le = binary.LittleEndian

// putReqHdr clears b (a whole request) and writes its header.
func putReqHdr(b []byte, id int32) {
	clear(b)
	le.PutUint32(b[0:], uint32(id))
	le.PutUint32(b[8:], uint32(len(b)))
}

// encodeKeyReq fills b (size bytes of a request that carries a key) and
// returns it: header and key; the caller adds the rest.
func encodeKeyReq(b []byte, id int32, size int, key string) []byte {
	b = b[:size]
	putReqHdr(b, id)
	cmap.PutName(b[cmap.ReqKeyOff:], key)
	return b
}

// encodeSet writes a SET request for typ and data into b (which must hold
// SetReqSize+len(data) bytes) and returns it.
func encodeSet(b []byte, key string, typ cmap.ValueType, data []byte) []byte {
	b = encodeKeyReq(b, cmap.ReqSet, cmap.SetReqSize+len(data), key)
	le.PutUint64(b[cmap.ReqValueLenOff:], uint64(len(data)))
	b[cmap.SetTypeOff] = byte(typ)
	copy(b[cmap.SetValueOff:], data)
	return b
}

// encodeSetString is encodeSet for a string given without its NUL, as
// libcmap's cmap_set_string sends it (the service appends the NUL).
func encodeSetString(b []byte, key, s string) []byte {
	b = encodeKeyReq(b, cmap.ReqSet, cmap.SetReqSize+len(s), key)
	le.PutUint64(b[cmap.ReqValueLenOff:], uint64(len(s)))
	b[cmap.SetTypeOff] = byte(cmap.String)
	copy(b[cmap.SetValueOff:], s)
	return b
}

// encodeGet asks for key's value into a buffer of valueLen bytes (0: type
// and length only).
func encodeGet(b []byte, key string, valueLen int) []byte {
	b = encodeKeyReq(b, cmap.ReqGet, cmap.GetReqSize, key)
	le.PutUint64(b[cmap.ReqValueLenOff:], uint64(valueLen))
	return b
}

func encodeAdjust(b []byte, key string, step int32) []byte {
	b = encodeKeyReq(b, cmap.ReqAdjustInt, cmap.AdjustReqSize, key)
	le.PutUint32(b[cmap.ReqValueLenOff:], uint32(step))
	return b
}

func encodeTrackAdd(b []byte, key string, typ int32, inst uint64) []byte {
	b = encodeKeyReq(b, cmap.ReqTrackAdd, cmap.TrackAddReqSize, key)
	le.PutUint32(b[cmap.TrackTypeOff:], uint32(typ))
	le.PutUint64(b[cmap.TrackInstOff:], inst)
	return b
}

// encodeHandle writes a 24-byte request carrying one 64-bit field (an
// iterator or track handle, or SET_CURRENT_MAP's map).
func encodeHandle(b []byte, id int32, h uint64) []byte {
	b = b[:cmap.HandleReqSize]
	putReqHdr(b, id)
	le.PutUint64(b[cmap.HandleReqFieldOff:], h)
	return b
}

// checkReply checks a reply of n bytes in b: at least the header, the
// expected id and a size field equal to n. It returns the service's
// error code, or errBadReply.
func checkReply(b []byte, id int32) (cmap.Error, error) {
	if len(b) < cmap.ResHeaderSize || int32(le.Uint32(b)) != id || int(le.Uint32(b[8:])) != len(b) {
		return 0, errBadReply
	}
	return cmap.Error(le.Uint32(b[cmap.ResErrorOff:])), nil
}

// getReply is a decoded GET reply.
type getReply struct {
	typ   cmap.ValueType
	len   uint64 // the value's actual length
	value []byte // the value bytes sent (none for a length probe); aliases the reply
}

// decodeGet decodes a successful GET reply b; want is the value_len the
// request asked for (0: a probe; the reply then carries no value).
func decodeGet(b []byte, want int) (getReply, error) {
	if len(b) < cmap.GetResSize {
		return getReply{}, errBadReply
	}
	r := getReply{typ: cmap.ValueType(b[cmap.ResTypeOff]), len: le.Uint64(b[cmap.ResValueLenOff:])}
	if want <= 0 {
		return r, nil
	}
	if r.len > uint64(want) || r.len > uint64(len(b)-cmap.GetResSize) {
		return getReply{}, errBadReply
	}
	r.value = b[cmap.GetResSize : cmap.GetResSize+int(r.len)]
	return r, nil
}

// decodeHandle returns the 64-bit field of a successful ITER_INIT,
// TRACK_ADD or TRACK_DELETE reply.
func decodeHandle(b []byte) (uint64, error) {
	if len(b) < cmap.HandleResSize {
		return 0, errBadReply
	}
	return le.Uint64(b[cmap.ResHandleOff:]), nil
}

// decodeName reads a mar_name_t: its bytes up to the length field, at
// most cmap.MaxKeyLen, and never past the first NUL (the key a C client
// would see).
func decodeName(b []byte) string {
	n := min(int(le.Uint16(b)), cmap.MaxKeyLen)
	v := b[8 : 8+n]
	if i := bytes.IndexByte(v, 0); i >= 0 {
		v = v[:i]
	}
	return string(v)
}

// decodeIterNext decodes a successful ITER_NEXT reply.
func decodeIterNext(b []byte) (KeyInfo, error) {
	if len(b) < cmap.IterNextResSize {
		return KeyInfo{}, errBadReply
	}
	return KeyInfo{
		Key:  decodeName(b[cmap.IterNextKeyOff : cmap.IterNextKeyOff+cmap.NameSize]),
		Len:  int(min(le.Uint64(b[cmap.IterNextLenOff:]), 1<<31)),
		Type: cmap.ValueType(b[cmap.IterNextTypeOff]),
	}, nil
}

// decodeNotify decodes a NOTIFY_CALLBACK event: its track_inst_handle
// and the change, the values copied out of b. The key is read as libcmap
// hands it to the callback, up to the first NUL; a key without one is
// refused.
func decodeNotify(b []byte) (uint64, cmap.Event, error) {
	if len(b) < cmap.NotifyResSize || int32(le.Uint32(b)) != cmap.ResNotify {
		return 0, cmap.Event{}, errBadReply
	}
	newLen, oldLen := le.Uint64(b[cmap.NotifyNewLenOff:]), le.Uint64(b[cmap.NotifyOldLenOff:])
	room := uint64(len(b) - cmap.NotifyResSize)
	if newLen > room || oldLen > room-newLen {
		return 0, cmap.Event{}, errBadReply
	}
	key := b[cmap.NotifyKeyOff+8 : cmap.NotifyKeyOff+8+cmap.NameMax]
	i := bytes.IndexByte(key, 0)
	if i < 0 {
		return 0, cmap.Event{}, errBadReply
	}
	key = key[:i]
	nv := b[cmap.NotifyResSize : cmap.NotifyResSize+int(newLen)]
	ov := b[cmap.NotifyResSize+int(newLen) : cmap.NotifyResSize+int(newLen+oldLen)]
	ev := cmap.Event{
		Kind: int32(le.Uint32(b[cmap.NotifyEventOff:])),
		Key:  string(key),
		New:  cmap.Value{Type: cmap.ValueType(b[cmap.NotifyNewTypeOff]), Data: bytes.Clone(nv)},
		Old:  cmap.Value{Type: cmap.ValueType(b[cmap.NotifyOldTypeOff]), Data: bytes.Clone(ov)},
	}
	return le.Uint64(b[cmap.NotifyInstOff:]), ev, nil
}
