package fault

import (
	"encoding/binary"
	"errors"

	"github.com/gorosync/gorosync/dataplane/transport"
)

// fakeInner is an in-memory transport that makes up frames: frame id (from
// 1) is 8 bytes of id then a pattern, 16..79 bytes in all, from node
// id%7+1. It lends buffers by handle base+index (base 0 uses handle 0) and
// counts double, foreign and leaked releases. It allocates nothing after
// newFake.
type fakeInner struct {
	mtu      int
	base     int32
	perRecv  int // at most this many frames per Recv; 0 no limit
	bufs     [][]byte
	lent     []bool
	free     []int32
	next     uint64 // the next frame id
	last     uint64 // the last frame id to make up
	clock    *int64
	pulledAt []int64 // by frame id, when Recv pulled it
	bad      int     // double or foreign releases
	released int
	sent     int
	err      error // returned by the next Recv
	closed   bool
}

func newFake(buffers int, base int32, clock *int64, frames int) *fakeInner {
	f := &fakeInner{mtu: 1500, base: base, clock: clock, next: 1, last: uint64(frames),
		lent: make([]bool, buffers), pulledAt: make([]int64, frames+1)}
	for i := range buffers {
		f.bufs = append(f.bufs, make([]byte, f.mtu))
		f.free = append(f.free, int32(buffers-1-i))
	}
	return f
}

// frameLen and frameByte say what frame id holds.
func frameLen(id uint64) int { return 16 + int(id%64) }

func frameByte(id uint64, j int) byte { return byte(id*7 + uint64(j)*13) }

// frameID checks that b is a frame made up by fakeInner and returns its id
// (0 if it is not one).
func frameID(b []byte) uint64 {
	if len(b) < 8 {
		return 0
	}
	id := binary.LittleEndian.Uint64(b)
	if id == 0 || len(b) != frameLen(id) {
		return 0
	}
	for j := 8; j < len(b); j++ {
		if b[j] != frameByte(id, j) {
			return 0
		}
	}
	return id
}

func (f *fakeInner) Recv(frames []transport.Received) (int, error) {
	if f.closed {
		return 0, transport.ErrClosed
	}
	if err := f.err; err != nil {
		f.err = nil
		return 0, err
	}
	if f.perRecv > 0 && len(frames) > f.perRecv {
		frames = frames[:f.perRecv]
	}
	k := 0
	for ; k < len(frames) && f.next <= f.last && len(f.free) > 0; k++ {
		i := f.free[len(f.free)-1]
		f.free = f.free[:len(f.free)-1]
		f.lent[i] = true
		id := f.next
		f.next++
		b := f.bufs[i][:frameLen(id)]
		binary.LittleEndian.PutUint64(b, id)
		for j := 8; j < len(b); j++ {
			b[j] = frameByte(id, j)
		}
		f.pulledAt[id] = *f.clock
		frames[k] = transport.Received{Data: b, From: uint32(id%7 + 1)}
		frames[k].SetHandle(f.base + i)
	}
	return k, nil
}

func (f *fakeInner) Release(frames []transport.Received) {
	for j := range frames {
		i := frames[j].Handle() - f.base
		if i < 0 || int(i) >= len(f.lent) || !f.lent[i] {
			f.bad++
			continue
		}
		f.lent[i] = false
		f.free = append(f.free, i)
		f.released++
		frames[j] = transport.Received{}
	}
}

func (f *fakeInner) Send(frames []transport.Outgoing) error {
	if f.closed {
		return transport.ErrClosed
	}
	f.sent += len(frames)
	return nil
}

func (f *fakeInner) Fd() int  { return 42 }
func (f *fakeInner) MTU() int { return f.mtu }

func (f *fakeInner) Close() error {
	if f.closed {
		return errors.New("fake: closed twice")
	}
	f.closed = true
	return nil
}

// leaked is how many buffers are still lent.
func (f *fakeInner) leaked() int { return len(f.bufs) - len(f.free) }
