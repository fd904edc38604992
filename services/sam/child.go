package sam

import (
	"bufio"
	"errors"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/gorosync/gorosync/services/cserror"
	"golang.org/x/sys/unix"
)

// envChild marks a process the supervisor started: its value is the
// supervisor's pid. The pipes are descriptors childCmdFd (commands to the
// supervisor) and childMsgFd (the hello and replies from it).
const (
	envChild   = "GOROSYNC_SAM_CHILD"
	childCmdFd = 3
	childMsgFd = 4
)

// helloTimeout bounds the wait for the supervisor's first message.
const helloTimeout = 10 * time.Second

// childLink is a child's pipe pair to its supervisor.
type childLink struct {
	cmd *os.File // to the supervisor

	msgFile *os.File // from the supervisor
	msg     *bufio.Reader

	wmu sync.Mutex // one frame at a time on cmd (the callback loop writes too)
	cmu sync.Mutex // one request/reply exchange at a time
}

// adoptChildFromEnv runs at package init, before main can start
// processes: it takes the marker out of the environment (grandchildren
// must not believe they are SAM children) and makes the pipes
// close-on-exec (a grandchild holding the command pipe would hide the
// child's death from the supervisor). A marker whose pid is not our
// parent's is ignored, and descriptors 3 and 4 are left alone.
func adoptChildFromEnv() *childLink {
	v, ok := os.LookupEnv(envChild)
	if !ok {
		return nil
	}
	_ = os.Unsetenv(envChild)
	ppid, err := strconv.Atoi(v)
	if err != nil || ppid != os.Getppid() || !isPipe(childCmdFd) || !isPipe(childMsgFd) {
		return nil
	}
	for _, fd := range []int{childCmdFd, childMsgFd} {
		unix.CloseOnExec(fd)
		// Non-blocking descriptors get Go's poller: reads take deadlines.
		_ = unix.SetNonblock(fd, true)
	}
	return newChildLink(os.NewFile(childCmdFd, "sam-cmd"), os.NewFile(childMsgFd, "sam-msg"))
}

func newChildLink(cmd, msg *os.File) *childLink {
	return &childLink{cmd: cmd, msgFile: msg, msg: bufio.NewReader(msg)}
}

func isPipe(fd int) bool {
	var st unix.Stat_t
	return unix.Fstat(fd, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFIFO
}

// send writes one command frame; a broken pipe (the supervisor is gone)
// is CS_ERR_LIBRARY, as libsam's failed write.
func (c *childLink) send(kind uint32, body ...[]byte) error {
	b := appendFrame(nil, kind, body...)
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if _, err := c.cmd.Write(b); err != nil {
		return cserror.ErrLibrary
	}
	return nil
}

// call sends a command that the supervisor answers and waits for the
// answer, without a bound: START waits for quorum.
func (c *childLink) call(kind uint32, body ...[]byte) error {
	c.cmu.Lock()
	defer c.cmu.Unlock()
	if err := c.send(kind, body...); err != nil {
		return err
	}
	f, err := readFrame(c.msg, false)
	if err != nil || f.kind != msgReply {
		return cserror.ErrLibrary
	}
	e, err := decodeReply(f.body)
	if err != nil {
		return cserror.ErrLibrary
	}
	return fromCode(e)
}

// hello reads the supervisor's first message, within helloTimeout.
func (c *childLink) hello() (hello, error) {
	c.cmu.Lock()
	defer c.cmu.Unlock()
	_ = c.msgFile.SetReadDeadline(time.Now().Add(helloTimeout))
	defer c.msgFile.SetReadDeadline(time.Time{})
	f, err := readFrame(c.msg, false)
	if err != nil {
		return hello{}, err
	}
	if f.kind != msgHello {
		return hello{}, errors.New("sam: first message from the supervisor is not a hello")
	}
	return decodeHello(f.body)
}
