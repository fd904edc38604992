package cbuild

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

func TestBuildReportsCompilerOutput(t *testing.T) {
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skipf("needs gcc (make deps installs it as root): %v", err)
	}
	dir := t.TempDir()
	if _, err := Build(dir, "ok", []byte("int main(void){return 0;}\n"), []string{"-O2"}, nil); err != nil {
		t.Fatal(err)
	}
	_, err := Build(dir, "bad", []byte("#include <no/such/header.h>\n"), nil, nil)
	var ce *Error
	if !errors.As(err, &ce) || !strings.Contains(ce.Output, "no/such/header.h") {
		t.Fatalf("err = %v", err)
	}
}
