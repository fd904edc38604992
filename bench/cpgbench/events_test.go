package cpgbench

import (
	"errors"
	"strings"
	"testing"
)

func TestParseEvent(t *testing.T) {
	ev, err := ParseEvent([]byte(`{"ev":"totem","t_ns":123,"ring_node":1,"ring_seq":9,"members":[1,2]}` + "\n"))
	if err != nil || ev.Kind != "totem" || ev.TNs != 123 || ev.RingSeq != 9 || !ev.HasNode(2) || ev.HasNode(3) {
		t.Errorf("totem: %+v, %v", ev, err)
	}
	ev, err = ParseEvent([]byte(`{"ev":"confchg","t_ns":5,"members":[[1,10,1],[2,20,1]],"left":[[3,30,3]],"joined":[]}`))
	if err != nil || len(ev.GroupMembers) != 2 || !ev.LeftNode(3) || ev.LeftNode(1) {
		t.Errorf("confchg: %+v, %v", ev, err)
	}
	for _, line := range []string{"", "noise", `{"mode":"members","nodeid":1}`} {
		if _, err := ParseEvent([]byte(line)); !errors.Is(err, ErrNotEvent) {
			t.Errorf("ParseEvent(%q) = %v, want ErrNotEvent", line, err)
		}
	}
	for _, line := range []string{`{"ev":"totem","members":[[1,2,3]]}`, `{"ev":"other","members":[]}`, `{"ev":"confchg",`} {
		if _, err := ParseEvent([]byte(line)); err == nil || errors.Is(err, ErrNotEvent) {
			t.Errorf("ParseEvent(%q) = %v, want a decoding error", line, err)
		}
	}
}

func TestReadSamples(t *testing.T) {
	got, err := ReadSamples(strings.NewReader("100\n\n2500\n"))
	if err != nil || len(got) != 2 || got[0] != 100 || got[1] != 2500 {
		t.Errorf("ReadSamples = %v, %v", got, err)
	}
	for _, bad := range []string{"x\n", "-5\n"} {
		if _, err := ReadSamples(strings.NewReader(bad)); err == nil {
			t.Errorf("ReadSamples(%q): no error", bad)
		}
	}
}
