package main

import (
	"context"
	"fmt"
	"time"

	"github.com/gorosync/gorosync/services/quorum"
	"github.com/gorosync/gorosync/services/votequorum"
)

// showStatus is -s: the verdict, the quorum service's view and
// votequorum's numbers; exit 0 quorate, 2 not, 1 on errors.
func (t *tool) showStatus(ctx context.Context) int {
	quorate, err := t.q.Quorate(ctx)
	if err != nil {
		fmt.Fprintf(t.err, "Unable to get cluster quorate status: %s\n", csError(err))
		return exitFailure
	}
	if err := t.q.TrackStart(ctx, quorum.TrackCurrent); err != nil {
		fmt.Fprintf(t.err, "Unable to start quorum status tracking: %s\n", csError(err))
		return exitFailure
	}
	if err := t.waitQuorumEvent(ctx); err != nil {
		fmt.Fprintf(t.err, "Unable to dispatch quorum status: %s\n", csError(err))
		return exitFailure
	}
	if err := t.q.TrackStop(ctx); err != nil {
		fmt.Fprintf(t.err, "Unable to stop quorum status tracking: %s\n", csError(err))
	}
	if t.usingVotequorum(ctx) {
		if err := t.vq.TrackStart(ctx, 0, votequorum.TrackCurrent); err != nil {
			fmt.Fprintf(t.err, "Unable to start votequorum status tracking: %s\n", csError(err))
			return exitFailure
		}
		if err := t.waitNodeListEvent(ctx); err != nil {
			fmt.Fprintf(t.err, "Unable to dispatch votequorum status: %s\n", csError(err))
			return exitFailure
		}
	}
	if err := t.display(ctx, quorate); err != nil {
		return exitFailure
	}
	if !quorate {
		return exitNotQuorate
	}
	return exitOK
}

// monitor is -m: the status again at every quorum notification (with
// votequorum, once its nodelist notification of the same sync came).
func (t *tool) monitor(ctx context.Context) int {
	if t.q.Type() == quorum.TypeFree {
		fmt.Fprint(t.out, "\nQuorum is not configured - cannot monitor\n")
		return t.showStatus(ctx)
	}
	if err := t.q.TrackStart(ctx, quorum.TrackChanges); err != nil {
		fmt.Fprintf(t.err, "Unable to start quorum status tracking: %s\n", csError(err))
		return exitFailure
	}
	vq := t.usingVotequorum(ctx)
	if vq {
		if err := t.vq.TrackStart(ctx, 0, votequorum.TrackChanges); err != nil {
			fmt.Fprintf(t.err, "Unable to start votequorum status tracking: %s\n", csError(err))
			return exitFailure
		}
	}
	for {
		if err := t.waitQuorumEvent(ctx); err != nil {
			if ctx.Err() == nil {
				fmt.Fprintf(t.err, "Unable to dispatch quorum status: %s\n", csError(err))
			}
			return exitFailure
		}
		if vq {
			if err := t.waitNodeListEvent(ctx); err != nil {
				if ctx.Err() == nil {
					fmt.Fprintf(t.err, "Unable to dispatch votequorum status: %s\n", csError(err))
				}
				return exitFailure
			}
		}
		err := t.display(ctx, t.quorate)
		if !t.o.json {
			fmt.Fprint(t.out, "\n")
		}
		if err != nil {
			fmt.Fprintf(t.err, "Unable to display quorum data: %s\n", csError(err))
			return exitFailure
		}
	}
}

// showNodes is -l: the membership table.
func (t *tool) showNodes(ctx context.Context) int {
	if err := t.q.TrackStart(ctx, quorum.TrackCurrent); err != nil {
		fmt.Fprintf(t.err, "Unable to start quorum status tracking: %s\n", csError(err))
		return exitFailure
	}
	if err := t.waitQuorumEvent(ctx); err != nil {
		fmt.Fprintf(t.err, "Unable to dispatch quorum status: %s\n", csError(err))
		return exitFailure
	}
	rows := t.collectNodes(ctx)
	if t.o.json {
		t.printJSON(jsonDoc{Members: t.jsonMembers(rows)})
		return exitOK
	}
	t.printNodes(rows)
	return exitOK
}

// waitQuorumEvent reads events until the quorum service's (v0)
// notification and records it.
func (t *tool) waitQuorumEvent(ctx context.Context) error {
	for {
		ev, err := t.q.Event(ctx)
		if err != nil {
			return err
		}
		if ev.ID == quorum.ResNotification {
			t.quorate, t.ringSeq, t.view = ev.Quorate, ev.Ring.Seq, ev.Members
			return nil
		}
	}
}

// waitNodeListEvent reads votequorum events until a nodelist
// notification: its ring's representative completes the ring id.
func (t *tool) waitNodeListEvent(ctx context.Context) error {
	for {
		ev, err := t.vq.Event(ctx)
		if err != nil {
			return err
		}
		if ev.ID == votequorum.ResNodeListNotification {
			t.ringRep = ev.Ring.Rep
			return nil
		}
	}
}

// summary is what -s shows above the membership table.
type summary struct {
	date     time.Time
	provider string
	quorate  bool
	info     votequorum.Info
	infoErr  error
}

// display is display_quorum_data: the summary, and with votequorum its
// numbers and the membership table. It returns GETINFO's error.
func (t *tool) display(ctx context.Context, quorate bool) error {
	s := summary{date: time.Now(), provider: t.provider(ctx), quorate: quorate}
	if t.vq == nil {
		t.printSummary(s, nil)
		return nil
	}
	s.info, s.infoErr = t.vq.GetInfo(ctx, t.ourID)
	rows := t.collectNodes(ctx)
	t.printSummary(s, rows)
	return s.infoErr
}
