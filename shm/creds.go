package shm

import (
	"encoding/binary"

	"golang.org/x/sys/unix"
)

// ucred is a peer's process credentials (struct ucred).
type ucred struct {
	pid, uid, gid uint32
}

// peerCred reads SO_PEERCRED: the credentials the client had when it
// called connect().
func peerCred(fd int) (ucred, error) {
	u, err := unix.GetsockoptUcred(fd, unix.SOL_SOCKET, unix.SO_PEERCRED)
	if err != nil {
		return ucred{}, err
	}
	return ucred{pid: uint32(u.Pid), uid: u.Uid, gid: u.Gid}, nil
}

// cmsgHdrLen is sizeof(struct cmsghdr) on 64-bit Linux: len uint64,
// level int32, type int32.
const cmsgHdrLen = 16

// credOOBSize is CMSG_SPACE(sizeof(struct ucred)).
var credOOBSize = unix.CmsgSpace(unix.SizeofUcred)

// credsFromOOB finds an SCM_CREDENTIALS message in a recvmsg control
// buffer (as the kernel attaches it when SO_PASSCRED is set) without
// allocating.
func credsFromOOB(oob []byte) (ucred, bool) {
	le := binary.LittleEndian
	for len(oob) >= cmsgHdrLen {
		l := le.Uint64(oob[0:])
		if l < cmsgHdrLen || l > uint64(len(oob)) {
			return ucred{}, false
		}
		level := int32(le.Uint32(oob[8:]))
		typ := int32(le.Uint32(oob[12:]))
		if level == unix.SOL_SOCKET && typ == unix.SCM_CREDENTIALS && l >= cmsgHdrLen+unix.SizeofUcred {
			d := oob[cmsgHdrLen:]
			return ucred{pid: le.Uint32(d[0:]), uid: le.Uint32(d[4:]), gid: le.Uint32(d[8:])}, true
		}
		step := (l + 7) &^ 7 // CMSG_ALIGN
		if step > uint64(len(oob)) {
			break
		}
		oob = oob[step:]
	}
	return ucred{}, false
}
