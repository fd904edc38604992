package cmap

import "bytes"

// Request ids (LIBQB_IPC_SPEC §5.1).
const (
	ReqSet           = 0
	ReqDelete        = 1
	ReqGet           = 2
	ReqAdjustInt     = 3
	ReqIterInit      = 4
	ReqIterNext      = 5
	ReqIterFinalize  = 6
	ReqTrackAdd      = 7
	ReqTrackDelete   = 8
	ReqSetCurrentMap = 9
	numReqs          = 10
)

// Reply and event ids: the request's number for 0–8, then these.
const (
	ResNotify        = 9
	ResSetCurrentMap = 10
)

// Message sizes.
const (
	reqHdr  = 16
	resHdr  = 24
	nameLen = 264 // mar_name_t: length u16 @0, value[256] @8
	nameMax = 256

	setReqSize        = 296 // + value_len
	deleteReqSize     = 280
	getReqSize        = 288
	adjustReqSize     = 288
	iterInitReqSize   = 280
	handleReqSize     = 24 // ITER_NEXT, ITER_FINALIZE, TRACK_DELETE, SET_CURRENT_MAP
	trackAddReqSize   = 296
	getResSize        = 40 // + value
	handleResSize     = 32 // ITER_INIT, TRACK_ADD, TRACK_DELETE
	iterNextResSize   = 304
	notifyResSize     = 336 // + new value + old value
	notifyKeyOff      = 32
	iterNextKeyOff    = 24
	reqKeyOff         = 16
	reqValueLenOff    = 280
	setTypeOff        = 288
	setValueOff       = 296
	trackTypeOff      = 280
	trackInstOff      = 288
	resValueLenOff    = 24
	resTypeOff        = 32
	iterNextLenOff    = 288
	iterNextTypeOff   = 296
	notifyEventOff    = 296
	notifyNewTypeOff  = 304
	notifyOldTypeOff  = 312
	notifyNewLenOff   = 320
	notifyOldLenOff   = 328
	setCurrentMapOff  = 16
	handleReqFieldOff = 16
)

// Request is one decoded cmap request. Which fields are set depends on ID.
type Request struct {
	ID       int32
	Key      string // SET, DELETE, GET, ADJUST_INT, TRACK_ADD; the prefix for ITER_INIT
	KeyLen   uint16 // the mar_name_t length field
	ValueLen uint64 // SET (bytes given), GET (caller's buffer)
	Type     ValueType
	Value    []byte // SET: aliases the request
	Step     int32  // ADJUST_INT
	Handle   uint64 // ITER_NEXT, ITER_FINALIZE, TRACK_DELETE; TRACK_ADD's track_inst_handle
	Track    int32  // TRACK_ADD track_type
	Map      int32  // SET_CURRENT_MAP
}

// decodeName reads a mar_name_t at b[0:264]: the key is value up to its
// first NUL, as corosync reads it (the length field is kept apart).
func decodeName(b []byte) (string, uint16) {
	v := b[8 : 8+nameMax]
	if i := bytes.IndexByte(v, 0); i >= 0 {
		v = v[:i]
	}
	return string(v), le.Uint16(b)
}

// DecodeRequest checks and decodes req (header included; len(req) is the
// header's size). It returns ErrInvalid for an unknown id or a size that
// is not the message's exact size (for SET: 296 + value_len, value_len at
// most MaxValueLen).
func DecodeRequest(req []byte) (Request, Error) {
	var r Request
	if len(req) < reqHdr {
		return r, ErrInvalid
	}
	r.ID = int32(le.Uint32(req))
	want := 0
	switch r.ID {
	case ReqSet:
		if len(req) < setReqSize {
			return r, ErrInvalid
		}
		r.ValueLen = le.Uint64(req[reqValueLenOff:])
		if r.ValueLen > MaxValueLen {
			return r, ErrInvalid
		}
		want = setReqSize + int(r.ValueLen)
	case ReqDelete:
		want = deleteReqSize
	case ReqGet:
		want = getReqSize
	case ReqAdjustInt:
		want = adjustReqSize
	case ReqIterInit:
		want = iterInitReqSize
	case ReqIterNext, ReqIterFinalize, ReqTrackDelete, ReqSetCurrentMap:
		want = handleReqSize
	case ReqTrackAdd:
		want = trackAddReqSize
	default:
		return r, ErrInvalid
	}
	if len(req) != want {
		return r, ErrInvalid
	}
	switch r.ID {
	case ReqSet, ReqDelete, ReqGet, ReqAdjustInt, ReqIterInit, ReqTrackAdd:
		r.Key, r.KeyLen = decodeName(req[reqKeyOff : reqKeyOff+nameLen])
	}
	switch r.ID {
	case ReqSet:
		r.Type = ValueType(req[setTypeOff])
		r.Value = req[setValueOff:]
	case ReqGet:
		r.ValueLen = le.Uint64(req[reqValueLenOff:])
	case ReqAdjustInt:
		r.Step = int32(le.Uint32(req[reqValueLenOff:]))
	case ReqIterInit:
		if r.KeyLen == 0 {
			r.Key = ""
		}
	case ReqIterNext, ReqIterFinalize, ReqTrackDelete:
		r.Handle = le.Uint64(req[handleReqFieldOff:])
	case ReqSetCurrentMap:
		r.Map = int32(le.Uint32(req[setCurrentMapOff:]))
	case ReqTrackAdd:
		r.Track = int32(le.Uint32(req[trackTypeOff:]))
		r.Handle = le.Uint64(req[trackInstOff:])
	}
	return r, OK
}

// setValue turns SET's value bytes into the stored form (icmap_set_r):
// fixed types must have their exact length; a string keeps at most its
// value_len bytes up to the first NUL and gains a NUL, and a NUL before
// the last given byte is refused.
func setValue(t ValueType, data []byte) (Value, Error) {
	if !validType(t) {
		return Value{}, ErrInvalid
	}
	if t != String {
		v := Value{Type: t, Data: data}
		return v, checkValue(v)
	}
	n := bytes.IndexByte(data, 0)
	if n < 0 {
		n = len(data)
	} else if len(data) > n+1 {
		return Value{}, ErrInvalid
	}
	if n+1 > MaxValueLen {
		return Value{}, ErrInvalid
	}
	d := make([]byte, n+1)
	copy(d, data[:n])
	return Value{Type: String, Data: d}, OK
}

// putResHdr writes a response header into b[:24].
func putResHdr(b []byte, id int32, size int, e Error) {
	clear(b[:resHdr])
	le.PutUint32(b[0:], uint32(id))
	le.PutUint32(b[8:], uint32(size))
	le.PutUint32(b[16:], uint32(e))
}

// putName writes a mar_name_t (length, value NUL-padded) into b[:264].
func putName(b []byte, key string) {
	clear(b[:nameLen])
	if len(key) > nameMax-1 {
		key = key[:nameMax-1]
	}
	le.PutUint16(b, uint16(len(key)))
	copy(b[8:], key)
}

// EncodeNotify writes the NOTIFY_CALLBACK event's fixed part into
// b[:336] and returns it; the new and then the old value bytes follow it.
func EncodeNotify(b []byte, inst uint64, ev Event) []byte {
	b = b[:notifyResSize]
	clear(b)
	putResHdr(b, ResNotify, notifyResSize+len(ev.New.Data)+len(ev.Old.Data), OK)
	le.PutUint64(b[24:], inst)
	putName(b[notifyKeyOff:], ev.Key)
	le.PutUint32(b[notifyEventOff:], uint32(ev.Kind))
	b[notifyNewTypeOff] = byte(ev.New.Type)
	b[notifyOldTypeOff] = byte(ev.Old.Type)
	le.PutUint64(b[notifyNewLenOff:], uint64(len(ev.New.Data)))
	le.PutUint64(b[notifyOldLenOff:], uint64(len(ev.Old.Data)))
	return b
}
