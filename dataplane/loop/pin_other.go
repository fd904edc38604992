//go:build !linux

package loop

import (
	"errors"
	"time"
)

func pinToCPU(int) (func(), error) { return nil, errors.New("loop: CPU pinning needs Linux") }

func osYield() {}

const maxWaitFds = 16

func waitForWork(_ []int, d time.Duration) uint64 { time.Sleep(d); return 0 }

func newWaker() (int, error) { return -1, nil }
func wake(int)               {}
func drainWaker(int) bool    { return false }
func closeWaker(int)         {}
