package cmap

import (
	"github.com/gorosync/gorosync/shm"
)

// Service is the cmap IPC service: an shm.Handler (and
// shm.ConnectHandler) to serve under the socket name "cmap". Its methods
// run on the Poll goroutine, the store's owner.
type Service struct {
	Store *Store
	// Stats is the map SET_CURRENT_MAP 1 selects (read-only to clients:
	// writes answer CS_ERR_NOT_SUPPORTED). Nil: an empty map.
	Stats *Store
	// Refresh, if set, runs before every request: stats is true when the
	// request reads the stats map. The daemon computes the statistics on
	// read, as corosync does, and refreshes its runtime counters.
	Refresh func(stats bool)

	nextHandle uint64
	buf        []byte // response scratch
	ev         [notifyResSize]byte
	zeros      []byte
}

// NewService serves store.
func NewService(store *Store) *Service { return &Service{Store: store} }

// connState is one connection's iterators and tracks.
type connState struct {
	store  *Store
	iters  map[uint64]*Iter
	tracks map[uint64]*connTrack
}

type connTrack struct {
	t    *Track
	inst uint64
}

var _ shm.ConnectHandler = (*Service)(nil)

// Connected implements shm.ConnectHandler.
func (s *Service) Connected(c *shm.Conn) { s.state(c) }

func (s *Service) state(c *shm.Conn) *connState {
	if st, ok := c.Context().(*connState); ok {
		return st
	}
	st := &connState{store: s.Store, iters: map[uint64]*Iter{}, tracks: map[uint64]*connTrack{}}
	c.SetContext(st)
	return st
}

// Disconnected frees the connection's iterators and tracks.
func (s *Service) Disconnected(c *shm.Conn) {
	st, ok := c.Context().(*connState)
	if !ok {
		return
	}
	for _, ct := range st.tracks {
		ct.t.Remove()
	}
	clear(st.tracks)
	clear(st.iters)
	c.SetContext(nil)
}

// handle returns a fresh handle: a check word above an index, like
// libqb's hdb handles, never 0.
func (s *Service) handle() uint64 {
	s.nextHandle++
	return uint64(uint32(s.nextHandle*2654435761)|1)<<32 | s.nextHandle&0xffffffff
}

func (s *Service) scratch(n int) []byte {
	if cap(s.buf) < n {
		s.buf = make([]byte, n)
	}
	b := s.buf[:n]
	clear(b)
	return b
}

// reply sends a header-only or fixed-size reply with error e.
func (s *Service) reply(c *shm.Conn, id int32, size int, e Error) []byte {
	b := s.scratch(size)
	putResHdr(b, id, size, e)
	return b
}

// replySize is the size of request id's reply (errors included).
func replySize(id int32) int {
	switch id {
	case ReqGet:
		return getResSize
	case ReqIterInit, ReqTrackAdd, ReqTrackDelete:
		return handleResSize
	case ReqIterNext:
		return iterNextResSize
	}
	return resHdr
}

func replyID(id int32) int32 {
	if id == ReqSetCurrentMap {
		return ResSetCurrentMap
	}
	return id
}

// Request implements shm.Handler.
func (s *Service) Request(c *shm.Conn, req []byte) {
	st := s.state(c)
	r, e := DecodeRequest(req)
	if e != OK {
		if r.ID < 0 || r.ID >= numReqs {
			_ = c.Respond(s.reply(c, 0, resHdr, ErrInvalid))
			return
		}
		_ = c.Respond(s.reply(c, replyID(r.ID), replySize(r.ID), e))
		return
	}
	stats := st.store != s.Store
	if s.Refresh != nil {
		s.Refresh(stats)
	}
	switch r.ID {
	case ReqSet:
		e = ErrAccess
		if stats {
			e = ErrNotSupp
		} else if !st.store.ReadOnly(r.Key) {
			var v Value
			if v, e = setValue(r.Type, r.Value); e == OK {
				e = st.store.Set(r.Key, v)
			}
		}
	case ReqDelete:
		e = ErrAccess
		if stats {
			e = ErrNotSupp
		} else if !st.store.ReadOnly(r.Key) {
			e = st.store.Delete(r.Key)
		}
	case ReqAdjustInt:
		e = ErrAccess
		if stats {
			e = ErrNotSupp
		} else if !st.store.ReadOnly(r.Key) {
			e = st.store.Adjust(r.Key, r.Step)
		}
	case ReqGet:
		s.get(c, st, r)
		return
	case ReqIterInit:
		h := s.handle()
		st.iters[h] = st.store.Iter(r.Key)
		b := s.reply(c, ReqIterInit, handleResSize, OK)
		le.PutUint64(b[resHdr:], h)
		_ = c.Respond(b)
		return
	case ReqIterNext:
		s.iterNext(c, st, r.Handle)
		return
	case ReqIterFinalize:
		e = ErrBadHandle
		if _, ok := st.iters[r.Handle]; ok {
			delete(st.iters, r.Handle)
			e = OK
		}
	case ReqTrackAdd:
		s.trackAdd(c, st, r)
		return
	case ReqTrackDelete:
		b := s.reply(c, ReqTrackDelete, handleResSize, ErrBadHandle)
		if ct, ok := st.tracks[r.Handle]; ok {
			ct.t.Remove()
			delete(st.tracks, r.Handle)
			putResHdr(b, ReqTrackDelete, handleResSize, OK)
			le.PutUint64(b[resHdr:], ct.inst)
		}
		_ = c.Respond(b)
		return
	case ReqSetCurrentMap:
		e = s.setMap(st, r.Map)
	}
	_ = c.Respond(s.reply(c, replyID(r.ID), resHdr, e))
}

func (s *Service) setMap(st *connState, m int32) Error {
	if len(st.iters) > 0 || len(st.tracks) > 0 {
		return ErrBusy
	}
	switch m {
	case 0:
		st.store = s.Store
	case 1:
		if s.Stats == nil {
			s.Stats = NewStore()
		}
		st.store = s.Stats
	default:
		return ErrNotExist
	}
	return OK
}

// get answers GET: 40 + the caller's buffer size (value_len 0: type and
// length only), value_len the actual length; 40 bytes on error.
func (s *Service) get(c *shm.Conn, st *connState, r Request) {
	v, ok := st.store.Get(r.Key)
	e := OK
	switch {
	case !ok:
		e = ErrNotExist
	case r.ValueLen != 0 && r.ValueLen < uint64(len(v.Data)):
		e = ErrInvalid
	}
	b := s.reply(c, ReqGet, getResSize, e)
	if e != OK {
		_ = c.Respond(b)
		return
	}
	n := 0 // value bytes sent
	pad := 0
	if r.ValueLen != 0 {
		n = len(v.Data)
		if want := getResSize + r.ValueLen; want <= uint64(c.MaxMsgSize()) {
			pad = int(r.ValueLen) - n
		}
	}
	putResHdr(b, ReqGet, getResSize+n+pad, OK)
	le.PutUint64(b[resValueLenOff:], uint64(len(v.Data)))
	b[resTypeOff] = byte(v.Type)
	if len(s.zeros) < pad {
		s.zeros = make([]byte, pad)
	}
	_ = c.RespondParts(b, v.Data[:n], s.zeros[:pad])
}

func (s *Service) iterNext(c *shm.Conn, st *connState, h uint64) {
	b := s.reply(c, ReqIterNext, iterNextResSize, ErrBadHandle)
	if it, ok := st.iters[h]; ok {
		key, v, ok := it.Next()
		if !ok {
			putResHdr(b, ReqIterNext, iterNextResSize, ErrNoSection)
		} else {
			putResHdr(b, ReqIterNext, iterNextResSize, OK)
			putName(b[iterNextKeyOff:], key)
			le.PutUint64(b[iterNextLenOff:], uint64(len(v.Data)))
			b[iterNextTypeOff] = byte(v.Type)
		}
	}
	_ = c.Respond(b)
}

func (s *Service) trackAdd(c *shm.Conn, st *connState, r Request) {
	inst := r.Handle
	t, e := st.store.Track(r.Key, r.Track, func(_ *Track, ev Event) {
		hdr := EncodeNotify(s.ev[:], inst, ev)
		_ = c.EventParts(hdr, ev.New.Data, ev.Old.Data)
	})
	b := s.reply(c, ReqTrackAdd, handleResSize, e)
	if e == OK {
		h := s.handle()
		st.tracks[h] = &connTrack{t: t, inst: inst}
		le.PutUint64(b[resHdr:], h)
	}
	_ = c.Respond(b)
}
