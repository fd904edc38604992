package totempg

import (
	"encoding/binary"
	"errors"
)

// MaxMessageSize is the largest application message, group header
// included, that the Packer accepts: corosync's MESSAGE_SIZE_MAX (1 MiB).
const MaxMessageSize = 1 << 20

// Packet size bounds accepted by NewPacker. PacketSize must leave room for
// corosync's send-queue estimate (it divides by PacketSize-16) and keep
// every piece length within a u16.
const (
	MinPacketSize = 32
	MaxPacketSize = 0xffff - PacketHeaderSize
)

// maxIovecs is corosync's MAX_IOVECS_FROM_APP: the most payload pieces one
// send may pass.
const maxIovecs = 32

// totemMcastHeaderSize is the size of totemsrp's packed MCAST header; the
// reduced net_mtu leaves room for two of them (a recovery re-broadcast
// nests one frame in another).
const totemMcastHeaderSize = 45

var (
	// ErrTryAgain: the SRP send queue has too few free slots for the
	// packets this message may need. Nothing was changed; retry later
	// (corosync answers CS_ERR_TRY_AGAIN).
	ErrTryAgain = errors.New("totempg: send queue full, try again")
	// ErrTooLarge: the message (group header included) exceeds
	// MaxMessageSize, or a field would not fit its u16.
	ErrTooLarge = errors.New("totempg: message too large")
	// ErrTooManyIovecs: more than 32 payload pieces given to Mcastv.
	ErrTooManyIovecs = errors.New("totempg: more than 32 payload pieces")
	// ErrBadConfig: PackerConfig out of range or without a Sink.
	ErrBadConfig = errors.New("totempg: bad packer configuration")
)

// Sink is where the Packer hands finished packets: the SRP send queue.
type Sink interface {
	// SubmitPacket queues one totempg packet for multicast. It must copy
	// packet: the Packer reuses the memory as soon as the call returns.
	// safe is true when the packet carries at least one message sent with
	// the safe guarantee (corosync ignores the guarantee; see §2.8).
	SubmitPacket(packet []byte, safe bool) error
	// Avail is the number of free packet slots in the send queue.
	Avail() int
	// Signal is called once for every application message accepted, as
	// corosync's totempg calls totemsrp_event_signal: it is how a message
	// still staged in the packing buffer wakes an idle ring (the SRP sends a
	// token hold cancel) instead of waiting out the hold period.
	Signal()
}

// PackerConfig configures a Packer.
type PackerConfig struct {
	// PacketSize is corosync's TOTEMPG_PACKET_SIZE: the room for the
	// length table plus the pieces in one packet. A submitted packet is at
	// most PacketHeaderSize+PacketSize bytes, i.e. the reduced net_mtu.
	// Use PacketSizeForNetMTU(1500) = 1402 for udp/udpu defaults.
	PacketSize int
	Sink       Sink
}

// PacketSizeForNetMTU is corosync 3.1.7's TOTEMPG_PACKET_SIZE for a
// totem.netmtu value (1500 by default for udp and udpu): net_mtu is first
// reduced by two totemsrp MCAST headers (2×45), then the 8-byte totempg
// header is taken off. 3.1.7 never applies the transport's own UDP/IP
// adjustment (totemnet_net_mtu_adjust has no caller), so 1500 gives 1402.
func PacketSizeForNetMTU(netMTU int) int {
	return netMTU - 2*totemMcastHeaderSize - PacketHeaderSize
}

// packState is what survives between sends, mirroring corosync's static
// variables of the same purpose.
type packState struct {
	fsize    int   // staged piece bytes (fragment_size)
	count    int   // staged pieces, the last possibly a message head (mcast_packed_msg_count)
	nextFrag uint8 // next fragment number to hand out, cycling 1..255 (next_fragment)
	cont     uint8 // continuation value for the next packet (fragment_continuation)
	safe     bool  // a staged piece belongs to a safe message
}

// Packer is the send side: it packs application messages into packets and
// submits them to a Sink. It is not safe for concurrent use.
//
// It reproduces corosync's mcast_msg exactly, so for the same sequence of
// sends and flushes it emits the same packets corosync would (little-endian):
//
//   - A message is presented as corosync presents it: an iovec holding the
//     group count and lengths, one iovec per group name, then the payload
//     iovec(s); empty iovecs are skipped.
//   - An iovec is staged whole when its FULL length plus the staged bytes is
//     strictly less than the free room minus 2 (the room for one more length
//     entry). For the remainder of a split iovec the test still uses the full
//     length, so the tail of a large message is usually sent at once rather
//     than staged.
//   - Otherwise as much as fits is copied, the packet is closed and
//     submitted. If the message is not finished, the packet's fragmented field
//     takes the next fragment number and the following packet's continuation
//     repeats it. Staging any iovec whole resets the fragment counter to 1, so
//     most chains use 1.
//   - Staged pieces wait for Flush, which the node calls on TOKEN_RECEIVED.
type Packer struct {
	sink Sink
	size int
	// buf holds packets as they are built: the pieces are staged at
	// dataOff; at submit time the length table and header are written
	// immediately before them, so a packet is handed over without copying
	// the data again.
	buf     []byte
	dataOff int
	lens    []uint16 // lengths of the staged pieces
	st      packState
	ghdr    [2 * (MaxGroups + 1)]byte // the group count+lengths iovec
}

// NewPacker allocates the Packer's staging memory; nothing is allocated
// afterwards.
func NewPacker(cfg PackerConfig) (*Packer, error) {
	if cfg.Sink == nil || cfg.PacketSize < MinPacketSize || cfg.PacketSize > MaxPacketSize {
		return nil, ErrBadConfig
	}
	// The length table never exceeds PacketSize bytes, so reserving that
	// much (plus the header) before the staged data always leaves room.
	return &Packer{
		sink:    cfg.Sink,
		size:    cfg.PacketSize,
		buf:     make([]byte, PacketHeaderSize+2*cfg.PacketSize),
		dataOff: PacketHeaderSize + cfg.PacketSize,
		lens:    make([]uint16, cfg.PacketSize/2+1),
		st:      packState{nextFrag: 1},
	}, nil
}

// PacketSize is the configured TOTEMPG_PACKET_SIZE.
func (p *Packer) PacketSize() int { return p.size }

// Pending reports whether staged pieces wait for Flush.
func (p *Packer) Pending() bool { return p.st.count > 0 }

// message is one send's iovec list, viewed without building a slice:
// [group count+lengths] [group names...] [payload iovecs...].
type message struct {
	ghdr    []byte
	groups  [][]byte
	iov     [][]byte // used when single is false
	payload []byte   // used when single is true
	single  bool
}

func (m *message) parts() int {
	if m.single {
		return 2 + len(m.groups)
	}
	return 1 + len(m.groups) + len(m.iov)
}

func (m *message) part(i int) []byte {
	switch {
	case i == 0:
		return m.ghdr
	case i <= len(m.groups):
		return m.groups[i-1]
	case m.single:
		return m.payload
	default:
		return m.iov[i-1-len(m.groups)]
	}
}

// Mcast sends one application message: the group header for groups
// followed by payload. See Packer for how it is packed. Before changing
// anything it checks the message size and that the Sink has room for every
// packet the message can cause; otherwise ErrTooLarge or ErrTryAgain and
// nothing changed.
func (p *Packer) Mcast(groups [][]byte, payload []byte, safe bool) error {
	m := message{groups: groups, payload: payload, single: true}
	return p.send(&m, safe)
}

// Mcastv is Mcast with the payload in up to 32 pieces (iovecs), packed as
// corosync packs an iovec list. If the Sink fails part-way (it should not,
// Avail having been checked), Mcast and Mcastv return its error with the
// message partly sent and the staged pieces dropped; receivers discard the
// broken chain.
func (p *Packer) Mcastv(groups [][]byte, iov [][]byte, safe bool) error {
	if len(iov) > maxIovecs {
		return ErrTooManyIovecs
	}
	m := message{groups: groups, iov: iov}
	return p.send(&m, safe)
}

func (p *Packer) send(m *message, safe bool) error {
	if err := checkGroups(m.groups); err != nil {
		return err
	}
	m.ghdr = p.ghdr[:putGroupLens(p.ghdr[:], m.groups, false)]
	total := 0
	for i, n := 0, m.parts(); i < n; i++ {
		total += len(m.part(i))
	}
	if total > MaxMessageSize {
		return ErrTooLarge
	}
	return p.admitAndPack(m, total, safe)
}

// admitAndPack packs m if the Sink has room for every packet it can cause.
func (p *Packer) admitAndPack(m *message, total int, safe bool) error {
	// corosync's admission estimate, byte_count / (net_mtu - 24) + 1, can
	// undercount (a split tail is sent rather than staged); the dry run
	// gives the exact number. Require both, which is never less than
	// corosync requires.
	need := (total+2*p.st.count)/(p.size-16) + 1
	if exact, _ := p.pack(m, safe, false); exact > need {
		need = exact
	}
	if p.sink.Avail() < need {
		return ErrTryAgain
	}
	if _, err := p.pack(m, safe, true); err != nil {
		return err
	}
	p.sink.Signal()
	return nil
}

// pack runs corosync's packing loop over m. With send false it only counts
// the packets that would be submitted and changes nothing; with send true
// it copies, submits and commits the new state. Both modes share the code
// so that the admission count is exact by construction.
func (p *Packer) pack(m *message, safe, send bool) (submits int, err error) {
	st := p.st
	n := m.parts()
	last := -1 // index of the last non-empty iovec; corosync drops empty ones
	for i := 0; i < n; i++ {
		if len(m.part(i)) > 0 {
			last = i
		}
	}
	room := p.size - 2*(st.count+1) // piece bytes that fit with one more length entry
	cur := 0                        // bytes of this message in the current packet
	base := 0                       // bytes of iovec i already consumed
	for i := 0; i < n; {
		part := m.part(i)
		if len(part) == 0 {
			i++
			continue
		}
		if len(part)+st.fsize < room-2 {
			// Fits with room to spare: stage it.
			if send {
				copy(p.buf[p.dataOff+st.fsize:], part[base:])
			}
			st.fsize += len(part) - base
			cur += len(part) - base
			st.nextFrag = 1
			base = 0
			i++
			continue
		}
		// Just fits or too big: fill the packet and submit it.
		chunk := min(len(part)-base, room-st.fsize)
		if send {
			copy(p.buf[p.dataOff+st.fsize:], part[base:base+chunk])
		}
		cur += chunk
		cont := st.cont
		var frag uint8
		if i < last || base+chunk < len(part) {
			if st.nextFrag == 0 { // 255 wrapped: fragment numbers are never 0
				st.nextFrag = 1
			}
			frag = st.nextFrag
			st.cont = frag
			st.nextFrag++
		} else {
			st.cont = 0
		}
		submits++
		if send {
			p.lens[st.count] = uint16(cur)
			if err := p.submit(frag, cont, st.count+1, st.fsize+chunk, st.safe || safe); err != nil {
				p.abandon()
				return submits, err
			}
		}
		st.count, st.fsize, cur, st.safe = 0, 0, 0, false
		room = p.size - 2
		if base+chunk == len(part) {
			base = 0
			i++
		} else {
			base += chunk
		}
	}
	if cur != 0 {
		if send {
			p.lens[st.count] = uint16(cur)
		}
		st.count++
		st.safe = st.safe || safe
	}
	if send {
		p.st = st
	}
	return submits, nil
}

// Flush submits the staged pieces as one packet with fragmented = 0. The
// node calls it on TOKEN_RECEIVED. With nothing staged it does nothing. If
// the Sink has no free slot it leaves everything staged and returns
// ErrTryAgain (corosync silently waits for the next token). If the Sink
// returns an error, the staged pieces are dropped and the error returned.
func (p *Packer) Flush() error {
	if p.st.count == 0 {
		return nil
	}
	if p.sink.Avail() == 0 {
		return ErrTryAgain
	}
	err := p.submit(0, p.st.cont, p.st.count, p.st.fsize, p.st.safe)
	p.st.cont = 0
	p.st.count, p.st.fsize, p.st.safe = 0, 0, false
	return err
}

// submit writes the header and length table in front of the staged data
// and hands the packet to the Sink.
func (p *Packer) submit(frag, cont uint8, count, dataLen int, safe bool) error {
	start := p.dataOff - 2*count - PacketHeaderSize
	b := p.buf[start : p.dataOff+dataLen]
	PutPacketHeader(b, PacketHeader{Fragmented: frag, Continuation: cont, MsgCount: uint16(count)}, false)
	for i, l := range p.lens[:count] {
		binary.LittleEndian.PutUint16(b[PacketHeaderSize+2*i:], l)
	}
	return p.sink.SubmitPacket(b, safe)
}

// Reset drops everything staged and starts the next packet afresh (no
// continuation): the Resender calls it when a configuration change cut a
// chain, before it sends the cut messages again.
func (p *Packer) Reset() {
	p.abandon()
	p.st.nextFrag = 1
}

// mcastRaw sends a message whose group header is already in front of its
// payload (a message the Resender kept): one iovec, packed as corosync
// packs one.
func (p *Packer) mcastRaw(msg []byte, safe bool) error {
	m := message{payload: msg, single: true}
	return p.admitAndPack(&m, len(msg), safe)
}

// abandon drops everything staged after the Sink refused a packet in the
// middle of a message (it should not, since Avail was checked). Clearing
// the continuation makes receivers see a broken chain and discard the
// partial message (throw-away mode) instead of splicing the next message
// onto it.
func (p *Packer) abandon() {
	p.st.count, p.st.fsize, p.st.cont, p.st.safe = 0, 0, 0, false
}
