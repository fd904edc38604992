package shm

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// ForceFilesystemSocketsPath is the file whose existence makes libqb (both
// client and server) use filesystem listening sockets SocketDir/<name>
// instead of abstract ones (spec §1.1). A variable so tests can point it
// elsewhere; read once by Server.Start.
var ForceFilesystemSocketsPath = "/etc/libqb/force-filesystem-sockets"

// SocketDir is libqb's compiled-in SOCKETDIR for filesystem sockets: "/tmp"
// in Debian's libqb 2.0.6-2 build.
var SocketDir = "/tmp"

const (
	listenBacklog = 128
	sunPathLen    = 108 // sizeof(sockaddr_un.sun_path)
)

// abstractAddr is libqb's abstract address for name: a NUL, the name, NULs
// up to the full 108-byte sun_path, used with length 110 =
// sizeof(struct sockaddr_un). (Go's "@name" would be a different, shorter
// name, and x/sys/unix cannot express the full length.)
type abstractAddr struct {
	raw unix.RawSockaddrUnix
}

func newAbstractAddr(name string) (*abstractAddr, error) {
	if len(name) == 0 || len(name) > sunPathLen-1 || strings.IndexByte(name, 0) >= 0 {
		return nil, fmt.Errorf("shm: abstract socket name %q: want 1..%d bytes, no NUL", name, sunPathLen-1)
	}
	a := &abstractAddr{}
	a.raw.Family = unix.AF_UNIX
	for i := 0; i < len(name); i++ {
		a.raw.Path[1+i] = int8(name[i])
	}
	return a, nil
}

// bind binds fd to the address.
func (a *abstractAddr) bind(fd int) error { return a.call(unix.SYS_BIND, fd) }

// connect connects fd to the address.
func (a *abstractAddr) connect(fd int) error { return a.call(unix.SYS_CONNECT, fd) }

func (a *abstractAddr) call(trap uintptr, fd int) error {
	_, _, e := unix.Syscall(trap, uintptr(fd), uintptr(unsafe.Pointer(&a.raw)), unix.SizeofSockaddrUnix)
	if e != 0 {
		return e
	}
	return nil
}

// forceFilesystemSockets reports whether libqb clients on this machine
// use filesystem sockets.
func forceFilesystemSockets() bool {
	_, err := os.Stat(ForceFilesystemSocketsPath)
	return err == nil
}

// listener is one service's listening stream socket.
type listener struct {
	fd   int
	svc  int
	path string // filesystem socket to unlink on close; "" for abstract
}

// listen binds and listens on the service's setup socket: non-blocking,
// close-on-exec, SO_PASSCRED, backlog 128.
func listen(name string, svc int, filesystem bool) (*listener, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, wrapErrno("socket", err)
	}
	l := &listener{fd: fd, svc: svc}
	if filesystem {
		l.path = filepath.Join(SocketDir, name)
		if len(l.path) >= sunPathLen {
			unix.Close(fd)
			return nil, fmt.Errorf("shm: socket path %q too long", l.path)
		}
		_ = unix.Unlink(l.path) // a stale socket of an earlier run, as libqb does
		err = unix.Bind(fd, &unix.SockaddrUnix{Name: l.path})
	} else {
		var a *abstractAddr
		if a, err = newAbstractAddr(name); err == nil {
			err = a.bind(fd)
		}
	}
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("shm: bind %q: %w (is another corosync running?)", name, err)
	}
	if filesystem {
		_ = unix.Chmod(l.path, 0o777) // the handshake checks credentials, as libqb
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_PASSCRED, 1)
	if err := unix.Listen(fd, listenBacklog); err != nil {
		l.close()
		return nil, wrapErrno("listen "+name, err)
	}
	return l, nil
}

func (l *listener) close() {
	if l.fd >= 0 {
		_ = unix.Shutdown(l.fd, unix.SHUT_RDWR)
		unix.Close(l.fd)
		l.fd = -1
	}
	if l.path != "" {
		_ = unix.Unlink(l.path)
	}
}
