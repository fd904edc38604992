package link

import (
	"errors"
	"sync/atomic"

	"github.com/gorosync/gorosync/dataplane/link/crypto"
	"github.com/gorosync/gorosync/dataplane/transport"
)

// Secure wraps a transport so that every frame is sealed on the way out
// and opened on the way in (crypto_cipher / crypto_hash of corosync.conf).
// A frame that fails authentication is dropped and counted: a node with
// the wrong key never hears the ring, so it never joins it. Buffers are
// allocated once; Send and Recv allocate nothing.
type Secure struct {
	inner  transport.Transport
	sealer *crypto.Sealer
	out    []transport.Outgoing
	outBuf [][]byte
	in     []transport.Received
	inBuf  [][]byte
	mtu    int
	tally  SecureStats // this call's counts, added to stats once per call
	stats  struct{ sealed, opened, authFailures atomic.Uint64 }
}

// SecureStats count what authentication did.
type SecureStats struct {
	Sealed, Opened, AuthFailures uint64
}

// NewSecure wraps inner; batch is the largest batch Send and Recv handle.
func NewSecure(inner transport.Transport, sealer *crypto.Sealer, batch int) (*Secure, error) {
	mtu := inner.MTU() - sealer.Overhead()
	if mtu < 512 {
		return nil, errors.New("link: MTU too small for the crypto overhead")
	}
	s := &Secure{inner: inner, sealer: sealer, mtu: mtu,
		out: make([]transport.Outgoing, 0, batch), in: make([]transport.Received, batch)}
	for range batch {
		s.outBuf = append(s.outBuf, make([]byte, 0, inner.MTU()))
		s.inBuf = append(s.inBuf, make([]byte, 0, inner.MTU()))
	}
	return s, nil
}

// MTU is the largest plaintext frame: the wire MTU less the overhead.
func (s *Secure) MTU() int { return s.mtu }

// Fd is the inner transport's descriptor.
func (s *Secure) Fd() int { return s.inner.Fd() }

// Close closes the inner transport.
func (s *Secure) Close() error { return s.inner.Close() }

// Stats returns the authentication counters. Safe from any goroutine.
func (s *Secure) Stats() SecureStats {
	return SecureStats{Sealed: s.stats.sealed.Load(), Opened: s.stats.opened.Load(),
		AuthFailures: s.stats.authFailures.Load()}
}

// flush adds this call's counts to the shared counters.
func (s *Secure) flush() {
	if s.tally.Sealed != 0 {
		s.stats.sealed.Add(s.tally.Sealed)
	}
	if s.tally.Opened != 0 {
		s.stats.opened.Add(s.tally.Opened)
	}
	if s.tally.AuthFailures != 0 {
		s.stats.authFailures.Add(s.tally.AuthFailures)
	}
	s.tally = SecureStats{}
}

// Send seals every frame into the wrapper's buffers and sends the batch.
func (s *Secure) Send(frames []transport.Outgoing) error {
	defer s.flush()
	for len(frames) > 0 {
		n := min(len(frames), cap(s.out))
		s.out = s.out[:0]
		for i, f := range frames[:n] {
			sealed, err := s.sealer.Seal(s.outBuf[i][:0], f.Data)
			if err != nil {
				return err
			}
			s.out = append(s.out, transport.Outgoing{To: f.To, Data: sealed})
			s.tally.Sealed++
		}
		if err := s.inner.Send(s.out); err != nil {
			return err
		}
		frames = frames[n:]
	}
	return nil
}

// Recv receives a batch, opens each frame into the wrapper's buffers and
// hands up the authentic ones. The inner frames are released at once.
func (s *Secure) Recv(frames []transport.Received) (int, error) {
	n, err := s.inner.Recv(s.in[:min(len(frames), len(s.in))])
	if err != nil {
		return 0, err
	}
	k := 0
	for i := range n {
		opened, err := s.sealer.Open(s.inBuf[k][:0], s.in[i].Data)
		if err != nil {
			s.tally.AuthFailures++
			continue
		}
		frames[k] = transport.Received{Data: opened, From: s.in[i].From}
		s.tally.Opened++
		k++
	}
	s.inner.Release(s.in[:n])
	s.flush()
	return k, nil
}

// Release is a no-op: opened frames live in the wrapper's buffers until
// the next Recv.
func (s *Secure) Release([]transport.Received) {}
