// Package totempg is corosync's totempg layer, the part of the Totem stack
// that sits between the ordering protocol (totemsrp) and the service
// engines. It owns four things and nothing else:
//
//   - the packet format carried as the payload of one totem MCAST: an 8-byte
//     header, a table of u16 piece lengths, and the pieces back to back
//     (PacketHeader, ParsePacket, AppendPacket);
//   - the send side (Packer): several small application messages are packed
//     into one packet, and a message larger than the room left is split over
//     several packets chained by the fragmented/continuation counters;
//   - the receive side (Assembler): per originating node, pieces are
//     reassembled into whole application messages, with corosync's
//     continuation matching and throw-away mode reproduced exactly, quirks
//     included;
//   - the group header that prefixes every application message (the "a"
//     group for service engines, "sync" for the sync engine) and its parsing
//     without allocation (PutGroupHeader, SplitGroups, GroupHeader).
//
// The behaviour follows corosync 3.1.7 exec/totempg.c, restated in §5 of
// TOTEM_SPEC.md. Where corosync trusts its input (it would read past a
// buffer or abort) this package returns an error instead; every such spot
// says so in a comment.
//
// The package is pure: no goroutines, clocks or I/O. The Packer hands
// finished packets to a Sink (the SRP send queue); the Assembler hands
// complete messages to a callback. After warm-up neither allocates.
//
// Byte order: every multi-byte field of a packet and of a group header is in
// the sender's native order. The receiver learns from the totem MCAST header
// (an endianness-detecting magic) whether the sender was big-endian and
// passes that as a bool. Our own Packer always writes little-endian, as
// corosync does on x86. The fragmented and continuation fields are single
// bytes and need no conversion; version and type are never converted or
// checked by corosync, and are not checked here either.
package totempg
