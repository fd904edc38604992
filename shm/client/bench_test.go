package client_test

import (
	"testing"

	"github.com/gorosync/gorosync/shm"
	"github.com/gorosync/gorosync/shm/shmtest"
)

// The message sizes of the benchmarks: whole requests, header included
// (an echo response is 8 bytes longer). shm/cinterop runs the C libqb
// client against the same server with the same sizes
// (BenchmarkCClient*), so one `go test -bench . ./shm/...` puts them side
// by side.
var benchSizes = []struct {
	name string
	size int
}{{"64B", 64}, {"1KiB", 1024}, {"64KiB", 64 << 10}}

// benchModes: SHM (corosync's default, what Pacemaker needs) under the
// plain size names, socket mode under "socket/".
var benchModes = []struct {
	prefix string
	mode   shm.Mode
}{{"", shm.ModeSHM}, {"socket/", shm.ModeSocket}}

// BenchmarkGoClientRoundTrip: echo round trips (Request) of the Go client
// against the gorosync server, whose Poll loop runs on a goroutine that
// sleeps on the server's descriptor when idle.
func BenchmarkGoClientRoundTrip(b *testing.B) {
	for _, m := range benchModes {
		s := shmtest.StartEcho(b, m.mode, shmtest.EchoOptions{})
		c := dial(b, s.Name)
		e := newEchoer(b, c)
		for _, sz := range benchSizes {
			b.Run(m.prefix+sz.name, func(b *testing.B) {
				req := e.req[:sz.size]
				shmtest.PutReqHdr(req, shmtest.IDEcho, sz.size)
				b.SetBytes(int64(sz.size))
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					if n, err := c.Request(e.ctx, req, e.resp); err != nil || n != sz.size+8 {
						b.Fatalf("round trip: %d bytes, %v", n, err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			})
		}
	}
}

// BenchmarkGoClientOneWay: one-way requests (Send) as fast as the server
// takes them, ended by one counting round trip that proves every message
// arrived.
func BenchmarkGoClientOneWay(b *testing.B) {
	for _, m := range benchModes {
		s := shmtest.StartEcho(b, m.mode, shmtest.EchoOptions{})
		c := dial(b, s.Name)
		e := newEchoer(b, c)
		for _, sz := range benchSizes {
			b.Run(m.prefix+sz.name, func(b *testing.B) {
				msg := make([]byte, sz.size) // not e.req: count() writes there
				shmtest.PutReqHdr(msg, shmtest.IDSink, sz.size)
				before := e.count()
				b.SetBytes(int64(sz.size))
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					if err := c.Send(e.ctx, msg); err != nil {
						b.Fatalf("send: %v", err)
					}
				}
				if got := e.count() - before; got != uint64(b.N) {
					b.Fatalf("server counted %d of %d", got, b.N)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
			})
		}
	}
}
