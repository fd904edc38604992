package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gorosync/gorosync/services/cfg"
	"github.com/gorosync/gorosync/services/cfg/cfgclient"
	"github.com/gorosync/gorosync/services/cserror"
)

const progName = "gorosync-cfgtool"

const usage = progName + ` [[-i <interface ip>] [-b] -s] [-R] [-L] [-k nodeid] [-a nodeid] [-h] [-H]

A tool for displaying and configuring active parameters within corosync.
options:
	-i	Finds only information about the specified interface IP address or link id when used with -s..
	-s	Displays the status of the current links on this node.
	-n	Displays the status of the connected nodes and their links.
	-b	Displays the brief status of the current links on this node when used with -s.
	-R	Tell all instances of corosync in this cluster to reload corosync.conf.
	-L	Tell corosync to reopen all logging files.
	-k	Kill a node identified by node id.
	-a	Display the IP address(es) of a node
	-h	Print basic usage.
	-H	Shutdown corosync cleanly on this node.
		--force will shut down corosync regardless of daemon vetos
	--json	Print the result as JSON.
`

// Exit statuses.
const (
	exitOK   = 0
	exitFail = 1
)

// tool is one run: its streams and options.
type tool struct {
	ctx            context.Context
	stdout, stderr io.Writer
	o              options
	// tryAgainSleep is -H's pause between CS_ERR_TRY_AGAIN retries.
	tryAgainSleep time.Duration
}

// run is the whole command; it returns the exit status. argv0 names the
// program in getopt's messages, as GNU getopt does.
func run(ctx context.Context, argv0 string, args []string, stdout, stderr io.Writer) int {
	o, err := parseArgs(args)
	if err != nil {
		var ue *usageError
		if errors.As(err, &ue) && ue.bare {
			fmt.Fprintln(stderr, ue.msg)
		} else {
			fmt.Fprintf(stderr, "%s: %v\n", argv0, err)
		}
		return exitFail
	}
	t := &tool{ctx: ctx, stdout: stdout, stderr: stderr, o: o, tryAgainSleep: time.Second}
	switch o.action {
	case actLinkStatus, actNodeStatus:
		return t.status()
	case actReload:
		return t.reload()
	case actReopen:
		return t.reopen()
	case actKill:
		return t.kill()
	case actShutdown:
		return t.shutdown()
	case actShowAddr:
		return t.showAddrs()
	}
	fmt.Fprint(stdout, usage)
	return exitOK
}

// printf writes to stdout unless the output is JSON.
func (t *tool) printf(format string, a ...any) {
	if !t.o.json {
		fmt.Fprintf(t.stdout, format, a...)
	}
}

func (t *tool) errorf(format string, a ...any) { fmt.Fprintf(t.stderr, format, a...) }

func (t *tool) writeJSON(v any) {
	if !t.o.json {
		return
	}
	enc := json.NewEncoder(t.stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// jsonResult is an action's JSON document.
type jsonResult struct {
	Action string `json:"action"`
	Status string `json:"status"` // cs_strerror of the result
	Code   int32  `json:"code"`   // the cs_error_t value (1 = success)
}

func (t *tool) result(action string, e cfg.Error) {
	t.writeJSON(jsonResult{Action: action, Status: e.String(), Code: int32(e)})
}

// dial connects to cfg; on failure it prints corosync-cfgtool's message
// (numeric or named error) and returns nil.
func (t *tool) dial(named bool) *cfgclient.Client {
	c, err := cfgclient.Dial(t.ctx)
	if err == nil {
		return c
	}
	e := cserror.FromErrno(err)
	if named {
		t.errorf("Could not initialize corosync configuration API error %s\n", e.String())
	} else {
		t.errorf("Could not initialize corosync configuration API error %d\n", e)
	}
	return nil
}

func (t *tool) reload() int {
	t.printf("Reloading corosync.conf...\n")
	c := t.dial(true)
	if c == nil {
		return exitFail
	}
	defer c.Close()
	e := cserror.FromErrno(c.ReloadConfig(t.ctx))
	t.result("reload", e)
	if e != cserror.OK {
		t.errorf("Could not reload configuration. Error %s\n", e.String())
		return int(e)
	}
	t.printf("Done\n")
	return exitOK
}

func (t *tool) reopen() int {
	c := t.dial(true)
	if c == nil {
		return exitFail
	}
	defer c.Close()
	e := cserror.FromErrno(c.ReopenLogFiles(t.ctx))
	t.result("reopen", e)
	if e != cserror.OK {
		t.errorf("Could not reopen corosync logging files. Error %s\n", e.String())
		return int(e)
	}
	return exitOK
}

func (t *tool) kill() int {
	t.printf("Killing node %d\n", t.o.nodeid)
	c := t.dial(false)
	if c == nil {
		return exitFail
	}
	defer c.Close()
	e := cserror.FromErrno(c.KillNode(t.ctx, t.o.nodeid, "Killed by corosync-cfgtool"))
	t.result("kill", e)
	if e != cserror.OK {
		t.errorf("Could not kill node (error = %s)\n", e.String())
		return exitFail
	}
	return exitOK
}

// shutdown asks for a shutdown, retrying CS_ERR_TRY_AGAIN 30 times a
// second apart as corosync-cfgtool does; it exits 0 whatever the answer.
func (t *tool) shutdown() int {
	flags := cfg.ShutdownRequest
	if t.o.force {
		flags = cfg.ShutdownRegardless
	}
	c := t.dial(false)
	if c == nil {
		return exitFail
	}
	defer c.Close()
	t.printf("Shutting down corosync\n")
	var e cfg.Error
	for try := 0; try < 30; try++ {
		if e = cserror.FromErrno(c.TryShutdown(t.ctx, flags)); e != cserror.ErrTryAgain {
			break
		}
		select {
		case <-time.After(t.tryAgainSleep):
		case <-t.ctx.Done():
			try = 30
		}
	}
	t.result("shutdown", e)
	if e != cserror.OK {
		t.errorf("Could not shutdown (error = %d)\n", e)
	}
	return exitOK
}

func (t *tool) showAddrs() int {
	c := t.dial(false)
	if c == nil {
		return exitFail
	}
	defer c.Close()
	addrs, err := c.GetNodeAddrs(t.ctx, t.o.nodeid)
	if err != nil {
		t.errorf("Could not get node address for nodeid %d\n", t.o.nodeid)
		return exitFail
	}
	text := make([]string, len(addrs))
	for i, a := range addrs {
		text[i] = a.String()
	}
	t.printf("%s\n", strings.Join(text, " "))
	t.writeJSON(struct {
		NodeID uint32   `json:"nodeid"`
		Addrs  []string `json:"addrs"`
	}{t.o.nodeid, text})
	return exitOK
}
