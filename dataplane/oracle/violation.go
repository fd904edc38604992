package oracle

import (
	"fmt"
	"sort"
	"strings"
)

// Violation is one broken invariant. Invariant is the spec's name ("E7",
// "L1", "SAFE"), or "LOG" when the log itself is malformed (time running
// backwards, a message id sent twice, an unknown event kind), or "MORE" for
// the last entry when the report was capped.
type Violation struct {
	Invariant string
	Node      uint32 // the node whose log shows it; 0 when not tied to one
	MsgID     uint64 // the message involved; 0 when none
	Detail    string
}

func (v Violation) String() string {
	var b strings.Builder
	b.WriteString(v.Invariant)
	if v.Node != 0 {
		fmt.Fprintf(&b, " node %d", v.Node)
	}
	if v.MsgID != 0 {
		fmt.Fprintf(&b, " msg %d", v.MsgID)
	}
	b.WriteString(": ")
	b.WriteString(v.Detail)
	return b.String()
}

// A report is capped: past the first few, a broken run repeats itself and
// formatting thousands of details would only slow the seed loop. The cap is
// also per invariant so that one flooding invariant (a single lost message
// breaks E14 for everything sent after it) cannot hide the others.
const (
	maxViolations   = 100
	maxPerInvariant = 20
)

// report collects violations up to the caps and counts the rest.
type report struct {
	list    []Violation
	kept    map[string]int
	dropped map[string]int
}

// room reports whether a violation of inv would be kept, so that a check
// can skip the work of explaining one that would not.
func (r *report) room(inv string) bool {
	return len(r.list) < maxViolations && r.kept[inv] < maxPerInvariant
}

// drop counts a violation that is not kept.
func (r *report) drop(inv string) {
	if r.dropped == nil {
		r.dropped = make(map[string]int)
	}
	r.dropped[inv]++
}

// add records a violation; the Detail is only formatted when it is kept.
func (r *report) add(inv string, node uint32, msg uint64, format string, args ...any) {
	if !r.room(inv) {
		r.drop(inv)
		return
	}
	if r.kept == nil {
		r.kept = make(map[string]int)
	}
	r.kept[inv]++
	r.list = append(r.list, Violation{Invariant: inv, Node: node, MsgID: msg, Detail: fmt.Sprintf(format, args...)})
}

func (r *report) result() []Violation {
	if len(r.dropped) > 0 {
		names := make([]string, 0, len(r.dropped))
		total := 0
		for k, n := range r.dropped {
			names = append(names, k)
			total += n
		}
		sort.Strings(names)
		var b strings.Builder
		fmt.Fprintf(&b, "… %d more violations not shown (", total)
		for i, k := range names {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%s %d", k, r.dropped[k])
		}
		b.WriteString(")")
		r.list = append(r.list, Violation{Invariant: "MORE", Detail: b.String()})
	}
	return r.list
}
