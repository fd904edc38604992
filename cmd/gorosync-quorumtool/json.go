package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/gorosync/gorosync/services/votequorum"
)

// jsonDoc is what --json prints: -s and -m fill it all, -l only Members.
type jsonDoc struct {
	Date       string       `json:"date,omitempty"`
	Provider   string       `json:"quorum_provider,omitempty"`
	Nodes      *int         `json:"nodes,omitempty"`
	NodeID     *uint32      `json:"node_id,omitempty"`
	RingID     string       `json:"ring_id,omitempty"`
	Quorate    *bool        `json:"quorate,omitempty"`
	Votequorum *jsonVotes   `json:"votequorum,omitempty"`
	Members    []jsonMember `json:"members,omitempty"`
	Qdevice    *jsonQdevice `json:"qdevice,omitempty"`
}

type jsonVotes struct {
	ExpectedVotes   uint32   `json:"expected_votes"`
	HighestExpected uint32   `json:"highest_expected"`
	TotalVotes      uint32   `json:"total_votes"`
	Quorum          uint32   `json:"quorum"`
	Flags           []string `json:"flags"`
}

type jsonMember struct {
	NodeID  uint32  `json:"nodeid"`
	Votes   *uint32 `json:"votes,omitempty"`
	Qdevice string  `json:"qdevice,omitempty"`
	Name    string  `json:"name"`
	Local   bool    `json:"local"`
}

type jsonQdevice struct {
	Name     string `json:"name"`
	Votes    uint32 `json:"votes"`
	CastVote bool   `json:"cast_vote"`
}

func (t *tool) jsonMembers(rows []nodeRow) []jsonMember {
	out := make([]jsonMember, 0, len(rows))
	qdev := showQdevice(rows)
	for _, r := range rows {
		m := jsonMember{NodeID: r.id, Name: r.name, Local: r.id == t.ourID}
		if t.vq != nil {
			v := r.info.Votes
			m.Votes = &v
			if qdev || t.o.parsable {
				m.Qdevice = qdeviceColumn(r.info.Flags)
			}
		}
		out = append(out, m)
	}
	return out
}

func (t *tool) jsonStatus(s summary, rows []nodeRow) jsonDoc {
	provider := s.provider
	if provider == "" {
		provider = "Not configured"
	}
	n, id, q := len(t.view), t.ourID, s.quorate
	d := jsonDoc{Date: s.date.Format(time.RFC3339), Provider: provider, Nodes: &n, NodeID: &id, RingID: t.ringID(), Quorate: &q}
	if t.vq == nil {
		return d
	}
	if s.infoErr == nil {
		in := s.info
		d.Votequorum = &jsonVotes{in.ExpectedVotes, in.HighestExpected, in.TotalVotes, in.Quorum, flagNames(in.Flags)}
	}
	d.Members = t.jsonMembers(rows)
	if showQdevice(rows) && len(rows) > 0 {
		cast := false
		for _, r := range rows {
			if r.id == t.ourID {
				cast = r.info.Flags&votequorum.InfoQdeviceCastVote != 0
			}
		}
		d.Qdevice = &jsonQdevice{Name: rows[0].info.QdeviceName, Votes: rows[0].info.QdeviceVotes, CastVote: cast}
	}
	return d
}

// printJSON prints one document: indented, or on one line for -m.
func (t *tool) printJSON(d jsonDoc) {
	var b []byte
	if t.o.cmd == cmdMonitor {
		b, _ = json.Marshal(d)
	} else {
		b, _ = json.MarshalIndent(d, "", "  ")
	}
	fmt.Fprintf(t.out, "%s\n", b)
}
