package cmap

// The wire layout for the client side (services/cmap/cmapclient), which
// encodes the requests Service decodes and decodes the replies and events
// it encodes (LIBQB_IPC_SPEC §5.1). Aliases of the codec's own constants,
// so that both sides read one table.
const (
	ReqHeaderSize = reqHdr  // qb_ipc_request_header: id @0, size @8
	ResHeaderSize = resHdr  // qb_ipc_response_header: id @0, size @8, error @16
	NameSize      = nameLen // mar_name_t: length u16 @0, value @8
	NameMax       = nameMax // mar_name_t's value bytes (CS_MAX_NAME_LENGTH)

	SetReqSize      = setReqSize // + value_len
	DeleteReqSize   = deleteReqSize
	GetReqSize      = getReqSize
	AdjustReqSize   = adjustReqSize
	IterInitReqSize = iterInitReqSize
	HandleReqSize   = handleReqSize // ITER_NEXT, ITER_FINALIZE, TRACK_DELETE, SET_CURRENT_MAP
	TrackAddReqSize = trackAddReqSize

	GetResSize      = getResSize // + value
	HandleResSize   = handleResSize
	IterNextResSize = iterNextResSize
	NotifyResSize   = notifyResSize // + new value + old value

	ReqKeyOff         = reqKeyOff      // the key (mar_name_t) of SET … TRACK_ADD
	ReqValueLenOff    = reqValueLenOff // SET and GET value_len, ADJUST_INT step
	SetTypeOff        = setTypeOff
	SetValueOff       = setValueOff
	TrackTypeOff      = trackTypeOff
	TrackInstOff      = trackInstOff
	HandleReqFieldOff = handleReqFieldOff // iterator or track handle; SET_CURRENT_MAP's map
	ResErrorOff       = 16
	ResHandleOff      = resHdr // ITER_INIT, TRACK_ADD, TRACK_DELETE replies
	ResValueLenOff    = resValueLenOff
	ResTypeOff        = resTypeOff
	IterNextKeyOff    = iterNextKeyOff
	IterNextLenOff    = iterNextLenOff
	IterNextTypeOff   = iterNextTypeOff
	NotifyInstOff     = resHdr
	NotifyKeyOff      = notifyKeyOff
	NotifyEventOff    = notifyEventOff
	NotifyNewTypeOff  = notifyNewTypeOff
	NotifyOldTypeOff  = notifyOldTypeOff
	NotifyNewLenOff   = notifyNewLenOff
	NotifyOldLenOff   = notifyOldLenOff
)

// PutName writes key into b[:NameSize] as a mar_name_t (length, then the
// bytes NUL-padded), cut to NameMax-1 bytes.
func PutName(b []byte, key string) { putName(b, key) }

// TypeLen is the length of a numeric type's values, 0 for string, binary
// and unknown types.
func TypeLen(t ValueType) int { return typeLen(t) }
