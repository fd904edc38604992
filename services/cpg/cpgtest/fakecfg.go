package cpgtest

import (
	"encoding/binary"
	"net/netip"

	"github.com/gorosync/gorosync/shm"
)

// FakeCfg is the part of the cfg service that corosync-cpgtool and
// gorosync-cpgtool use: GET_NODE_ADDRS (request 5, 24 bytes, nodeid @16;
// reply 11: family @24, count @28, 16-byte addresses from @32). Other
// requests get CS_ERR_INVALID_PARAM. Serve it as "cfg" only inside a
// private network namespace.
type FakeCfg struct {
	Local uint32                  // the node id 0 means
	Addrs map[uint32][]netip.Addr // IPv4 only, as a udpu cluster of IPv4 links
}

// Request implements shm.Handler.
func (f *FakeCfg) Request(c *shm.Conn, req []byte) {
	le := binary.LittleEndian
	if len(req) != 24 || int32(le.Uint32(req)) != 5 {
		b := make([]byte, 24)
		le.PutUint32(b[8:], 24)
		le.PutUint32(b[16:], 7) // CS_ERR_INVALID_PARAM
		_ = c.Respond(b)
		return
	}
	node := le.Uint32(req[16:])
	if node == 0 {
		node = f.Local
	}
	addrs, ok := f.Addrs[node]
	b := make([]byte, 32+16*len(addrs))
	le.PutUint32(b, 11)
	le.PutUint32(b[8:], uint32(len(b)))
	le.PutUint32(b[16:], 1)
	if !ok {
		le.PutUint32(b[16:], 12) // CS_ERR_NOT_EXIST
	}
	le.PutUint32(b[24:], 2) // AF_INET
	le.PutUint32(b[28:], uint32(len(addrs)))
	for i, a := range addrs {
		v4 := a.As4()
		copy(b[32+16*i:], v4[:])
	}
	_ = c.Respond(b)
}

// Disconnected implements shm.Handler.
func (f *FakeCfg) Disconnected(*shm.Conn) {}
