package services

import (
	"encoding/binary"
	"slices"
)

// Sync engine message functions (service syncService).
const (
	fnServiceBuild uint16 = 0 // ring, count u16, service ids u16…
	fnBarrier      uint16 = 1 // ring, service id u16
)

const ringBytes = 12 // rep u32, seq u64

// maxSyncServices bounds a SERVICE_BUILD's list (corosync: 128).
const maxSyncServices = 128

// processGapNs spaces calls to a SyncProcess that asked to be called again
// (corosync calls it once per token rotation).
const processGapNs = int64(1_000_000)

type syncPhase uint8

const (
	phaseIdle    syncPhase = iota
	phaseBuild             // waiting for every member's SERVICE_BUILD
	phaseProcess           // the current service's SyncProcess, then BARRIERs
)

// syncEngine is corosync's sync.c: one round per regular configuration.
type syncEngine struct {
	h         *Host
	active    bool // a round is in progress (sync_in_process)
	completed uint64
	phase     syncPhase
	ring      RingID
	members   []uint32
	trans     []uint32 // the last transitional configuration's members
	received  []bool   // per member: its SERVICE_BUILD or BARRIER arrived
	list      []uint16 // service ids to synchronise, ascending
	idx       int      // the service being synchronised
	// processDone: this node finished SyncProcess for list[idx]; barrierOwed:
	// its BARRIER could not be queued yet.
	processDone, barrierOwed, buildOwed bool
	nextProcessNs                       int64
	scratch                             []byte
	transIn                             []uint32
}

func (s *syncEngine) init(h *Host) {
	s.h = h
	s.scratch = make([]byte, 0, ringBytes+2+2*maxSyncServices)
}

func (s *syncEngine) conf(cc ConfChange) {
	if s.active {
		s.abort()
	}
	s.active = true
	if cc.Kind == Transitional {
		s.trans = append(s.trans[:0], cc.Members...)
		return
	}
	s.start(cc)
}

// abort cuts the running round short. Unlike corosync 3.1.7, the current
// service is told also while this node waits for BARRIERs (corosync
// PR #828: a service that is not told keeps stale state into the next
// round).
func (s *syncEngine) abort() {
	if s.phase == phaseProcess && s.idx < len(s.list) {
		if sy, ok := s.syncer(s.list[s.idx]); ok {
			sy.SyncAbort()
		}
	}
	s.phase = phaseIdle
	s.ring = RingID{}
}

func (s *syncEngine) start(cc ConfChange) {
	s.ring = cc.Ring
	s.members = append(s.members[:0], cc.Members...)
	slices.Sort(s.members)
	s.received = slices.Grow(s.received[:0], len(s.members))[:len(s.members)]
	clear(s.received)
	s.list = s.list[:0]
	for id, e := range s.h.byID {
		if _, ok := e.(Syncer); ok {
			s.list = append(s.list, id)
		}
	}
	slices.Sort(s.list)
	s.idx = 0
	s.phase = phaseBuild
	s.buildOwed = true
	s.sendBuild()
	s.transIn = s.transIn[:0]
	for _, id := range s.trans {
		if slices.Contains(s.members, id) {
			s.transIn = append(s.transIn, id)
		}
	}
	for _, id := range s.list {
		if sy, ok := s.syncer(id); ok {
			sy.SyncInit(s.transIn, s.members, s.ring)
		}
	}
}

func (s *syncEngine) syncer(id uint16) (Syncer, bool) {
	sy, ok := s.h.byID[id].(Syncer)
	return sy, ok
}

func (s *syncEngine) putRing(b []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, s.ring.Rep)
	return binary.LittleEndian.AppendUint64(b, s.ring.Seq)
}

func (s *syncEngine) sendBuild() {
	b := s.putRing(s.scratch[:0])
	b = binary.LittleEndian.AppendUint16(b, uint16(len(s.list)))
	for _, id := range s.list {
		b = binary.LittleEndian.AppendUint16(b, id)
	}
	if s.h.Send(syncService, fnServiceBuild, b) == nil {
		s.buildOwed = false
	}
}

func (s *syncEngine) sendBarrier() {
	b := s.putRing(s.scratch[:0])
	b = binary.LittleEndian.AppendUint16(b, s.list[s.idx])
	if s.h.Send(syncService, fnBarrier, b) == nil {
		s.barrierOwed = false
	}
}

// mark records that sender's message for this step arrived and tells
// whether every member's has.
func (s *syncEngine) mark(sender uint32) bool {
	i, ok := slices.BinarySearch(s.members, sender)
	if !ok {
		return false
	}
	s.received[i] = true
	return !slices.Contains(s.received, false)
}

func (s *syncEngine) deliver(sender uint32, fn uint16, body []byte) {
	if len(body) < ringBytes {
		return
	}
	ring := RingID{Rep: binary.LittleEndian.Uint32(body), Seq: binary.LittleEndian.Uint64(body[4:])}
	if !s.active || ring != s.ring {
		return // for an old ring
	}
	body = body[ringBytes:]
	switch {
	case fn == fnServiceBuild && s.phase == phaseBuild:
		s.onBuild(sender, body)
	case fn == fnBarrier && s.phase == phaseProcess && len(body) >= 2:
		if binary.LittleEndian.Uint16(body) != s.list[s.idx] {
			return
		}
		if s.mark(sender) {
			s.activate()
		}
	}
}

func (s *syncEngine) onBuild(sender uint32, body []byte) {
	if len(body) < 2 {
		return
	}
	n := int(binary.LittleEndian.Uint16(body))
	if n > maxSyncServices || len(body) < 2+2*n {
		return
	}
	for i := range n {
		id := binary.LittleEndian.Uint16(body[2+2*i:])
		if !slices.Contains(s.list, id) {
			// A service another node has: synchronised here as a no-op.
			s.list = append(s.list, id)
			slices.Sort(s.list)
		}
	}
	if s.mark(sender) {
		s.enterProcess()
	}
}

func (s *syncEngine) enterProcess() {
	clear(s.received)
	if s.idx >= len(s.list) {
		s.complete()
		return
	}
	s.phase = phaseProcess
	s.processDone, s.barrierOwed = false, false
	s.nextProcessNs = 0
	s.step(s.h.cfg.Now())
}

// step calls the current service's SyncProcess if it is due.
func (s *syncEngine) step(now int64) int {
	if s.processDone {
		if s.barrierOwed {
			s.sendBarrier()
			return 1
		}
		return 0
	}
	if now < s.nextProcessNs {
		return 0
	}
	done := true
	if sy, ok := s.syncer(s.list[s.idx]); ok {
		done = sy.SyncProcess()
	}
	if !done {
		s.nextProcessNs = now + processGapNs
		return 1
	}
	s.processDone, s.barrierOwed = true, true
	s.sendBarrier()
	return 1
}

func (s *syncEngine) activate() {
	if sy, ok := s.syncer(s.list[s.idx]); ok {
		sy.SyncActivate()
	}
	s.idx++
	s.enterProcess()
}

func (s *syncEngine) complete() {
	s.phase = phaseIdle
	s.active = false
	s.completed++
	if s.h.cfg.Synced != nil {
		s.h.cfg.Synced(s.ring, s.members)
	}
}

// poll sends what could not be queued and runs the due SyncProcess.
func (s *syncEngine) poll(now int64) int {
	switch s.phase {
	case phaseBuild:
		if s.buildOwed {
			s.sendBuild()
			return 1
		}
	case phaseProcess:
		return s.step(now)
	}
	return 0
}
