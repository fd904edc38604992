package suite

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Progress prints one line per measurement: how far the run is, the
// elapsed time, an estimate of what is left, and the figure measured.
type Progress struct {
	W io.Writer

	mu    sync.Mutex
	total int
	done  int
	start time.Time
}

func (p *Progress) begin(total int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total, p.done, p.start = total, 0, time.Now()
}

// step counts one measurement done (or skipped) and prints its line.
func (p *Progress) step(format string, args ...any) {
	if p == nil || p.W == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
	el := time.Since(p.start)
	left := "?"
	if p.done > 0 && p.done <= p.total {
		left = (el * time.Duration(p.total-p.done) / time.Duration(p.done)).Round(time.Second).String()
	}
	fmt.Fprintf(p.W, "[%3d/%d %s, ~%s left] %s\n", p.done, p.total, el.Round(time.Second), left, fmt.Sprintf(format, args...))
}

// note prints a line without counting a step.
func (p *Progress) note(format string, args ...any) {
	if p == nil || p.W == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.W, "    %s\n", fmt.Sprintf(format, args...))
}
