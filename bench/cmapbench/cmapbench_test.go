package cmapbench

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	r, err := Parse([]byte("noise\n{\"mode\":\"get\",\"key\":\"k\",\"ops\":10,\"seconds\":1.000,\"ops_per_s\":10.0}\n"))
	if err != nil || r.Ops != 10 || r.OpsPerS != 10 {
		t.Errorf("get: %+v, %v", r, err)
	}
	r, err = Parse([]byte(`{"mode":"values","values":{"a":1,"b":18446744073709551615}}`))
	if err != nil || r.Values["a"] != 1 || r.Values["b"] != 1<<64-1 {
		t.Errorf("values: %+v, %v", r, err)
	}
	for _, bad := range []string{"", "{\"mode\":\"other\"}", "{\"mode\":"} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("Parse(%q): no error", bad)
		}
	}
}

// TestBuild compiles the client and checks its usage errors; it needs
// gcc and libcmap's headers (Debian: gcc libcmap-dev), not a daemon.
func TestBuild(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("needs gcc")
	}
	if _, err := os.Stat("/usr/include/corosync/cmap.h"); err != nil {
		t.Skip("needs /usr/include/corosync/cmap.h (libcmap-dev)")
	}
	bin, err := Build(t.TempDir())
	if errors.Is(err, ErrNoToolchain) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{}, {"-k", "a"}, {"-k", "a", "-t", "1", "-n", "1"}, {"-k", "a", "-k", "b", "-t", "1"}} {
		out, err := exec.Command(bin, args...).CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), "usage") {
			t.Errorf("cmapbench %q: %v %s", args, err, out)
		}
	}
}
