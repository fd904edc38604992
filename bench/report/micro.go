package report

import (
	"bufio"
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gorosync/gorosync/bench/measure"
)

// benchRun is one benchmark's values, by unit, over its -count runs.
type benchRun struct {
	pkg, name string
	units     []string // in first-seen order
	values    map[string][]float64
}

// parseBench reads `go test -bench` output: "pkg:" lines name the package
// of the Benchmark lines that follow; a Benchmark line is the name, the
// iteration count, then value-unit pairs.
func parseBench(out []byte) ([]*benchRun, error) {
	var runs []*benchRun
	byKey := map[string]*benchRun{}
	pkg := ""
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") || len(f)%2 != 0 {
			continue
		}
		if _, err := strconv.ParseInt(f[1], 10, 64); err != nil {
			continue
		}
		name := strings.TrimPrefix(f[0], "Benchmark")
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i] // the GOMAXPROCS suffix
			}
		}
		key := pkg + " " + name
		b := byKey[key]
		if b == nil {
			b = &benchRun{pkg: pkg, name: name, values: map[string][]float64{}}
			byKey[key] = b
			runs = append(runs, b)
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("report: bad value %q in %q", f[i], line)
			}
			u := f[i+1]
			if _, ok := b.values[u]; !ok {
				b.units = append(b.units, u)
			}
			b.values[u] = append(b.values[u], v)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(runs) == 0 {
		return nil, fmt.Errorf("report: no benchmark lines in the go test output")
	}
	return runs, nil
}

// Micro tabulates `go test -bench` output: per benchmark the median ns/op
// and its range over the runs, the other metrics' medians, and allocs/op.
func Micro(out []byte) (string, error) {
	runs, err := parseBench(out)
	if err != nil {
		return "", err
	}
	t := table{head: []string{"package", "benchmark", "runs", "ns/op median (range)", "other metrics (medians)", "allocs/op"}}
	for _, b := range runs {
		ns := measure.Summarize(b.values["ns/op"])
		var other []string
		for _, u := range b.units {
			if u == "ns/op" || u == "allocs/op" || u == "B/op" {
				continue
			}
			other = append(other, num(measure.Summarize(b.values[u]).Median)+" "+u)
		}
		allocs := "–"
		if v, ok := b.values["allocs/op"]; ok {
			allocs = fixed(0)(measure.Summarize(v).Median)
			if bo, ok := b.values["B/op"]; ok {
				allocs += fmt.Sprintf(" (%s B/op)", fixed(0)(measure.Summarize(bo).Median))
			}
		}
		t.add(strings.TrimPrefix(b.pkg, "github.com/gorosync/gorosync/"), b.name, strconv.Itoa(ns.N),
			cell(ns, nsNum), strings.Join(other, ", "), allocs)
	}
	return t.String(), nil
}

// nsNum prints nanoseconds with thousands separators, or ms from 1 ms.
func nsNum(x float64) string {
	if x >= 1e6 {
		return fmt.Sprintf("%.2f ms", x/1e6)
	}
	if x < 100 {
		return strconv.FormatFloat(x, 'f', 1, 64)
	}
	s := strconv.FormatFloat(x, 'f', 0, 64)
	var parts []string
	for len(s) > 3 {
		parts = append(parts, s[len(s)-3:])
		s = s[:len(s)-3]
	}
	parts = append(parts, s)
	slices.Reverse(parts)
	return strings.Join(parts, ",")
}
