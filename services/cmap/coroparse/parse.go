package coroparse

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Options adjust how a configuration is read. The zero value does what
// corosync does: names are resolved with the system resolver, uidgid names
// with the system user and group databases.
type Options struct {
	// LookupHost resolves a ring, bind or multicast address that is not an
	// IP literal. Nil: the system resolver (net.DefaultResolver).
	LookupHost func(host string) ([]netip.Addr, error)
	// LookupUser and LookupGroup map uidgid{} names that are not numbers.
	// Nil: os/user.
	LookupUser  func(name string) (uint32, error)
	LookupGroup func(name string) (uint32, error)
}

// Parse reads a corosync.conf from r; name is used in error messages.
func Parse(name string, r io.Reader) (*Config, error) { return ParseWith(name, r, Options{}) }

// ParseWith is Parse with options.
func ParseWith(name string, r io.Reader, opt Options) (*Config, error) {
	p := newParser(name, opt)
	if err := p.read(r); err != nil {
		return nil, err
	}
	if err := p.build(); err != nil {
		return nil, err
	}
	return p.cfg, nil
}

// state is what a section is, as coroparse's parser states.
type state uint8

const (
	stTop state = iota
	stUnknown
	stTotem
	stInterface
	stMember
	stLogging
	stLoggerSubsys
	stLoggingDaemon
	stUidgid
	stQuorum
	stQdevice
	stQdeviceSub
	stNodelist
	stNode
	stSystem
	stResources
	stResourcesSub
	stNozzle
	stPload
	stDataplane
	stUidgidFile // a section of a uidgid.d file
)

type kvItem struct {
	key, value string
	line       int
}

type frame struct {
	path string
	name string
	st   state
	line int

	// interface{}
	linknumber uint64
	fields     map[string]pendingValue
	members    []kvItem

	// logger_subsys{} and logging_daemon{}
	subsys, daemon         string
	subsysLine, daemonLine int
	items                  []kvItem

	node int // node{}: its position in the nodelist
}

type pendingValue struct {
	v    Value
	line int
}

type parser struct {
	file    string
	opt     Options
	cfg     *Config
	stack   []*frame
	nodeNum int // next nodelist.node.N
	nodes   int // nodelist{} sections seen

	nodeLines  []int                   // line of each node{} section, by position
	ifaceLines [maxLinks]int           // line of each link's first interface{} section
	uidgidOnly bool                    // reading a uidgid.d file
	sections   map[string]int          // section path → line it first opened on
	lookups    map[string][]netip.Addr // resolved names, each looked up once
}

func newParser(file string, opt Options) *parser {
	return &parser{file: file, opt: opt, sections: map[string]int{}, lookups: map[string][]netip.Addr{}, cfg: &Config{
		File:  file,
		Keys:  map[string]Value{},
		Lines: map[string]int{},
		Local: -1,
	}}
}

func (p *parser) errf(line int, key, format string, args ...any) error {
	return &Error{File: p.file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) warnf(line int, key, format string, args ...any) {
	p.cfg.Warnings = append(p.cfg.Warnings, Warning{File: p.file, Line: line, Key: key, Msg: fmt.Sprintf(format, args...)})
}

func (p *parser) top() *frame {
	if len(p.stack) == 0 {
		return nil
	}
	return p.stack[len(p.stack)-1]
}

func (p *parser) path() string {
	if f := p.top(); f != nil {
		return f.path
	}
	return ""
}

func (p *parser) curState() state {
	if f := p.top(); f != nil {
		return f.st
	}
	return stTop
}

// read runs the syntax: one line at a time, as corosync's parse_section.
func (p *parser) read(r io.Reader) error {
	br := bufio.NewReaderSize(r, 4096)
	lineNo := 0
	for {
		raw, err := br.ReadSlice('\n')
		if len(raw) == 0 && err == io.EOF {
			break
		}
		lineNo++
		if errors.Is(err, bufio.ErrBufferFull) {
			return p.errf(lineNo, p.path(), "line too long (corosync reads at most %d characters a line)", maxLine)
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("%s:%d: %w", p.file, lineNo, err)
		}
		if err := p.line(string(raw), lineNo); err != nil {
			return err
		}
		if err == io.EOF {
			break
		}
	}
	if f := p.top(); f != nil {
		return p.errf(f.line, f.path, "section is not closed: missing '}' (the file ends at line %d)", lineNo)
	}
	return nil
}

func (p *parser) line(line string, lineNo int) error {
	line = strings.TrimSuffix(line, "\n")
	if len(line) > maxLine {
		return p.errf(lineNo, p.path(), "line too long (%d characters; corosync reads at most %d)", len(line), maxLine)
	}
	line = strings.TrimSuffix(line, "\r")
	if strings.IndexByte(line, 0) >= 0 {
		return p.errf(lineNo, p.path(), "NUL byte in line")
	}
	line = strings.TrimRight(line, " \t")
	body := strings.TrimLeft(line, " \t")
	if body == "" || body[0] == '#' {
		return nil // blank line or comment
	}
	if i := strings.IndexByte(line, '{'); i >= 0 {
		name := trimName(line[:i])
		if name == "" {
			return p.errf(lineNo, p.path(), "missing section name before '{'")
		}
		if rest := strings.Trim(line[i+1:], " \t"); rest != "" {
			return p.errf(lineNo, p.join(name), "extra characters %q after '{'", rest)
		}
		path := p.join(name)
		if len(path) >= maxKeyName {
			return p.errf(lineNo, path, "section path too long (cmap key names are shorter than %d characters)", maxKeyName)
		}
		if !validNameChars(name) {
			return p.errf(lineNo, path, "invalid section name %q (cmap names use only a-z A-Z 0-9 . _ - / :)", name)
		}
		return p.sectionStart(path, name, lineNo)
	}
	if i := strings.IndexByte(line, ':'); i >= 0 {
		key := trimName(line[:i])
		value := strings.TrimLeft(line[i+1:], " \t")
		if key == "" {
			return p.errf(lineNo, p.path(), "missing key name before ':'")
		}
		path := p.join(key)
		if len(path) >= maxKeyName {
			return p.errf(lineNo, path, "key name too long (cmap key names are shorter than %d characters)", maxKeyName)
		}
		if !validNameChars(key) {
			return p.errf(lineNo, path, "invalid key name %q (cmap names use only a-z A-Z 0-9 . _ - / :)", key)
		}
		return p.item(path, key, value, lineNo)
	}
	if strings.IndexByte(line, '}') >= 0 {
		if body != "}" {
			return p.errf(lineNo, p.path(), "extra characters before or after '}'")
		}
		if len(p.stack) == 0 {
			return p.errf(lineNo, "", "unexpected '}': no section is open")
		}
		return p.sectionEnd(lineNo)
	}
	return p.errf(lineNo, p.path(), "line %q is not 'name {', 'key: value' or '}'", body)
}

// trimName removes blanks around a section or key name and the ':' and '{'
// that may end it, keeping at least one character as corosync does.
func trimName(s string) string {
	s = strings.TrimLeft(s, " \t")
	end := len(s)
	for end > 1 && strings.IndexByte(" \t:{", s[end-1]) >= 0 {
		end--
	}
	return s[:end]
}

func (p *parser) join(name string) string {
	if cur := p.path(); cur != "" {
		return cur + "." + name
	}
	return name
}

func (p *parser) sectionStart(path, name string, line int) error {
	parent := p.curState()
	f := &frame{path: path, name: name, line: line}
	if _, ok := p.sections[path]; !ok {
		p.sections[path] = line
	}
	switch {
	case parent == stUidgidFile || (parent == stTop && p.uidgidFile()):
		if path != "uidgid" {
			return p.errf(line, path, "a uidgid.d file may hold only uidgid sections")
		}
		f.st = stUidgidFile
	case path == "totem":
		f.st = stTotem
	case path == "totem.interface":
		f.st = stInterface
		f.fields = map[string]pendingValue{}
	case path == "totem.interface.member":
		f.st = stMember
	case path == "logging":
		f.st = stLogging
	case path == "logging.logger_subsys":
		f.st = stLoggerSubsys
	case path == "logging.logging_daemon":
		f.st = stLoggingDaemon
	case path == "uidgid":
		f.st = stUidgid
	case path == "quorum":
		f.st = stQuorum
	case path == "quorum.device":
		f.st = stQdevice
	case parent == stQdevice || parent == stQdeviceSub:
		f.st = stQdeviceSub // corosync-qdevice's model settings
	case path == "nodelist":
		f.st = stNodelist
		p.nodeNum = 0
		p.nodes++
		if p.nodes > 1 {
			p.warnf(line, path, "second nodelist section: corosync numbers its nodes from 0 again, so they merge into the first section's nodes")
		}
	case path == "nodelist.node":
		f.st = stNode
		f.node = p.nodeNum
		if f.node == len(p.nodeLines) {
			p.nodeLines = append(p.nodeLines, line)
		}
	case path == "system":
		f.st = stSystem
	case path == "resources":
		f.st = stResources
	case parent == stResources || parent == stResourcesSub:
		f.st = stResourcesSub
	case path == "nozzle":
		f.st = stNozzle
	case path == "pload":
		f.st = stPload
	case path == "dataplane":
		f.st = stDataplane
	case parent == stInterface || parent == stMember || parent == stNode || parent == stLoggerSubsys ||
		parent == stLoggingDaemon || parent == stUidgid || parent == stDataplane:
		return p.errf(line, path, "section %q is not allowed inside %s{}", name, p.top().name)
	default:
		f.st = stUnknown
		if parent != stUnknown {
			p.warnf(line, path, "unknown section: corosync 3.1.7 keeps its keys but does not use them")
		}
	}
	p.stack = append(p.stack, f)
	return nil
}

func (p *parser) uidgidFile() bool { return p.uidgidOnly }

func (p *parser) sectionEnd(line int) error {
	f := p.top()
	p.stack = p.stack[:len(p.stack)-1]
	switch f.st {
	case stInterface:
		return p.endInterface(f)
	case stLoggerSubsys:
		if f.subsys == "" {
			return p.errf(line, f.path, "logger_subsys section without a subsys key")
		}
		prefix := "logging.logger_subsys." + f.subsys + "."
		// corosync applies the items newest first, so the first of a
		// repeated key is the one that stays.
		for _, it := range slices.Backward(f.items) {
			if err := p.set(prefix+it.key, Str(it.value), it.line); err != nil {
				return err
			}
		}
		return p.set(prefix+"subsys", Str(f.subsys), f.subsysLine)
	case stLoggingDaemon:
		return p.endLoggingDaemon(f, line)
	case stNode:
		p.nodeNum++
	}
	return nil
}

func (p *parser) endInterface(f *frame) error {
	prefix := "totem.interface." + strconv.FormatUint(f.linknumber, 10) + "."
	if p.ifaceLines[f.linknumber] == 0 {
		p.ifaceLines[f.linknumber] = f.line
	}
	for _, k := range []string{"bindnetaddr", "mcastaddr", "broadcast", "mcastport", "ttl", "knet_link_priority",
		"knet_ping_interval", "knet_ping_timeout", "knet_ping_precision", "knet_pong_count", "knet_transport"} {
		if pv, ok := f.fields[k]; ok {
			if err := p.set(prefix+k, pv.v, pv.line); err != nil {
				return err
			}
		}
	}
	// corosync numbers the legacy members newest first.
	for i, it := range slices.Backward(f.members) {
		idx := len(f.members) - 1 - i
		if err := p.set(prefix+"member."+strconv.Itoa(idx), Str(it.value), it.line); err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) endLoggingDaemon(f *frame, line int) error {
	if f.daemon == "" {
		return p.errf(line, f.path, "logging_daemon section without a name key")
	}
	p.warnf(f.line, f.path, "logging_daemon is deprecated; use logger_subsys")
	var prefix string
	switch {
	case f.subsys == "" && f.daemon == "corosync":
		prefix = "logging."
	case f.subsys == "":
		prefix = "logging.logging_daemon." + f.daemon + "."
	case f.daemon == "corosync":
		prefix = "logging.logger_subsys." + f.subsys + "."
	default:
		prefix = "logging.logging_daemon." + f.daemon + "." + f.subsys + "."
	}
	for _, it := range slices.Backward(f.items) {
		if err := p.set(prefix+it.key, Str(it.value), it.line); err != nil {
			return err
		}
	}
	switch {
	case f.subsys == "" && f.daemon != "corosync":
		return p.set(prefix+"name", Str(f.daemon), f.daemonLine)
	case f.subsys != "" && f.daemon == "corosync":
		return p.set(prefix+"subsys", Str(f.subsys), f.subsysLine)
	case f.subsys != "":
		if err := p.set(prefix+"subsys", Str(f.subsys), f.subsysLine); err != nil {
			return err
		}
		return p.set(prefix+"name", Str(f.daemon), f.daemonLine)
	}
	return nil
}

// set stores a key read from the file, warning when it was set before.
func (p *parser) set(name string, v Value, line int) error {
	if !validKeyName(name) {
		return p.errf(line, name, "invalid key name (cmap names are 3 to 255 characters of a-z A-Z 0-9 . _ - / :)")
	}
	if prev, ok := p.cfg.Lines[name]; ok && !p.uidgidOnly {
		if _, exists := p.cfg.Keys[name]; exists {
			lo, hi := min(prev, line), max(prev, line)
			p.warnf(hi, name, "set twice (lines %d and %d); corosync uses the value from line %d", lo, hi, line)
		}
	}
	p.cfg.Keys[name] = v
	p.cfg.Lines[name] = line
	return nil
}

// number converts a value as coroparse's safe_atoq: a decimal integer in
// the range of the type.
func (p *parser) number(t ValueType, key, value string, line int) (Value, error) {
	if t == U64 {
		digits := strings.TrimPrefix(value, "+")
		u, err := strconv.ParseUint(digits, 10, 64)
		switch {
		case err == nil && digits != "" && digits[0] != '+':
			return Uint(U64, u), nil
		case err != nil && isRange(err):
			return Value{}, p.errf(line, key, "%q is out of range 0..%d", value, uint64(1<<64-1))
		case strings.HasPrefix(value, "-"):
			if _, err := strconv.ParseUint(value[1:], 10, 64); err == nil || isRange(err) {
				return Value{}, p.errf(line, key, "%q is negative", value)
			}
		}
		return Value{}, p.errf(line, key, "%q is not a number", value)
	}
	lo, hi := int64(0), int64(0)
	switch t {
	case U8:
		hi = 255
	case U16:
		hi = 65535
	case U32:
		hi = 1<<32 - 1
	case I32:
		lo, hi = -1<<31, 1<<31-1
	}
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil && !isRange(err) {
		return Value{}, p.errf(line, key, "%q is not a number", value)
	}
	if err != nil || n < lo || n > hi {
		return Value{}, p.errf(line, key, "%q is out of range %d..%d", value, lo, hi)
	}
	if t.Signed() {
		return Int(t, n), nil
	}
	return Uint(t, uint64(n)), nil
}

func isRange(err error) bool { return errors.Is(err, strconv.ErrRange) }

func (p *parser) choice(key, value string, line int, allowed []string) error {
	if slices.Contains(allowed, value) {
		return nil
	}
	return p.errf(line, key, "%q is not one of %s", value, strings.Join(allowed, ", "))
}

// item handles one key: value line as coroparse's main_config_parser_cb.
func (p *parser) item(path, key, value string, line int) error {
	f := p.top()
	switch p.curState() {
	case stTop:
		if p.uidgidFile() {
			return p.errf(line, path, "a uidgid.d file may hold only uidgid sections")
		}
		p.warnf(line, path, "key outside any section: corosync keeps it but does not use it")
		return p.set(path, Str(value), line)
	case stUnknown, stQdeviceSub, stResourcesSub:
		if p.curState() == stResourcesSub && key == "poll_period" {
			v, err := p.number(U64, path, value, line)
			if err != nil {
				return err
			}
			return p.set(path, v, line)
		}
		return p.set(path, Str(value), line)
	case stTotem:
		return p.totemItem(path, key, value, line)
	case stInterface:
		return p.interfaceItem(f, path, key, value, line)
	case stMember:
		if key != "memberaddr" {
			return p.errf(line, path, "only memberaddr is allowed in a member section")
		}
		iface := p.stack[len(p.stack)-2]
		iface.members = append(iface.members, kvItem{key, value, line})
		return nil
	case stLogging:
		if err := p.loggingValue(path, key, value, line, true); err != nil {
			return err
		}
		return p.set(path, Str(value), line)
	case stLoggerSubsys, stLoggingDaemon:
		switch {
		case key == "subsys":
			f.subsys, f.subsysLine = value, line
			return nil
		case key == "name" && f.st == stLoggingDaemon:
			f.daemon, f.daemonLine = value, line
			return nil
		}
		if err := p.loggingValue(path, key, value, line, false); err != nil {
			return err
		}
		f.items = append(f.items, kvItem{key, value, line})
		return nil
	case stUidgid, stUidgidFile:
		return p.uidgidItem(path, key, value, line)
	case stQuorum:
		return p.typedItem(path, key, value, line, quorumU32, quorumU8, quorumStrings, "quorum")
	case stQdevice:
		return p.typedItem(path, key, value, line, qdeviceU32, qdeviceU8, nil, "")
	case stNodelist:
		p.warnf(line, path, "unknown key: nodelist{} holds only node{} sections")
		return p.set(path, Str(value), line)
	case stNode:
		return p.nodeItem(f, key, value, line)
	case stSystem:
		if err := p.systemValue(path, key, value, line); err != nil {
			return err
		}
		return p.set(path, Str(value), line)
	case stResources:
		if key == "watchdog_timeout" {
			v, err := p.number(U32, path, value, line)
			if err != nil {
				return err
			}
			return p.set(path, v, line)
		}
		if !resourcesKeys[key] {
			p.warnf(line, path, "unknown key: corosync 3.1.7 does not read it")
		}
		return p.set(path, Str(value), line)
	case stNozzle:
		return p.knownString(path, key, value, line, nozzleKeys)
	case stPload:
		return p.knownString(path, key, value, line, ploadKeys)
	case stDataplane:
		if !dataplaneKey(key) {
			p.warnf(line, path, "unknown key: dataplane{} takes cpu, idle, transport, linkN_transport, ring_size, gso and the test-only fault_* keys")
		}
		return p.set(path, Str(value), line)
	}
	return p.set(path, Str(value), line)
}

func (p *parser) knownString(path, key, value string, line int, known set) error {
	if !known[key] {
		p.warnf(line, path, "unknown key: corosync 3.1.7 does not read it")
	}
	return p.set(path, Str(value), line)
}

func (p *parser) typedItem(path, key, value string, line int, u32, u8, strs set, section string) error {
	var t ValueType
	switch {
	case u32[key]:
		t = U32
	case u8[key]:
		t = U8
	default:
		if section != "" && !strs[key] {
			p.warnf(line, path, "unknown key: corosync 3.1.7 does not read it")
		}
		return p.set(path, Str(value), line)
	}
	v, err := p.number(t, path, value, line)
	if err != nil {
		return err
	}
	return p.set(path, v, line)
}

func (p *parser) totemItem(path, key, value string, line int) error {
	var v Value
	var err error
	switch {
	case totemU32[key]:
		v, err = p.number(U32, path, value, line)
	case key == "knet_compression_level":
		v, err = p.number(I32, path, value, line)
	case key == "config_version":
		v, err = p.number(U64, path, value, line)
	default:
		v = Str(value)
		switch key {
		case "ip_version":
			err = p.choice(path, value, line, ipVersions)
		case "crypto_model":
			err = p.choice(path, value, line, cryptoModels)
		case "crypto_cipher":
			err = p.choice(path, value, line, cryptoCiphers)
		case "crypto_hash":
			err = p.choice(path, value, line, cryptoHashes)
		case "knet_compression_model":
			err = p.choice(path, value, line, compressModels)
		default:
			if !totemStrings[key] {
				p.warnf(line, path, "unknown key: corosync 3.1.7 does not read it")
			}
		}
	}
	if err != nil {
		return err
	}
	if totemObsolete[key] {
		p.warnf(line, path, "obsolete (corosync 2's redundant ring protocol): corosync 3 ignores it")
	}
	return p.set(path, v, line)
}

func (p *parser) interfaceItem(f *frame, path, key, value string, line int) error {
	var t ValueType
	switch key {
	case "linknumber":
		v, err := p.number(U8, path, value, line)
		if err != nil {
			return err
		}
		if v.U >= maxLinks {
			return p.errf(line, path, "link %d is above the maximum %d", v.U, maxLinks-1)
		}
		f.linknumber = v.U
		return nil
	case "bindnetaddr", "mcastaddr", "broadcast", "knet_transport":
		t = String
	case "mcastport":
		t = U16
	case "ttl", "knet_link_priority":
		t = U8
	case "knet_ping_interval", "knet_ping_timeout", "knet_ping_precision", "knet_pong_count":
		t = U32
	default:
		// corosync stores other keys under totem.interface.<key>, whatever
		// the link.
		if key == "ringnumber" {
			p.warnf(line, path, "unknown key: corosync 3 names links with linknumber")
		} else {
			p.warnf(line, path, "unknown key: corosync 3.1.7 does not read it")
		}
		return p.set(path, Str(value), line)
	}
	v := Str(value)
	if t != String {
		var err error
		if v, err = p.number(t, path, value, line); err != nil {
			return err
		}
	}
	if key == "knet_transport" {
		if err := p.choice(path, value, line, knetTransports); err != nil {
			return err
		}
	}
	if prev, ok := f.fields[key]; ok {
		p.warnf(line, path, "set twice in one interface section (lines %d and %d); corosync uses the value from line %d", prev.line, line, line)
	}
	f.fields[key] = pendingValue{v, line}
	return nil
}

func (p *parser) nodeItem(f *frame, key, value string, line int) error {
	name := "nodelist.node." + strconv.Itoa(f.node) + "." + key
	switch {
	case key == "nodeid" || key == "quorum_votes":
		v, err := p.number(U32, name, value, line)
		if err != nil {
			return err
		}
		return p.set(name, v, line)
	case key == "name":
	case ringLink(key) >= 0:
		if l := ringLink(key); l >= maxLinks {
			return p.errf(line, name, "link %d is above the maximum %d", l, maxLinks-1)
		}
	default:
		p.warnf(line, name, "unknown key: corosync 3.1.7 reads nodeid, name, quorum_votes and ring0_addr…ring7_addr")
	}
	return p.set(name, Str(value), line)
}

// ringLink returns X for a key ringX_addr (X written plainly), or -1.
func ringLink(key string) int {
	s, ok := strings.CutPrefix(key, "ring")
	if !ok {
		return -1
	}
	s, ok = strings.CutSuffix(s, "_addr")
	if !ok {
		return -1
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || strconv.Itoa(n) != s {
		return -1
	}
	return n
}

func (p *parser) loggingValue(path, key, value string, line int, top bool) error {
	switch {
	case loggingBoth[key]:
	case top && loggingTopOnly[key]:
	default:
		if top {
			p.warnf(line, path, "unknown key: corosync 3.1.7 does not read it")
		} else {
			p.warnf(line, path, "unknown key: corosync 3.1.7 does not read it in a logger_subsys section")
		}
		return nil
	}
	switch key {
	case "to_stderr", "to_syslog", "to_logfile", "to_file":
		if key == "to_file" {
			p.warnf(line, path, "to_file is obsolete; use to_logfile")
		}
		return p.choice(path, value, line, yesNoOnOff)
	case "fileline", "function_name", "blackbox":
		return p.choice(path, value, line, onOff)
	case "timestamp":
		return p.choice(path, value, line, timestampValues)
	case "debug":
		return p.choice(path, value, line, debugValues)
	case "syslog_facility":
		return p.choice(path, value, line, syslogFacilities)
	case "syslog_level", "syslog_priority", "logfile_priority":
		if key == "syslog_level" {
			p.warnf(line, path, "syslog_level is obsolete; use syslog_priority")
		}
		return p.choice(path, value, line, logPriorities)
	}
	return nil
}

func (p *parser) systemValue(path, key, value string, line int) error {
	switch key {
	case "qb_ipc_type":
		return p.choice(path, value, line, qbIPCTypes)
	case "sched_rr", "allow_knet_handle_fallback":
		return p.choice(path, value, line, yesNo)
	case "move_to_root_cgroup":
		return p.choice(path, value, line, moveToRootCgroups)
	case "priority":
		if _, err := ParsePriority(value); err != nil {
			return p.errf(line, path, "%v", err)
		}
	case "state_dir":
	default:
		p.warnf(line, path, "unknown key: corosync 3.1.7 does not read it")
	}
	return nil
}

func dataplaneKey(key string) bool {
	switch key {
	case "cpu", "idle", "transport", "ring_size", "gso":
		return true
	}
	if _, ok := faultKeys[key]; ok {
		return true
	}
	_, ok := linkTransportKey(key)
	return ok
}

// linkTransportKey returns X for linkX_transport (X written plainly).
func linkTransportKey(key string) (int, bool) {
	s, ok := strings.CutPrefix(key, "link")
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, "_transport")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 0 && strconv.Itoa(n) == s
}

func (p *parser) uidgidItem(path, key, value string, line int) error {
	var lookup func(string) (uint32, error)
	switch key {
	case "uid":
		lookup = p.opt.LookupUser
		if lookup == nil {
			lookup = systemUser
		}
	case "gid":
		lookup = p.opt.LookupGroup
		if lookup == nil {
			lookup = systemGroup
		}
	default:
		return p.errf(line, path, "only uid and gid are allowed in a uidgid section")
	}
	id, err := strconv.ParseUint(value, 10, 32)
	if err != nil {
		if id, err = uint64Of(lookup(value)); err != nil {
			return p.errf(line, path, "%v", err)
		}
	}
	return p.set("uidgid.config."+key+"."+strconv.FormatUint(id, 10), Uint(U8, 1), line)
}

func uint64Of(u uint32, err error) (uint64, error) { return uint64(u), err }
