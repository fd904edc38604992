package main

import (
	"fmt"
	"io"
	"strings"
)

// getopt parses options as glibc's getopt(3) does for corosync-cmapctl:
// clustered short options (-bg), arguments attached (-mstats) or in the
// next word, "--" ending the options, and GNU permutation: words that are
// not options are set aside and parsing goes on past them, unless
// POSIXLY_CORRECT is set. Errors are glibc's messages, written when the
// bad option is reached. Long options are our extension: only those
// named in long, as whole words.
type getopt struct {
	prog    string
	args    []string // what is left to scan
	spec    string   // "m:hq…": a letter, ':' when it takes an argument
	long    []string // recognised long options, without "--"
	posix   bool
	errw    io.Writer
	cluster string   // the rest of the word being scanned
	longOpt string   // a long option word just reached
	operand []string // the words that are not options, in order
}

// Option kinds next returns besides the letters.
const (
	optEnd  = -1 // no more options: operands() holds the rest
	optBad  = '?'
	optLong = -2 // a long option: its name is the argument
)

// next returns the next option and its argument.
func (g *getopt) next() (int, string) {
	if g.cluster == "" {
		if !g.nextWord() {
			return optEnd, ""
		}
		if g.longOpt != "" {
			name := g.longOpt
			g.longOpt = ""
			return optLong, name
		}
	}
	c := g.cluster[0]
	g.cluster = g.cluster[1:]
	i := strings.IndexByte(g.spec, c)
	if c == ':' || i < 0 {
		fmt.Fprintf(g.errw, "%s: invalid option -- '%c'\n", g.prog, c)
		return optBad, ""
	}
	if i+1 >= len(g.spec) || g.spec[i+1] != ':' {
		return int(c), ""
	}
	if g.cluster != "" {
		arg := g.cluster
		g.cluster = ""
		return int(c), arg
	}
	if len(g.args) == 0 {
		fmt.Fprintf(g.errw, "%s: option requires an argument -- '%c'\n", g.prog, c)
		return optBad, ""
	}
	arg := g.args[0]
	g.args = g.args[1:]
	return int(c), arg
}

// nextWord moves to the next option word, setting operands aside; it
// reports false at the end of the options. g.cluster is then the word
// without its '-', or g.longOpt the name of a long option.
func (g *getopt) nextWord() bool {
	for len(g.args) > 0 {
		w := g.args[0]
		g.args = g.args[1:]
		switch {
		case w == "--":
			g.operand = append(g.operand, g.args...)
			g.args = nil
			return false
		case len(w) < 2 || w[0] != '-':
			g.operand = append(g.operand, w)
			if g.posix {
				g.operand = append(g.operand, g.args...)
				g.args = nil
				return false
			}
			continue
		case strings.HasPrefix(w, "--") && g.isLong(w[2:]):
			g.longOpt = w[2:]
			return true
		}
		g.cluster = w[1:]
		return true
	}
	return false
}

func (g *getopt) isLong(name string) bool {
	for _, l := range g.long {
		if l == name {
			return true
		}
	}
	return false
}

// operands are the words that were not options, in their order, once
// next has returned optEnd.
func (g *getopt) operands() []string { return g.operand }
