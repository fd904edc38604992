package sam

import (
	"context"
	"time"

	"github.com/gorosync/gorosync/services/quorum"
	"github.com/gorosync/gorosync/services/quorum/quorumclient"
)

// dialTimeout bounds connecting to, and each request to, cmap and quorum.
const dialTimeout = 10 * time.Second

// quorumEvent is a verdict from the quorum service, or (err != 0) the
// end of the connection.
type quorumEvent struct {
	quorate bool
	err     Error
}

// quorumWatch is the supervisor's libquorum connection: tracking changes,
// its events forwarded on a channel by one goroutine.
type quorumWatch struct {
	c       *quorumclient.Client
	quorate bool // at Initialize
	events  chan quorumEvent
	cancel  context.CancelFunc
}

// dialQuorum connects, reads the verdict and starts tracking changes
// (sam_initialize with a QUORUM policy).
func dialQuorum(service string) (*quorumWatch, error) {
	ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
	defer cancel()
	c, err := quorumclient.Dial(ctx, quorumclient.Options{Service: service})
	if err != nil {
		return nil, toError(err)
	}
	q, err := c.Quorate(ctx)
	if err == nil {
		err = c.TrackStart(ctx, quorum.TrackChanges)
	}
	if err != nil {
		c.Close()
		return nil, toError(err)
	}
	return &quorumWatch{c: c, quorate: q, events: make(chan quorumEvent, 16)}, nil
}

// run forwards events until the connection ends (or close).
func (q *quorumWatch) run() {
	ctx, cancel := context.WithCancel(context.Background())
	q.cancel = cancel
	send := func(e quorumEvent) bool {
		select {
		case q.events <- e:
			return true
		case <-ctx.Done():
			return false
		}
	}
	go func() {
		for {
			ev, err := q.c.Event(ctx)
			if err != nil {
				send(quorumEvent{err: toError(err)})
				return
			}
			if ev.ID != quorum.ResNotification && ev.ID != quorum.ResV1Quorum {
				continue
			}
			if !send(quorumEvent{quorate: ev.Quorate}) {
				return
			}
		}
	}()
}

// close ends the connection (quorum_finalize).
func (q *quorumWatch) close() {
	if q.cancel != nil {
		q.cancel()
	}
	_ = q.c.Close()
}
