// Package coroparse reads corosync.conf as corosync 3.1.7 does and turns it
// into the keys cmap holds, typed views for the daemon, and the derived
// runtime.config.totem.* values.
//
// The syntax is corosync's: `name {` opens a section, `}` closes it,
// `key: value` sets a key, a line whose first non-blank character is `#` is
// a comment, blank lines are ignored. A `#` later on a line is part of the
// value, values are not unquoted, and the value runs to the end of the line
// with the blanks around it removed. Lines hold at most 510 characters.
//
// Keys are named by their section path (`totem.token`), typed as coroparse
// types them (most are strings), and a key set twice keeps the value corosync
// keeps (the last one, except inside logger_subsys, where corosync keeps the
// first). Repeated `node {}` sections become nodelist.node.0, .1, … in file
// order; `interface {}` sections become totem.interface.<linknumber>.*;
// `logger_subsys {}` sections become logging.logger_subsys.<subsys>.*.
//
// Validation follows corosync's coroparse and totemconfig, and every error
// names the file, the line and the key. Keys corosync 3.1.7 does not read are
// kept (as corosync keeps them) and reported as Warnings. Our own
// `dataplane {}` section is parsed into Config.Dataplane.
package coroparse
