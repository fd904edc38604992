package udp

import (
	"errors"
	"net/netip"

	"github.com/gorosync/gorosync/dataplane/transport"
)

// Errors Send and Recv return. They are values, never wrapped on the hot
// path, so returning one allocates nothing; compare with errors.Is.
var (
	// ErrFrameTooBig: Send was given a frame longer than the MTU. The
	// frame is not sent; the rest of the batch is.
	ErrFrameTooBig = errors.New("udp: frame larger than the MTU")
	// ErrUnknownPeer: Send was given a node id not in Peers. The frame is
	// not sent; the rest of the batch is.
	ErrUnknownPeer = errors.New("udp: unknown destination node id")
	// ErrNoBuffers: Recv found every pool buffer lent out; Release some.
	ErrNoBuffers = errors.New("udp: receive pool exhausted (frames not released)")
	// ErrUnsupported: New on a platform without recvmmsg/sendmmsg.
	ErrUnsupported = errors.New("udp: transport needs Linux (recvmmsg/sendmmsg)")
)

// Transport is one udpu link. It implements transport.Transport.
type Transport struct {
	mtu   int
	batch int
	block bool // BlockUnlisted
	// gso: runs of equal frames go as one message (UDP GSO); off when
	// Config.NoGSO, the kernel lacks it, or the path refused it once.
	gso         bool
	gsoMaxBytes int // a UDP payload: the most one GSO message carries
	local       netip.AddrPort
	peers       peerTable
	pool        pool
	tally       Stats // this call's counts, flushed into stats once per call
	stats       counters
	sys         sysState // the socket and the kernel-facing arrays
}

var _ transport.Transport = (*Transport)(nil)

// New opens and binds the link's socket and allocates everything the hot
// path will use.
func New(cfg Config) (*Transport, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	peers, err := newPeerTable(cfg)
	if err != nil {
		return nil, err
	}
	t := &Transport{
		mtu:   cfg.MTU,
		batch: cfg.Batch,
		block: cfg.BlockUnlisted,
		local: cfg.Local,
		peers: peers,
		pool:  newPool(cfg.RecvBuffers, cfg.MTU),
	}
	if err := t.sys.open(t, cfg); err != nil {
		return nil, err
	}
	return t, nil
}

// MTU is the largest frame the link carries.
func (t *Transport) MTU() int { return t.mtu }

// LocalAddr is the address the socket is bound to (with the port the
// kernel chose if Config.Local had port 0).
func (t *Transport) LocalAddr() netip.AddrPort { return t.local }

// Stats returns the link's counters. Safe from any goroutine.
func (t *Transport) Stats() Stats { return t.stats.load() }

// Release gives received frames back to the pool and clears them, so a
// stale Received cannot release a buffer twice. A frame that does not hold
// a buffer of this transport is counted as an error and skipped.
func (t *Transport) Release(frames []transport.Received) {
	for i := range frames {
		f := &frames[i]
		if !t.pool.put(f.Handle() - 1) {
			t.tally.Errors++
		}
		f.Data = nil
		f.From = 0
		f.SetHandle(0)
	}
	t.stats.add(&t.tally)
}
