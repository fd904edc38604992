package coroparse

import "testing"

func TestParsePriority(t *testing.T) {
	for _, tc := range []struct {
		in   string
		nice int
		bad  bool
	}{
		{"max", NiceMax, false}, {"min", NiceMin, false}, {"0", 0, false}, {"-5", -5, false}, {"7", 7, false},
		{"-100", NiceMax, false}, {"2147483647", NiceMin, false}, // clamped as setpriority(2) does
		{"", 0, true}, {"high", 0, true}, {"5x", 0, true}, {"2147483648", 0, true}, {" 5", 0, true},
	} {
		nice, err := ParsePriority(tc.in)
		if (err != nil) != tc.bad || nice != tc.nice {
			t.Errorf("ParsePriority(%q) = %d, %v; want %d, bad %v", tc.in, nice, err, tc.nice, tc.bad)
		}
	}
	cfg := mustParse(t, withTotem("")+"system {\n priority: max\n}\n")
	if cfg.System.Priority != "max" || cfg.System.Nice != NiceMax {
		t.Errorf("system.priority max: got %q, nice %d", cfg.System.Priority, cfg.System.Nice)
	}
}
