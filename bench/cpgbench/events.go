package cpgbench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Event is one line of the members mode: a totem configuration change
// (the ring's members) or a group one (the group's processes), stamped
// with the client's CLOCK_MONOTONIC when the callback ran.
type Event struct {
	Kind string `json:"ev"`   // "totem" or "confchg"
	TNs  int64  `json:"t_ns"` // CLOCK_MONOTONIC, ns

	// totem: the ring id and its node ids.
	RingNode uint32 `json:"ring_node"`
	RingSeq  uint64 `json:"ring_seq"`

	// Members is raw because its shape depends on Kind; ParseEvent
	// decodes it into RingMembers (totem: node ids) or GroupMembers
	// (confchg: [nodeid, pid, reason] triples, as Left and Joined).
	Members json.RawMessage `json:"members"`
	Left    [][3]uint32     `json:"left"`
	Joined  [][3]uint32     `json:"joined"`

	RingMembers  []uint32    `json:"-"`
	GroupMembers [][3]uint32 `json:"-"`
}

// ErrNotEvent is returned by ParseEvent for a line that is not an event
// (the final result line, or noise).
var ErrNotEvent = errors.New("cpgbench: not an event line")

// ParseEvent decodes one members-mode event line.
func ParseEvent(line []byte) (Event, error) {
	line = bytes.TrimSpace(line)
	if len(line) < 2 || line[0] != '{' || !bytes.HasPrefix(line, []byte(`{"ev":`)) {
		return Event{}, ErrNotEvent
	}
	var e Event
	if err := json.Unmarshal(line, &e); err != nil {
		return Event{}, fmt.Errorf("cpgbench: bad event line %q: %w", truncate(line, 300), err)
	}
	var err error
	switch e.Kind {
	case "totem":
		err = json.Unmarshal(e.Members, &e.RingMembers)
	case "confchg":
		err = json.Unmarshal(e.Members, &e.GroupMembers)
	default:
		err = fmt.Errorf("unknown event %q", e.Kind)
	}
	if err != nil {
		return Event{}, fmt.Errorf("cpgbench: bad event line %q: %w", truncate(line, 300), err)
	}
	return e, nil
}

// LeftNode reports whether a confchg event lists a process of node in its
// left list.
func (e Event) LeftNode(node uint32) bool {
	for _, a := range e.Left {
		if a[0] == node {
			return true
		}
	}
	return false
}

// HasNode reports whether a totem event's ring holds node.
func (e Event) HasNode(node uint32) bool {
	for _, n := range e.RingMembers {
		if n == node {
			return true
		}
	}
	return false
}

// ReadSamples reads the file -o writes: one latency in ns per line.
func ReadSamples(r io.Reader) ([]int64, error) {
	var out []int64
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := bytes.TrimSpace(sc.Bytes())
		if len(f) == 0 {
			continue
		}
		v, err := strconv.ParseInt(string(f), 10, 64)
		if err != nil || v < 0 {
			return nil, fmt.Errorf("cpgbench: bad sample %q", truncate(f, 40))
		}
		out = append(out, v)
	}
	return out, sc.Err()
}
