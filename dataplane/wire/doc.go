// Package wire owns the byte layout of the six totem SRP messages as corosync
// 3.1.7 sends them with `transport: udpu`: orf_token, mcast,
// memb_merge_detect, memb_join, memb_commit_token and token_hold_cancel.
//
// Each frame is a packed C struct (no padding) in the sender's native byte
// order, with no transport header and no crypto. The byte order of a frame
// is recognised from its magic (0xC070), and Header.BigEndian records it so
// that a decoded frame re-encodes byte-for-byte; new frames are written
// little-endian unless the caller asks otherwise.
//
// The package checks only what memory safety and an exact re-encode need:
// lengths, counts against corosync's limits, magic, version and type. It does
// not interpret fields (sortedness of node lists, ring id rules and so on
// belong to the SRP state machine), and it treats an mcast payload as opaque
// bytes: payloads are never byte-swapped here.
//
// Decoders never panic on hostile input, validate every count before reading
// the data it describes, and on the success path allocate nothing: they
// reuse the capacity of the destination's slices, and Mcast.Payload aliases
// the input frame. Encoders write into a caller-supplied buffer and never
// allocate.
package wire
