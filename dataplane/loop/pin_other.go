//go:build !linux

package loop

import (
	"errors"
	"time"
)

func pinToCPU(int) error { return errors.New("loop: CPU pinning needs Linux") }

func waitForWork(_ int, d time.Duration) { time.Sleep(d) }
