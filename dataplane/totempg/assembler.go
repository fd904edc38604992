package totempg

import "errors"

// ErrAssemblyOverflow: appending the packet would make a sender's assembly
// larger than MaxMessageSize plus one maximal packet. corosync asserts (the
// daemon aborts); we drop the packet and discard the sender's chain instead.
var ErrAssemblyOverflow = errors.New("totempg: reassembly exceeds the maximum message size")

// maxAssembly bounds one sender's assembly buffer: the longest legitimate
// content is a message prefix below MaxMessageSize plus one packet's data,
// and a packet's data is below 64 KiB.
const maxAssembly = MaxMessageSize + 1<<16

// minAssembly is the first allocation for a sender; it covers a whole
// default-MTU packet so small-message traffic never regrows.
const minAssembly = 4096

// assembly is one sender's reassembly state (corosync's struct assembly).
type assembly struct {
	buf       []byte // grows on demand up to maxAssembly, then reused
	index     int    // bytes of an incomplete message kept at buf[0:index]
	lastFrag  uint8  // fragmented value of the last accepted packet; 0 = none
	throwAway bool   // a chain was broken: discard until fragmented ∈ {0,1}
}

// reset is what returning an assembly to corosync's free pool amounts to:
// a later use starts at index 0, last_frag_num 0, throw-away off.
func (as *assembly) reset() {
	as.index, as.lastFrag, as.throwAway = 0, 0, false
}

// ensure makes buf at least n bytes long, keeping its contents.
func (as *assembly) ensure(n int) {
	if n <= len(as.buf) {
		return
	}
	size := max(n, 2*len(as.buf), minAssembly)
	size = min(size, maxAssembly)
	nb := make([]byte, size)
	copy(nb, as.buf)
	as.buf = nb
}

// Assembler is the receive side: it turns packets, in each sender's order,
// back into application messages. One Assembler serves a node; it keeps an
// assembly per originating node. It is not safe for concurrent use.
//
// corosync keeps two sets of assemblies, one used normally and one used
// while totemsrp's waiting_trans_ack is set, so that sync traffic after a
// configuration change is reassembled apart from older, half-received
// chains. SetWaitingTransAck selects the set; Forget clears both.
//
// Per packet, exactly as corosync's totempg_deliver_fn:
//   - the packet is validated (ParsePacket) and its data appended at the
//     sender's assembly index;
//   - in throw-away mode nothing is delivered; a packet with fragmented 0 or
//     1 ends throw-away mode (1 is what a sender uses when a chain starts
//     after a message was staged whole);
//   - otherwise, if continuation equals the assembly's last fragment number
//     (0 for a fresh assembly), every complete piece is delivered in order,
//     the first one prefixed by the kept partial message, and the last
//     fragment number becomes this packet's fragmented;
//   - otherwise (typically: the receiver never saw the beginning of the
//     chain) throw-away mode starts and nothing is delivered;
//   - fragmented 0 resets the assembly; otherwise the packet's last piece is
//     kept as the partial message.
//
// QUIRK (corosync's, kept on purpose so that every node delivers the same
// thing a corosync node would): a mismatching or throw-away packet delivers
// nothing at all, so complete small messages packed with the tail of a
// broken chain are lost at that receiver while receivers that saw the whole
// chain deliver them. Also kept: when throw-away mode ends on a fragmented
// packet, corosync keeps the bytes after the first piece (correct only if
// the packet has exactly two pieces) and leaves the last fragment number
// stale, and with a single piece it advances the index twice. The same
// index arithmetic is done here, bounded by the buffer.
type Assembler struct {
	sets  [2]map[uint32]*assembly // [0] normal, [1] while waiting_trans_ack
	trans bool
	free  []*assembly // forgotten assemblies, reused to avoid allocating
}

// NewAssembler returns an empty Assembler. Buffers are allocated per sender
// on first use.
func NewAssembler() *Assembler {
	return &Assembler{sets: [2]map[uint32]*assembly{{}, {}}}
}

// SetWaitingTransAck selects the assembly set, following totemsrp's
// waiting_trans_ack flag (corosync's totempg_waiting_trans_ack_cb).
func (a *Assembler) SetWaitingTransAck(waiting bool) { a.trans = waiting }

// Forget discards sender's assemblies in both sets. The node calls it for
// every node in a configuration change's left list.
func (a *Assembler) Forget(sender uint32) {
	for _, set := range a.sets {
		if as, ok := set[sender]; ok {
			as.reset()
			a.free = append(a.free, as)
			delete(set, sender)
		}
	}
}

// Reset discards every partial assembly of every sender (both sets). A
// node using a Resender calls it on each regular configuration change:
// any chain still incomplete then was begun in an earlier ring, and its
// sender sends the whole message again in the new one.
func (a *Assembler) Reset() {
	for _, set := range a.sets {
		for sender, as := range set {
			as.reset()
			a.free = append(a.free, as)
			delete(set, sender)
		}
	}
}

func (a *Assembler) get(sender uint32) *assembly {
	set := a.sets[0]
	if a.trans {
		set = a.sets[1]
	}
	if as, ok := set[sender]; ok {
		return as
	}
	var as *assembly
	if n := len(a.free); n > 0 {
		as = a.free[n-1]
		a.free = a.free[:n-1]
	} else {
		as = &assembly{}
	}
	set[sender] = as
	return as
}

// Packet processes one packet from sender, which must come in the order
// totemsrp delivers (agreed order is per-sender order). bigEndian tells the
// byte order of the sender (from the totem MCAST header). fn is called for
// each complete application message; msg still begins with the group header
// in the sender's byte order (see SplitGroups), aliases the Assembler's
// memory, is valid only during the call, and fn must not call back into the
// Assembler. A malformed packet returns an error, delivers nothing and
// leaves the sender's assembly untouched (as corosync ignores it).
func (a *Assembler) Packet(sender uint32, packet []byte, bigEndian bool, fn func(sender uint32, msg []byte)) error {
	pk, err := ParsePacket(packet, bigEndian)
	if err != nil {
		return err
	}
	as := a.get(sender)
	frag := pk.Header.Fragmented
	data := pk.Data()
	if as.index+len(data) > maxAssembly {
		as.index = 0
		if frag == 0 {
			as.reset()
		} else {
			as.throwAway = true
		}
		return ErrAssemblyOverflow
	}
	as.ensure(as.index + len(data))
	copy(as.buf[as.index:], data)

	count := pk.Count()
	complete := count // pieces that end a message
	if frag != 0 {
		complete = count - 1 // ParsePacket guarantees count >= 1 here
	}

	switch {
	case as.throwAway:
		if frag <= 1 {
			as.throwAway = false
			// corosync skips the first piece, as the tail of the broken
			// chain, and delivers nothing. With no pieces (only possible
			// when frag is 0) it reads a stray length, harmless because
			// the assembly is reset below; we skip that.
			if count > 0 {
				as.index += pk.Len(0)
			}
		}
	case pk.Header.Continuation == as.lastFrag:
		as.lastFrag = frag
		for i := 0; i < complete; i++ {
			l := pk.Len(i)
			start := as.index
			if i == 0 {
				start = 0 // the first piece completes the kept prefix
			}
			fn(sender, as.buf[start:as.index+l])
			as.index += l
		}
	default:
		as.throwAway = true
	}

	if frag == 0 {
		as.reset()
		return nil
	}
	// Keep the last piece, the head of a message continued in the next
	// packet. corosync moves it down only when the packet had more than
	// one piece; otherwise it just advances the index.
	tail := pk.Len(complete)
	if count > 1 {
		copy(as.buf, as.buf[as.index:as.index+tail])
		as.index = 0
	}
	as.index += tail
	return nil
}
