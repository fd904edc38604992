package cpg

import "github.com/gorosync/gorosync/services/cserror"

// Iterations (cpg_iteration_*): a snapshot of the process table taken at
// ITERATIONINITIALIZE, walked by ITERATIONNEXT, freed by
// ITERATIONFINALIZE or when the connection goes.

// maxIters bounds one connection's open iterations.
const maxIters = 1024

type iteration struct {
	entries []Entry
	next    int
}

func (e *Engine) iterInit(c Conn, d *cpd, req []byte) {
	typ := IterType(le.Uint32(req[IterTypeOff:]))
	var name []byte
	err := cserror.OK
	switch typ {
	case IterNameOnly, IterAll:
	case IterOneGroup:
		var ok bool
		if name, ok = GetName(req[ReqGroupOff:]); !ok {
			err = cserror.ErrNameTooLong
		}
	default:
		err = cserror.ErrInvalidParam
	}
	if err == cserror.OK && len(d.iters) >= maxIters {
		err = cserror.ErrNoResources
	}
	b := e.replyBuf(ResIterInit, IterInitResSize, err)
	if err == cserror.OK {
		if d.iters == nil {
			d.iters = map[uint64]*iteration{}
		}
		d.nextIter++
		h := iterHandle(d.nextIter)
		d.iters[h] = &iteration{entries: e.procs.iterationList(typ, string(name))}
		le.PutUint64(b[24:], h)
	}
	e.one[0] = b
	_ = c.RespondParts(e.one[:]...)
	e.one[0] = nil
}

// iterHandle makes a handle that is never 0 and not simply a counter
// (a check word above the index, like libqb's hdb handles).
func iterHandle(n uint64) uint64 {
	return uint64(uint32(n*2654435761)|1)<<32 | n&0xffffffff
}

func (e *Engine) iterNext(c Conn, d *cpd, req []byte) {
	it := d.iters[le.Uint64(req[IterHandleOff:])]
	err := cserror.OK
	switch {
	case it == nil:
		err = cserror.ErrLibrary // corosync's answer for an unknown handle
	case it.next >= len(it.entries):
		err = cserror.ErrNoSections
	}
	b := e.replyBuf(ResIterNext, IterNextResSize, err)
	if err == cserror.OK {
		en := it.entries[it.next]
		it.next++
		PutName(b[24:], []byte(en.Group))
		le.PutUint32(b[160:], en.NodeID)
		le.PutUint32(b[164:], en.PID)
	}
	e.one[0] = b
	_ = c.RespondParts(e.one[:]...)
	e.one[0] = nil
}

func (e *Engine) iterFinalize(d *cpd, req []byte) Error {
	h := le.Uint64(req[IterHandleOff:])
	if _, ok := d.iters[h]; !ok {
		return cserror.ErrLibrary
	}
	delete(d.iters, h)
	return cserror.OK
}
