// Command samapp is the application the sam package's tests supervise:
// each instance follows the mode its instance id picks and logs what it
// sees, one line per event, to the -log file.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/gorosync/gorosync/services/sam"
)

var (
	interval   = flag.Int("interval", 200, "health-check interval (ms)")
	policy     = flag.Int("policy", int(sam.PolicyRestart), "recovery policy")
	cmapName   = flag.String("cmap", "", "cmap service name")
	quorumName = flag.String("quorum", "", "quorum service name")
	logPath    = flag.String("log", "", "event log (appended)")
	modes      = flag.String("modes", "ok", "comma-separated mode per instance; the last repeats")
	code       = flag.Int("code", 0, "exit code of the modes that exit")
	holdMs     = flag.Int("hold", 500, "how long ok-like modes run (ms), unless -go appears")
	goFile     = flag.String("go", "", "ok-like modes stop once this file exists")
	startFile  = flag.String("startfile", "", "wait for this file before Start")
	preData    = flag.String("predata", "", "DataStore before Register")
	cbFail     = flag.Int("cbfail", 0, "cb mode: the callback fails from this call on (0: never)")
)

// maxLife bounds every instance: nothing the tests run should last longer.
const maxLife = 20 * time.Second

var inst uint32

func logf(format string, a ...any) {
	f, err := os.OpenFile(*logPath, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "%d %d "+format+"\n", append([]any{time.Now().UnixMilli(), inst}, a...)...)
}

func main() {
	flag.Parse()
	err := sam.InitializeOptions(*interval, sam.Policy(*policy), sam.Options{CmapService: *cmapName, QuorumService: *quorumName})
	if err != nil {
		logf("init-error %v", err)
		os.Exit(90)
	}
	if *preData != "" {
		_ = sam.DataStore([]byte(*preData))
	}
	id, err := sam.Register()
	if err != nil {
		logf("register-error %v", err)
		os.Exit(91)
	}
	inst = id
	n, _ := sam.DataGetSize()
	buf := make([]byte, n)
	_, _ = sam.DataRestore(buf)
	logf("inst pid=%d ppid=%d instance=%v size=%d data=%q", os.Getpid(), os.Getppid(), sam.IsInstance(), n, buf)
	ms := strings.Split(*modes, ",")
	mode := ms[min(int(id), len(ms))-1]
	run(mode)
}

func run(mode string) {
	switch mode {
	case "ok":
		start()
		beat(true)
		stopExit()
	case "lazy":
		start()
		beat(false)
		stopExit()
	case "hang":
		start()
		time.Sleep(maxLife)
	case "ignore":
		catchWarn()
		start()
		time.Sleep(maxLife)
	case "warnset":
		logf("warnset %v", sam.WarnSignalSet(syscall.SIGUSR1))
		catchWarn()
		start()
		time.Sleep(maxLife)
	case "exit":
		start()
		os.Exit(*code)
	case "exitstopped":
		os.Exit(*code)
	case "store":
		logf("store %v", sam.DataStore(fmt.Appendf(nil, "data-%d", inst)))
		start()
		time.Sleep(maxLife)
	case "markfailed":
		catchWarn()
		start()
		logf("markfailing")
		// The supervisor may SIGKILL us before this line is written.
		logf("markfailed %v", sam.MarkFailed())
		time.Sleep(maxLife)
	case "cb":
		callback()
	case "quorum":
		catchWarn()
		start()
		beat(true)
		stopExit()
	default:
		logf("unknown mode %q", mode)
		os.Exit(92)
	}
}

func start() {
	if *startFile != "" {
		waitFile(*startFile)
	}
	logf("starting")
	if err := sam.Start(); err != nil {
		logf("start-error %v", err)
		os.Exit(93)
	}
	logf("started")
}

// beat runs for -hold or until -go exists, sending heartbeats every
// interval/4 when hc.
func beat(hc bool) {
	end := time.Now().Add(time.Duration(*holdMs) * time.Millisecond)
	if *goFile != "" {
		end = time.Now().Add(maxLife)
	}
	for time.Now().Before(end) && !exists(*goFile) {
		if hc {
			if err := sam.HCSend(); err != nil {
				logf("hc-error %v", err)
			}
		}
		time.Sleep(time.Duration(max(*interval/4, 1)) * time.Millisecond)
	}
}

func stopExit() {
	logf("stop %v", sam.Stop())
	logf("finalize %v", sam.Finalize())
	logf("exit %d", *code)
	os.Exit(*code)
}

func callback() {
	calls := 0
	err := sam.HCCallbackRegister(func() error {
		calls++
		logf("cb %d", calls)
		if *cbFail > 0 && calls >= *cbFail {
			return errors.New("unhealthy")
		}
		return nil
	})
	logf("cbregister %v", err)
	start()
	time.Sleep(maxLife) // until the supervisor recovers us

}

func catchWarn() {
	ch := make(chan os.Signal, 4)
	signal.Notify(ch, syscall.SIGTERM, syscall.SIGUSR1)
	go func() {
		for s := range ch {
			logf("warn %d", s.(syscall.Signal))
		}
	}()
}

func exists(p string) bool {
	if p == "" {
		return false
	}
	_, err := os.Stat(p)
	return err == nil
}

func waitFile(p string) {
	end := time.Now().Add(maxLife)
	for !exists(p) && time.Now().Before(end) {
		time.Sleep(5 * time.Millisecond)
	}
}
