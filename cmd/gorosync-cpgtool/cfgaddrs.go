package main

import (
	"context"
	"encoding/binary"
	"net/netip"

	"github.com/gorosync/gorosync/shm/client"
)

// The one cfg request the tool makes, corosync_cfg_get_node_addrs, done
// here as libcfg does it (LIBQB_IPC_SPEC §5.2): GET_NODE_ADDRS (id 5, 24
// bytes, nodeid @16); the reply (id 11) carries the family @24, the count
// @28 and 16-byte addresses from @32. Like libcfg, an all-zero address
// comes back as unspecified (the listing skips it) and at most
// interfaceMax addresses are taken.

const (
	cfgService        = "cfg"
	reqGetNodeAddrs   = 5
	nodeAddrsResSize  = 32
	addrLen           = 16
	afInet, afInet6   = 2, 10
	interfaceMax      = 8
	csOK              = 1
	getNodeAddrsBytes = 24
)

// cfgConn is the tool's cfg connection.
type cfgConn struct {
	ipc  *client.Client
	resp []byte
}

func dialCfg(ctx context.Context) (*cfgConn, error) {
	ipc, err := client.Dial(ctx, cfgService, client.Options{})
	if err != nil {
		return nil, err
	}
	return &cfgConn{ipc: ipc, resp: make([]byte, ipc.MaxMsgSize())}, nil
}

func (c *cfgConn) Close() { c.ipc.Close() }

// nodeAddrs returns nodeid's addresses, or false when the call failed.
func (c *cfgConn) nodeAddrs(ctx context.Context, nodeid uint32) ([]netip.Addr, bool) {
	le := binary.LittleEndian
	req := make([]byte, getNodeAddrsBytes)
	le.PutUint32(req, reqGetNodeAddrs)
	le.PutUint32(req[8:], getNodeAddrsBytes)
	le.PutUint32(req[16:], nodeid)
	n, err := c.ipc.Request(ctx, req, c.resp)
	if err != nil || n < nodeAddrsResSize {
		return nil, false
	}
	b := c.resp[:n]
	if le.Uint32(b[16:]) != csOK {
		return nil, false
	}
	fam, count := le.Uint32(b[24:]), int(le.Uint32(b[28:]))
	var out []netip.Addr
	for i := 0; i < count && i < interfaceMax && nodeAddrsResSize+(i+1)*addrLen <= n; i++ {
		raw := b[nodeAddrsResSize+i*addrLen:][:addrLen]
		switch fam {
		case afInet:
			a := netip.AddrFrom4([4]byte(raw[:4]))
			if allZero(raw) {
				a = netip.IPv4Unspecified()
			}
			out = append(out, a)
		case afInet6:
			out = append(out, netip.AddrFrom16([16]byte(raw)))
		default:
			out = append(out, netip.Addr{}) // no family: printed as nothing
		}
	}
	return out, true
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
