package measure

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// userHz is the unit of utime and stime in /proc/<pid>/stat: USER_HZ, which
// the kernel fixes at 100 for every architecture's user ABI.
const userHz = 100

// CPUTime returns the user plus system CPU time pid has used, all threads
// together (exited threads included), from /proc/<pid>/stat. The
// resolution is 10 ms.
func CPUTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	return parseStatCPU(b)
}

// parseStatCPU reads fields 14 (utime) and 15 (stime) of a stat line. The
// command name (field 2) is in parentheses and may hold spaces, so fields
// are counted after its closing parenthesis.
func parseStatCPU(b []byte) (time.Duration, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("measure: stat line without a command name: %q", b)
	}
	f := strings.Fields(string(b[i+1:]))
	// After ')' come field 3 (state) onwards: utime is field 14, index 11.
	if len(f) < 13 {
		return 0, fmt.Errorf("measure: short stat line: %q", b)
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("measure: bad utime/stime in %q", b)
	}
	return time.Duration(ut+st) * time.Second / userHz, nil
}

// Memory is a process's resident set from /proc/<pid>/status.
type Memory struct {
	RSSKiB  int64 // VmRSS: resident now
	PeakKiB int64 // VmHWM: the most it has been resident
}

// ReadMemory returns pid's VmRSS and VmHWM.
func ReadMemory(pid int) (Memory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, err
	}
	return parseStatus(b)
}

func parseStatus(b []byte) (Memory, error) {
	var m Memory
	var seen int
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || (k != "VmRSS" && k != "VmHWM") {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			return Memory{}, fmt.Errorf("measure: bad %s line %q", k, line)
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return Memory{}, fmt.Errorf("measure: bad %s line %q", k, line)
		}
		if k == "VmRSS" {
			m.RSSKiB = n
		} else {
			m.PeakKiB = n
		}
		seen++
	}
	if seen != 2 {
		return Memory{}, fmt.Errorf("measure: VmRSS or VmHWM missing from status")
	}
	return m, nil
}

// SumCPU is the CPU time of several processes together; a PID that is gone
// counts zero and is reported in the error.
func SumCPU(pids []int) (time.Duration, error) {
	var sum time.Duration
	var errs []string
	for _, p := range pids {
		d, err := CPUTime(p)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		sum += d
	}
	if errs != nil {
		return sum, fmt.Errorf("measure: %s", strings.Join(errs, "; "))
	}
	return sum, nil
}
