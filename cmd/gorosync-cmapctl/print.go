package main

import "github.com/gorosync/gorosync/services/cmap"

// printPrefixes lists the keys under each prefix (all keys without one).
// As corosync-cmapctl, it fails when every prefix (or the whole map)
// came out empty.
func (t *tool) printPrefixes(prefixes []string) int {
	empty := 0
	if len(prefixes) == 0 {
		prefixes = []string{""}
	}
	for _, p := range prefixes {
		n, code := t.printIter(p)
		if code != 0 {
			return code
		}
		if n == 0 {
			empty++
		}
	}
	t.flushJSON()
	if empty > 0 && empty >= len(t.cfg.args) {
		return 1
	}
	return 0
}

// printIter prints the keys under prefix and returns how many there were.
func (t *tool) printIter(prefix string) (int, int) {
	h, err := t.c.IterInit(t.ctx, prefix)
	if err != nil {
		t.errorf("Failed to initialize iteration. Error %s\n", strerror(err))
		return 0, 1
	}
	n := 0
	for {
		ki, err := t.c.IterNext(t.ctx, h)
		if err != nil {
			break
		}
		n++
		t.printKey(ki.Key, ki.Type, nil)
	}
	_ = t.c.IterFinalize(t.ctx, h)
	return n, 0
}

// getKeys is -g: each key's type, then its value; the first missing key
// ends the run.
func (t *tool) getKeys(keys []string) int {
	defer t.flushJSON()
	for _, k := range keys {
		ki, err := t.c.Info(t.ctx, k)
		if err != nil {
			t.errorf("Can't get key %s. Error %s\n", k, strerror(err))
			return 1
		}
		t.printKey(k, ki.Type, nil)
	}
	return 0
}

// fetch reads key's value as print_key does for its type: typed getters
// (the type must still be typ), the value of a binary key only with -b,
// nothing for an unknown type. CS_ERR_TRY_AGAIN is retried.
func (t *tool) fetch(key string, typ cmap.ValueType) (cmap.Value, error) {
	v := cmap.Value{Type: typ}
	if typ < cmap.I8 || typ > cmap.Binary || typ == cmap.Binary && !t.cfg.showBinary && !t.cfg.json {
		return v, nil
	}
	err := t.retry(func() error {
		got, err := t.c.Get(t.ctx, key)
		if err == nil && got.Type != typ && typ != cmap.Binary {
			err = cmap.ErrInvalid // libcmap's typed getters check the type
		}
		v.Data = got.Data
		return err
	})
	return v, err
}

// printKey prints one key; val nil: fetched first (an error is reported
// and the key skipped).
func (t *tool) printKey(key string, typ cmap.ValueType, val *cmap.Value) {
	if val == nil {
		v, err := t.fetch(key, typ)
		if err != nil {
			t.errorf("Can't get value of %s. Error %s\n", key, strerror(err))
			return
		}
		val = &v
	}
	if t.cfg.json {
		t.json = append(t.json, jsonLine(jsonEntry{Key: key, Type: typ.String(), Value: jsonValue(*val)}))
		return
	}
	t.out.WriteString(keyLine(key, *val, t.cfg.quiet, t.cfg.showBinary) + "\n")
}

// flushJSON prints the --json array of the keys printed so far.
func (t *tool) flushJSON() {
	if !t.cfg.json {
		return
	}
	if len(t.json) == 0 {
		t.out.WriteString("[]\n")
		return
	}
	t.out.WriteString("[\n")
	for i, e := range t.json {
		sep := ",\n"
		if i == len(t.json)-1 {
			sep = "\n"
		}
		t.out.WriteString("  " + e + sep)
	}
	t.out.WriteString("]\n")
	t.json = nil
}

// deletePrefix deletes every key under prefix; failures are reported and
// the others still deleted.
func (t *tool) deletePrefix(prefix string) int {
	h, err := t.c.IterInit(t.ctx, prefix)
	if err != nil {
		t.errorf("Failed to initialize iteration. Error %s\n", strerror(err))
		return 1
	}
	for {
		ki, err := t.c.IterNext(t.ctx, h)
		if err != nil {
			break
		}
		if err := t.c.Delete(t.ctx, ki.Key); err != nil {
			t.errorf("Can't delete key %s. Error %s\n", ki.Key, strerror(err))
		}
	}
	_ = t.c.IterFinalize(t.ctx, h)
	return 0
}
