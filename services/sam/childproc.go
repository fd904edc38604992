package sam

import (
	"bufio"
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

// selfExe is what a child runs: this very binary, even if its file was
// replaced or removed since.
const selfExe = "/proc/self/exe"

// childProc is one running instance seen from the supervisor: its
// process, a goroutine reading its commands and one writing to it (so a
// child that does not read cannot block the supervisor).
type childProc struct {
	cmd    *exec.Cmd
	frames chan frameResult // from the reader; the last one carries an error
	out    chan []byte      // to the writer
	done   chan struct{}    // closed once the child is reaped
	rd, wr *os.File         // the supervisor's ends of the pipes
}

type frameResult struct {
	f   frame
	err error
}

// startChild runs the binary again with the same arguments, environment
// (plus the marker) and standard descriptors, the pipes as descriptors 3
// and 4, and queues the hello.
func startChild(h hello) (*childProc, error) {
	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	msgR, msgW, err := os.Pipe()
	if err != nil {
		cmdR.Close()
		cmdW.Close()
		return nil, err
	}
	cmd := exec.Command(selfExe)
	cmd.Args = os.Args
	cmd.Env = append(os.Environ(), envChild+"="+strconv.Itoa(os.Getpid()))
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.ExtraFiles = []*os.File{cmdW, msgR} // descriptors 3 and 4
	err = cmd.Start()
	// The child has its copies; ours of its ends must go, or its death
	// would not end our reads.
	cmdW.Close()
	msgR.Close()
	if err != nil {
		cmdR.Close()
		msgW.Close()
		return nil, err
	}
	c := &childProc{cmd: cmd, frames: make(chan frameResult, 16), out: make(chan []byte, 16),
		done: make(chan struct{}), rd: cmdR, wr: msgW}
	go c.read()
	go c.write()
	c.send(h.frame())
	return c, nil
}

func (c *childProc) read() {
	br := bufio.NewReader(c.rd)
	for {
		f, err := readFrame(br, true)
		select {
		case c.frames <- frameResult{f, err}:
		case <-c.done:
			return
		}
		if err != nil {
			return
		}
	}
}

// write sends queued frames in order; after a failed write (the child is
// gone) it discards the rest until the child is reaped.
func (c *childProc) write() {
	ok := true
	for {
		select {
		case b := <-c.out:
			if ok {
				_, err := c.wr.Write(b)
				ok = err == nil
			}
		case <-c.done:
			return
		}
	}
}

func (c *childProc) send(b []byte) {
	select {
	case c.out <- b:
	case <-c.done:
	}
}

func (c *childProc) signal(sig syscall.Signal) { _ = c.cmd.Process.Signal(sig) }

// wait reaps the child and returns the supervisor's exit status: the
// child's exit code, or 0 when a signal killed it (what WEXITSTATUS gives
// libsam for a signalled child).
func (c *childProc) wait() int {
	_ = c.cmd.Wait()
	close(c.done)
	c.rd.Close()
	c.wr.Close()
	ws, ok := c.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Exited() {
		return 0
	}
	return ws.ExitStatus()
}

func (c *childProc) pid() int { return c.cmd.Process.Pid }
