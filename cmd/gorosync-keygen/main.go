// Command gorosync-keygen writes a totem authentication key, as corosync
// 3.1.7's corosync-keygen does, for totem.crypto_cipher / totem.crypto_hash
// (see package dataplane/link/crypto). The key file is interchangeable with
// corosync's.
//
//	gorosync-keygen [-k <keyfile>] [-s size] [-r <randomfile>] [-l] [-h]
//
//	-k, --key-file=FILE     write FILE instead of /etc/corosync/authkey
//	-s, --size=BYTES        key length in bytes, 128..4096 (default 256,
//	                        i.e. 2048 bits)
//	-r, --random-file=FILE  read the key from FILE instead of the kernel's
//	                        CSPRNG (crypto/rand, getrandom(2): the
//	                        /dev/urandom pool, corosync's default source)
//	-l, --less-secure       ignored; kept for compatibility, as in corosync
//	-h, --help              print usage
//
// As corosync-keygen, it overwrites an existing key file (open with
// O_CREAT|O_TRUNC, mode 0600, then chmod 0400 before writing) and exits 1
// for usage and random-source errors, 2 when the file cannot be created, 3
// when its mode cannot be set, 4 when the key cannot be written, 5 when the
// file cannot be closed. Unlike corosync-keygen, a stray operand (e.g.
// "gorosync-keygen /tmp/key") is an error rather than silently ignored, so a
// mistyped -k never overwrites the default key.
package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/gorosync/gorosync/dataplane/link/crypto"
)

const (
	progName       = "gorosync-keygen"
	defaultKeyLen  = 256 // bytes, corosync's DEFAULT_KEYFILE_LEN
	defaultRandom  = "/dev/urandom"
	randomDevBlock = "/dev/random"
)

const usage = `Usage: gorosync-keygen [-k <keyfile>] [-s size] [-r <randomfile>] [-l] [-h]
     -k / --key-file=<filename> -  Write to the specified keyfile
            instead of the default ` + crypto.DefaultKeyFile + `.
     -r / --random-file -  Random number source file. Default is
            the kernel's CSPRNG (the /dev/urandom pool). As an example
            /dev/random may be requested.
     -l / --less-secure - Not used, option is kept only
            for compatibility.
     -s / --size -  Length of key in bytes (` + "128..4096, default 256" + `).
     -h / --help -  Print basic usage.
`

// options are the parsed command line.
type options struct {
	keyFile    string
	size       int    // bytes
	randomFile string // "" means crypto/rand
	help       bool
}

// exitError carries corosync-keygen's exit status for a failure.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// errBadSize is corosync-keygen's message for -s out of range.
var errBadSize = fail(1, "Unsupported key size (supported <%d,%d>)", crypto.MinKeyLen, crypto.MaxKeyLen)

func fail(code int, format string, a ...any) error {
	return &exitError{code: code, err: fmt.Errorf(format, a...)}
}

type longOpt struct {
	name   string
	short  byte
	hasArg bool
}

var longOpts = []longOpt{
	{"key-file", 'k', true},
	{"less-secure", 'l', false},
	{"random-file", 'r', true},
	{"size", 's', true},
	{"help", 'h', false},
}

func shortHasArg(c byte) (known, hasArg bool) {
	for _, o := range longOpts {
		if o.short == c {
			return true, o.hasArg
		}
	}
	return false, false
}

// parseArgs reads the options getopt_long-style ("k:r:s:lh" plus the long
// names, which may be abbreviated): -kFILE, -k FILE, --key-file=FILE,
// --key-file FILE, clustered flags (-lh), and "--" ending the options.
func parseArgs(args []string) (options, error) {
	o := options{keyFile: crypto.DefaultKeyFile, size: defaultKeyLen}
	set := func(c byte, val string) error {
		switch c {
		case 'k':
			o.keyFile = val
		case 'r':
			o.randomFile = val
		case 's':
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil || n < crypto.MinKeyLen || n > crypto.MaxKeyLen {
				return errBadSize
			}
			o.size = int(n)
		case 'l': // only kept for compatibility
		case 'h':
			o.help = true
		}
		return nil
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			if i+1 < len(args) {
				return o, fail(1, "unexpected argument %q", args[i+1])
			}
			return o, nil
		case strings.HasPrefix(a, "--"):
			name, val, hasVal := strings.Cut(a[2:], "=")
			var match *longOpt
			for j := range longOpts {
				if longOpts[j].name == name {
					match = &longOpts[j]
					break
				}
				if strings.HasPrefix(longOpts[j].name, name) {
					if match != nil {
						return o, fail(1, "option '--%s' is ambiguous", name)
					}
					match = &longOpts[j]
				}
			}
			if match == nil {
				return o, fail(1, "unrecognized option '--%s'", name)
			}
			if !match.hasArg && hasVal {
				return o, fail(1, "option '--%s' doesn't allow an argument", match.name)
			}
			if match.hasArg && !hasVal {
				if i+1 >= len(args) {
					return o, fail(1, "option '--%s' requires an argument", match.name)
				}
				i++
				val = args[i]
			}
			if err := set(match.short, val); err != nil || o.help {
				return o, err // getopt order: -h prints usage at once
			}
		case len(a) > 1 && a[0] == '-':
			for j := 1; j < len(a); j++ {
				c := a[j]
				known, hasArg := shortHasArg(c)
				if !known {
					return o, fail(1, "invalid option -- '%c'", c)
				}
				if !hasArg {
					if err := set(c, ""); err != nil || o.help {
						return o, err
					}
					continue
				}
				val := a[j+1:]
				if val == "" {
					if i+1 >= len(args) {
						return o, fail(1, "option requires an argument -- '%c'", c)
					}
					i++
					val = args[i]
				}
				if err := set(c, val); err != nil {
					return o, err
				}
				break
			}
		default:
			return o, fail(1, "unexpected argument %q (the key file is given with -k)", a)
		}
	}
	return o, nil
}

// generate writes a fresh key of o.size bytes to o.keyFile, read from
// o.randomFile or, when that is "", from crypto/rand; it prints
// corosync-keygen's progress lines to stdout.
func generate(o options, stdout io.Writer) error {
	if o.size < crypto.MinKeyLen || o.size > crypto.MaxKeyLen {
		return errBadSize
	}
	fmt.Fprintf(stdout, "Corosync Cluster Engine Authentication key generator.\n")
	var random io.Reader = rand.Reader
	randomName := defaultRandom
	if o.randomFile != "" {
		randomName = o.randomFile
	}
	fmt.Fprintf(stdout, "Gathering %d bits for key from %s.\n", o.size*8, randomName)
	if o.randomFile != "" {
		rf, err := os.Open(o.randomFile)
		if err != nil {
			return fail(1, "Failed to open random source: %w", unwrapPath(err))
		}
		defer rf.Close()
		random = rf
	}
	if randomName == randomDevBlock {
		fmt.Fprintf(stdout, "Press keys on your keyboard to generate entropy.\n")
	}
	key := make([]byte, o.size)
	defer clear(key)
	if n, err := io.ReadFull(random, key); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return fail(1, "Could not read %s: only %d of %d bytes available", randomName, n, o.size)
		}
		return fail(1, "Could not read %s: %w", randomName, unwrapPath(err))
	}

	path := o.keyFile
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fail(2, "Could not create %s: %w", path, unwrapPath(err))
	}
	if err := f.Chmod(0o400); err != nil {
		f.Close()
		return fail(3, "Failed to set key file permissions to 0400: %w", unwrapPath(err))
	}
	fmt.Fprintf(stdout, "Writing corosync key to %s.\n", path)
	if _, err := f.Write(key); err != nil {
		f.Close()
		return fail(4, "Could not write %s: %w", path, unwrapPath(err))
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fail(4, "Could not write %s: %w", path, unwrapPath(err))
	}
	if err := f.Close(); err != nil {
		return fail(5, "Could not close %s: %w", path, unwrapPath(err))
	}
	return nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// run is the whole command; it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", progName, err)
		if !errors.Is(err, errBadSize) {
			fmt.Fprintf(stdout, "Error parsing command line options.\n")
		}
		return 1
	}
	if o.help {
		fmt.Fprintf(stdout, "%s\n", usage)
		return 0
	}
	if err := generate(o, stdout); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", progName, err)
		var ee *exitError
		if errors.As(err, &ee) {
			return ee.code
		}
		return 1
	}
	return 0
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}
