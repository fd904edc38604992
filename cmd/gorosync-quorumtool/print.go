package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gorosync/gorosync/services/cserror"
	"github.com/gorosync/gorosync/services/votequorum"
)

// nodeRow is one member of the quorum service's view.
type nodeRow struct {
	id      uint32
	info    votequorum.Info
	infoErr error
	name    string
}

// collectNodes asks votequorum about every member of the view (when it
// is the provider), names them and orders them as -o says.
func (t *tool) collectNodes(ctx context.Context) []nodeRow {
	rows := make([]nodeRow, len(t.view))
	for i, id := range t.view {
		rows[i].id = id
		if t.vq != nil {
			rows[i].info, rows[i].infoErr = t.vq.GetInfo(ctx, id)
		}
	}
	for i := range rows {
		rows[i].name = t.nodeName(ctx, rows[i].id)
	}
	switch t.o.order {
	case sortNodeID:
		slices.SortStableFunc(rows, func(a, b nodeRow) int { return cmp.Compare(a.id, b.id) })
	case sortName:
		slices.SortStableFunc(rows, func(a, b nodeRow) int { return strings.Compare(a.name, b.name) })
	}
	return rows
}

// showQdevice: some member has the quorum device registered.
func showQdevice(rows []nodeRow) bool {
	return slices.ContainsFunc(rows, func(r nodeRow) bool {
		return r.infoErr == nil && r.info.Flags&votequorum.InfoQdeviceRegistered != 0
	})
}

// padded is print_string_padded: right-aligned in 10 columns, then a
// blank.
func padded(s string) string {
	if n := 10 - len(s); n > 0 {
		s = strings.Repeat(" ", n) + s
	}
	return s + " "
}

func (t *tool) nodeID(id uint32) string {
	if t.o.hex {
		return fmt.Sprintf("0x%08x ", id)
	}
	return padded(strconv.FormatUint(uint64(id), 10))
}

func (t *tool) ringID() string {
	if t.vq != nil {
		return fmt.Sprintf("%x.%x", t.ringRep, t.ringSeq)
	}
	return fmt.Sprintf("%x", t.ringSeq)
}

func yesNo(v bool) string {
	if v {
		return "Yes"
	}
	return "No"
}

// infoFlags are the names -s prints for GETINFO's flags.
var infoFlags = []struct {
	flag uint32
	name string
}{
	{votequorum.InfoTwoNode, "2Node"}, {votequorum.InfoQuorate, "Quorate"},
	{votequorum.InfoWaitForAll, "WaitForAll"}, {votequorum.InfoLastManStanding, "LastManStanding"},
	{votequorum.InfoAutoTieBreaker, "AutoTieBreaker"}, {votequorum.InfoAllowDownscale, "AllowDownscale"},
	{votequorum.InfoQdeviceRegistered, "Qdevice"},
}

func flagNames(f uint32) []string {
	names := []string{}
	for _, n := range infoFlags {
		if f&n.flag != 0 {
			names = append(names, n.name)
		}
	}
	return names
}

// printSummary prints display_quorum_data's output (rows nil without
// votequorum).
func (t *tool) printSummary(s summary, rows []nodeRow) {
	if t.o.json {
		t.printJSON(t.jsonStatus(s, rows))
		if t.vq != nil && s.infoErr != nil && !errors.Is(s.infoErr, cserror.ErrNotExist) {
			fmt.Fprintf(t.err, "Unable to get node info: %s\n", csError(s.infoErr))
		}
		return
	}
	provider := s.provider
	if provider == "" {
		provider = "Not configured"
	}
	w := t.out
	fmt.Fprint(w, "Quorum information\n------------------\n")
	fmt.Fprintf(w, "Date:             %s\n", s.date.Format("Mon Jan _2 15:04:05 2006"))
	fmt.Fprintf(w, "Quorum provider:  %s\n", provider)
	fmt.Fprintf(w, "Nodes:            %d\n", len(t.view))
	if t.o.hex {
		fmt.Fprintf(w, "Node ID:          0x%08x\n", t.ourID)
	} else {
		fmt.Fprintf(w, "Node ID:          %d\n", t.ourID)
	}
	fmt.Fprintf(w, "Ring ID:          %s\n", t.ringID())
	fmt.Fprintf(w, "Quorate:          %s\n", yesNo(s.quorate))
	if t.vq == nil {
		return
	}
	if s.infoErr == nil || errors.Is(s.infoErr, cserror.ErrNotExist) {
		in := s.info
		blocked := "Activity blocked"
		if in.Flags&votequorum.InfoQuorate != 0 {
			blocked = " "
		}
		fmt.Fprint(w, "\nVotequorum information\n----------------------\n")
		fmt.Fprintf(w, "Expected votes:   %d\n", in.ExpectedVotes)
		fmt.Fprintf(w, "Highest expected: %d\n", in.HighestExpected)
		fmt.Fprintf(w, "Total votes:      %d\n", in.TotalVotes)
		fmt.Fprintf(w, "Quorum:           %d %s\n", in.Quorum, blocked)
		fmt.Fprint(w, "Flags:            ")
		for _, n := range flagNames(in.Flags) {
			fmt.Fprint(w, n+" ")
		}
		fmt.Fprint(w, "\n")
	} else {
		fmt.Fprintf(t.err, "Unable to get node info: %s\n", csError(s.infoErr))
	}
	t.printNodes(rows)
}

// printNodes prints display_nodes_data's membership table.
func (t *tool) printNodes(rows []nodeRow) {
	w := t.out
	for _, r := range rows {
		if r.infoErr != nil {
			fmt.Fprintf(w, "Unable to get node %d info\n", r.id)
		}
	}
	qdev := showQdevice(rows)
	fmt.Fprint(w, "\nMembership information\n----------------------\n")
	fmt.Fprint(w, padded("Nodeid"))
	if t.vq != nil {
		fmt.Fprint(w, padded("Votes"))
		if qdev || t.o.parsable {
			fmt.Fprint(w, padded("Qdevice"))
		}
	}
	fmt.Fprint(w, "Name\n")
	var ourFlags uint32
	var first votequorum.Info
	for i, r := range rows {
		if i == 0 {
			first = r.info
		}
		fmt.Fprint(w, t.nodeID(r.id))
		if t.vq != nil {
			fmt.Fprint(w, padded(strconv.FormatUint(uint64(r.info.Votes), 10)))
			if qdev || t.o.parsable {
				fmt.Fprint(w, padded(qdeviceColumn(r.info.Flags)))
			}
		}
		fmt.Fprint(w, r.name)
		if r.id == t.ourID {
			fmt.Fprint(w, " (local)")
			ourFlags = r.info.Flags
		}
		fmt.Fprint(w, "\n")
	}
	if !qdev {
		return
	}
	// The quorum device's line: its votes only where it casts them here.
	fmt.Fprint(w, t.nodeID(0))
	castVote := ourFlags&votequorum.InfoQdeviceCastVote != 0
	votes := uint32(0)
	if castVote {
		votes = first.QdeviceVotes
	}
	fmt.Fprint(w, padded(strconv.FormatUint(uint64(votes), 10)))
	fmt.Fprintf(w, "           %s", first.QdeviceName)
	if castVote {
		fmt.Fprint(w, "\n")
	} else {
		fmt.Fprintf(w, " (votes %d)\n", first.QdeviceVotes)
	}
}

// qdeviceColumn is the Qdevice column: NR (not registered) or
// alive,vote,master_wins as A/NA, V/NV, MW/NMW.
func qdeviceColumn(f uint32) string {
	if f&votequorum.InfoQdeviceRegistered == 0 {
		return "NR"
	}
	pick := func(bit uint32, yes, no string) string {
		if f&bit != 0 {
			return yes
		}
		return no
	}
	return pick(votequorum.InfoQdeviceAlive, "A", "NA") + "," + pick(votequorum.InfoQdeviceCastVote, "V", "NV") + "," +
		pick(votequorum.InfoQdeviceMasterWins, "MW", "NMW")
}
