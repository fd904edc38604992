package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gorosync/gorosync/shm/client"
)

// garbageEnv makes the test binary a client that sends every service bad
// requests, inside a node's namespace.
const garbageEnv = "GOROSYNC_TEST_GARBAGE"

const csErrInvalidParam = 7

// garbageClient sends, to each service, a request with an unknown id and
// requests of known ids with sizes that lie (too short), and expects
// CS_ERR_INVALID_PARAM for each, on a connection that stays usable. It
// prints one "ok <service>" line per service.
func garbageClient() int {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// A request of each service that is larger than the bare header.
	sized := map[string]int32{"cmap": 0, "cfg": 2, "quorum": 1, "votequorum": 1}
	for _, svc := range []string{"cmap", "cfg", "quorum", "votequorum"} {
		if err := garbageTo(ctx, svc, sized[svc]); err != nil {
			fmt.Printf("%s: %v\n", svc, err)
			return 1
		}
		fmt.Printf("ok %s\n", svc)
	}
	return 0
}

func garbageTo(ctx context.Context, svc string, sizedID int32) error {
	c, err := client.Dial(ctx, svc, client.Options{})
	if err != nil {
		return err
	}
	defer c.Close()
	resp := make([]byte, 1<<20)
	for _, req := range [][]byte{
		header(999, 16),        // unknown request id
		header(0x7fffffff, 24), // absurd id
		header(sizedID, 16),    // a request shorter than its layout
	} {
		n, err := c.Request(ctx, req, resp)
		if err != nil {
			return fmt.Errorf("request id %d: %w", binary.LittleEndian.Uint32(req), err)
		}
		if n < 24 {
			return fmt.Errorf("request id %d: reply of %d bytes", binary.LittleEndian.Uint32(req), n)
		}
		if e := binary.LittleEndian.Uint32(resp[16:]); e != csErrInvalidParam {
			return fmt.Errorf("request id %d of %d bytes: error %d, want CS_ERR_INVALID_PARAM", binary.LittleEndian.Uint32(req), len(req), e)
		}
	}
	return nil
}

// header is a bare libqb request: id at 0, size at 8, zero-filled to size.
func header(id int32, size int) []byte {
	b := make([]byte, size)
	binary.LittleEndian.PutUint32(b, uint32(id))
	binary.LittleEndian.PutUint32(b[8:], uint32(size))
	return b
}

// A client that sends every service garbage gets corosync's error codes;
// the daemon and other clients carry on.
func TestClusterBadRequests(t *testing.T) {
	needTool(t, quorumtool)
	c := startCluster(t, clusterSpec{nodes: 2, links: 1, tokenMs: 1000, transport: "udpu", quorum: " provider: corosync_votequorum\n"})
	for _, n := range c.Nodes() {
		waitMembers(t, n, "1 2", 0, formTimeout)
	}
	n1 := c.Node(1)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := n1.Command(ctx, os.Args[0])
	cmd.Env = append(cmd.Env, garbageEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil || strings.Count(string(out), "ok ") != 4 {
		t.Fatalf("garbage client: %v\n%s", err, out)
	}
	if !n1.Running() {
		t.Fatal("the daemon died")
	}
	waitQuorate(t, n1, "Yes", 2)
}
