//go:build linux

package udp

import (
	"slices"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/gorosync/gorosync/dataplane/transport"
)

// fakeKernel replaces sendmmsg with a script: each step either passes
// through to the real call for at most take datagrams, or fails with errno.
type step struct {
	take  int
	errno unix.Errno
}

func script(t *testing.T, steps ...step) *int {
	calls := new(int)
	t.Cleanup(func() { sendmmsgFunc = sendmmsg })
	sendmmsgFunc = func(fd int, hdrs []unix.Mmsghdr) (int, unix.Errno) {
		i := *calls
		*calls++
		if i >= len(steps) {
			return sendmmsg(fd, hdrs)
		}
		s := steps[i]
		if s.errno != 0 {
			return 0, s.errno
		}
		return sendmmsg(fd, hdrs[:min(s.take, len(hdrs))])
	}
	return calls
}

func numbered(n int, to uint32) []transport.Outgoing {
	out := make([]transport.Outgoing, n)
	for i := range out {
		out[i] = transport.Outgoing{To: to, Data: []byte{byte(i)}}
	}
	return out
}

func datas(fs []got) []byte {
	var b []byte
	for _, f := range fs {
		b = append(b, f.Data...)
	}
	return b
}

// A short count resumes at the failed datagram; a network error drops just
// that one; EAGAIN drops the rest of the batch without more system calls.
// Without GSO, so that each frame is its own message.
func TestPartialSend(t *testing.T) {
	trs := cluster(t, loop3[:2], func(c *Config) { c.NoGSO = true })
	a, b := trs[0], trs[1]
	calls := script(t,
		step{take: 3},
		step{errno: unix.EHOSTUNREACH},
		step{take: 2},
		step{errno: unix.EAGAIN},
	)
	if err := a.Send(numbered(12, 2)); err != nil {
		t.Fatalf("Send: %v (loss is not an error)", err)
	}
	if *calls != 4 {
		t.Fatalf("%d sendmmsg calls, want 4", *calls)
	}
	fs, _ := recvN(t, b, 5)
	if want := []byte{0, 1, 2, 4, 5}; !slices.Equal(datas(fs), want) {
		t.Fatalf("received %v, want %v", datas(fs), want)
	}
	quiet(t, b)
	if s := a.Stats(); s.TxFrames != 5 || s.TxDropped != 7 || s.Errors != 1 {
		t.Fatalf("stats %+v", s)
	}

	// The next Send starts afresh.
	if err := a.Send(numbered(2, 2)); err != nil {
		t.Fatal(err)
	}
	if fs, _ := recvN(t, b, 2); !slices.Equal(datas(fs), []byte{0, 1}) {
		t.Fatalf("after congestion: %v", fs)
	}
}

// Congestion in the first of several flushes drops the whole batch after
// one system call.
func TestCongestionSkipsLaterFlushes(t *testing.T) {
	trs := cluster(t, loop3[:3], func(c *Config) { c.Batch = 4 })
	calls := script(t, step{errno: unix.EAGAIN})
	out := append(numbered(5, 2), transport.Outgoing{To: transport.Broadcast, Data: []byte("b")})
	if err := trs[0].Send(out); err != nil {
		t.Fatal(err)
	}
	if *calls != 1 {
		t.Fatalf("%d sendmmsg calls after EAGAIN, want 1", *calls)
	}
	if s := trs[0].Stats(); s.TxDropped != 7 || s.TxFrames != 0 {
		t.Fatalf("stats %+v", s)
	}
}

// A broken socket is the caller's to know about.
func TestSendFatalErrno(t *testing.T) {
	trs := cluster(t, loop3[:2], nil)
	script(t, step{errno: unix.EBADF})
	if err := trs[0].Send(numbered(3, 2)); err != unix.EBADF {
		t.Fatalf("Send: %v, want EBADF", err)
	}
	if s := trs[0].Stats(); s.TxDropped != 3 || s.Errors != 1 {
		t.Fatalf("stats %+v", s)
	}
}
