// Package sim is the deterministic cluster simulator: whole totem rings of
// 2 to 16 nodes in one process, on virtual time, over a network that loses,
// duplicates, delays and reorders frames per link. Everything random comes
// from one seeded generator and every tie is broken by insertion order, so a
// seed replays a run exactly (TigerBeetle's VOPR is the model). Each node is
// the real stack: totempg packing above the totem state machine, frames
// encoded and decoded by the wire codec. The EVS oracle checks every run.
package sim
