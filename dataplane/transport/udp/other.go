//go:build !linux

package udp

import "github.com/gorosync/gorosync/dataplane/transport"

// sysState is empty where there is no recvmmsg/sendmmsg: New fails, so the
// methods below are only reached on a Transport that was never opened.
type sysState struct{}

func (s *sysState) open(*Transport, Config) error { return ErrUnsupported }

// Recv fails: the transport is Linux-only.
func (t *Transport) Recv([]transport.Received) (int, error) { return 0, ErrUnsupported }

// Send fails: the transport is Linux-only.
func (t *Transport) Send([]transport.Outgoing) error { return ErrUnsupported }

// Fd is -1: there is no socket.
func (t *Transport) Fd() int { return -1 }

// Close reports the transport closed: it was never open.
func (t *Transport) Close() error { return transport.ErrClosed }
