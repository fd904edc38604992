package cpg_test

import (
	"context"
	"encoding/binary"
	"testing"
	"time"

	"github.com/gorosync/gorosync/services/cpg"
	"github.com/gorosync/gorosync/services/cpg/cpgclient"
	"github.com/gorosync/gorosync/services/cpg/cpgtest"
	"github.com/gorosync/gorosync/services/cserror"
	"github.com/gorosync/gorosync/shm"
	"github.com/gorosync/gorosync/shm/client"
)

// Bad requests over real IPC get corosync's answers (an unknown id: a
// 24-byte reply with id 0 and CS_ERR_INVALID_PARAM; a wrong size: the
// request's own reply, full size, CS_ERR_INVALID_PARAM), a malformed
// MCAST gets nothing (it never has a reply), and the service carries on.
func TestBadRequests(t *testing.T) {
	for _, mode := range []shm.Mode{shm.ModeSHM, shm.ModeSocket} {
		t.Run(mode.String(), func(t *testing.T) { badRequests(t, mode) })
	}
}

func badRequests(t *testing.T, mode shm.Mode) {
	c := cpgtest.Start(t, cpgtest.Options{Mode: mode})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ipc, err := client.Dial(ctx, c.Name(1), client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ipc.Close()
	le := binary.LittleEndian
	req := func(id int32, size int) []byte {
		b := make([]byte, size)
		cpg.PutReqHeader(b, id, size)
		return b
	}
	resp := make([]byte, 1<<20)
	call := func(b []byte) []byte {
		t.Helper()
		n, err := ipc.Request(ctx, b, resp)
		if err != nil {
			t.Fatalf("request %d: %v", cpg.HeaderID(b), err)
		}
		return resp[:n]
	}
	check := func(name string, b []byte, id int32, size int, e cpg.Error) {
		t.Helper()
		r := call(b)
		if len(r) != size || cpg.HeaderID(r) != id || int(cpg.HeaderSize(r)) != size || cpg.HeaderError(r) != e {
			t.Errorf("%s: reply id %d size %d/%d error %v, want id %d size %d %v",
				name, cpg.HeaderID(r), cpg.HeaderSize(r), len(r), cpg.HeaderError(r), id, size, e)
		}
	}
	check("unknown id", req(99, 16), 0, 24, cserror.ErrInvalidParam)
	check("negative id", req(-7, 16), 0, 24, cserror.ErrInvalidParam)
	check("short join", req(cpg.ReqJoin, 100), cpg.ResJoin, 24, cserror.ErrInvalidParam)
	check("long local get", req(cpg.ReqLocalGet, 40), cpg.ResLocalGet, cpg.LocalGetResSize, cserror.ErrInvalidParam)
	check("short membership", req(cpg.ReqMembership, 100), cpg.ResMembership, cpg.MembershipResSize, cserror.ErrInvalidParam)
	check("unknown iteration", cpg.EncodeIter(make([]byte, 24), cpg.ReqIterNext, 12345), cpg.ResIterNext, cpg.IterNextResSize, cserror.ErrLibrary)
	long := cpg.EncodeJoin(make([]byte, cpg.JoinReqSize), []byte("g"), 1, 0)
	le.PutUint32(long[cpg.ReqGroupOff:], 129)
	check("name too long", long, cpg.ResJoin, 24, cserror.ErrNameTooLong)
	check("leave unjoined", cpg.EncodeLeave(make([]byte, cpg.LeaveReqSize), []byte("g"), 1), cpg.ResLeave, 24, cserror.ErrNotExist)
	bad := append(cpg.EncodePartialHeader(make([]byte, cpg.PartialReqSize), cpg.Agreed, 4, 4, 9), "abcd"...)
	check("partial bad type", bad, cpg.ResPartialSend, 24, cserror.ErrInvalidParam)
	check("partial unjoined", append(cpg.EncodePartialHeader(make([]byte, cpg.PartialReqSize), cpg.Agreed, 4, 4, cpg.PartialFirst), "abcd"...),
		cpg.ResPartialSend, 24, cserror.ErrNotExist)
	// MCAST: a lying msglen, and one from an unjoined connection: no reply
	// (the next call gets its own), only counters.
	lying := cpg.EncodeMcastHeader(make([]byte, cpg.McastReqSize+8), cpg.Agreed, 100)
	le.PutUint32(lying[8:], uint32(len(lying))) // the header's size is right, msglen is not
	if err := ipc.Send(ctx, lying); err != nil {
		t.Fatal(err)
	}
	if err := ipc.Send(ctx, append(cpg.EncodeMcastHeader(make([]byte, cpg.McastReqSize), cpg.Agreed, 2), "hi"...)); err != nil {
		t.Fatal(err)
	}
	r := call(cpg.EncodeHeaderOnly(make([]byte, 16), cpg.ReqLocalGet))
	if cpg.HeaderID(r) != cpg.ResLocalGet || len(r) != cpg.LocalGetResSize || le.Uint32(r[24:]) != 1 {
		t.Fatalf("LOCAL_GET after bad MCASTs: id %d, %d bytes", cpg.HeaderID(r), len(r))
	}
	var st cpg.Stats
	c.Do(t, func() { st = c.Engines[1].Stats() })
	if st.DroppedMcasts != 2 || st.BadRequests < 6 {
		t.Errorf("stats %+v", st)
	}
	// The service still works for a proper client.
	cl, err := cpgclient.Initialize(ctx, cpgclient.Options{Service: c.Name(1), PID: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if err := cl.Join(ctx, []byte("g")); err != nil {
		t.Fatal(err)
	}
	if err := cl.Mcast(ctx, cpg.Agreed, []byte("still here")); err != nil {
		t.Fatal(err)
	}
	for {
		m, err := cl.Recv(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if m.Kind == cpgclient.Deliver {
			if string(m.Data) != "still here" {
				t.Fatalf("got %q", m.Data)
			}
			break
		}
	}
}
