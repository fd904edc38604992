//go:build linux

package link

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// newPoller returns an epoll descriptor, level-triggered for input on
// every descriptor of fds (-1s skipped), so that it is readable while any
// link has work.
func newPoller(fds []int) (int, error) {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return -1, fmt.Errorf("link: epoll_create1: %w", err)
	}
	for _, fd := range fds {
		if fd < 0 {
			continue
		}
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}
		if err := unix.EpollCtl(ep, unix.EPOLL_CTL_ADD, fd, &ev); err != nil && !errors.Is(err, unix.EEXIST) {
			_ = unix.Close(ep)
			return -1, fmt.Errorf("link: epoll_ctl add %d: %w", fd, err)
		}
	}
	return ep, nil
}

func closePoller(fd int) error {
	if err := unix.Close(fd); err != nil {
		return fmt.Errorf("link: close epoll: %w", err)
	}
	return nil
}
