package coroparse

import (
	"bytes"
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
)

// Load reads the corosync.conf at path and, as corosync does, every regular
// file in the uidgid.d directory beside it.
func Load(path string) (*Config, error) { return LoadWith(path, Options{}) }

// LoadWith is Load with options.
func LoadWith(path string, opt Options) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("coroparse: %w", err)
	}
	p := newParser(path, opt)
	if err := p.read(bytes.NewReader(data)); err != nil {
		return nil, err
	}
	if err := p.readUidgidDir(filepath.Join(filepath.Dir(path), "uidgid.d")); err != nil {
		return nil, err
	}
	if err := p.build(); err != nil {
		return nil, err
	}
	return p.cfg, nil
}

// readUidgidDir reads uidgid.d files: uidgid{} sections with uid and gid
// keys only. A missing directory is fine.
func (p *parser) readUidgidDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	for _, name := range names {
		full := filepath.Join(dir, name)
		if st, err := os.Stat(full); err != nil || !st.Mode().IsRegular() {
			continue
		}
		data, err := os.ReadFile(full)
		if err != nil {
			continue // corosync skips files it cannot open
		}
		q := &parser{file: full, opt: p.opt, cfg: p.cfg, uidgidOnly: true, sections: map[string]int{}}
		if err := q.read(bytes.NewReader(data)); err != nil {
			return err
		}
	}
	return nil
}

func systemUser(name string) (uint32, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return 0, fmt.Errorf("user %q not found", name)
	}
	id, err := strconv.ParseUint(u.Uid, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("user %q has no numeric uid", name)
	}
	return uint32(id), nil
}

func systemGroup(name string) (uint32, error) {
	g, err := user.LookupGroup(name)
	if err != nil {
		return 0, fmt.Errorf("group %q not found", name)
	}
	id, err := strconv.ParseUint(g.Gid, 10, 32)
	if err != nil {
		return 0, fmt.Errorf("group %q has no numeric gid", name)
	}
	return uint32(id), nil
}
