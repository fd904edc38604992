package sam

import (
	"syscall"

	"github.com/gorosync/gorosync/services/cserror"
)

func (l *lib) warnSignalSet(sig syscall.Signal) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.usable() {
		return cserror.ErrBadHandle
	}
	if sig < 0 || sig > maxSignal {
		return cserror.ErrInvalidParam
	}
	if l.hasParent() {
		if err := l.link.call(cmdWarnSignal, le.AppendUint32(nil, uint32(sig))); err != nil {
			return err
		}
	}
	l.warnSig = sig
	return nil
}

// maxSignal is the highest Linux signal number (SIGRTMAX).
const maxSignal = 64

func (l *lib) markFailed() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.hasParent() {
		return cserror.ErrBadHandle
	}
	if !l.policy.cmap() {
		return cserror.ErrInvalidParam
	}
	// The supervisor answers with SIGKILL.
	return l.link.send(cmdMarkFailed)
}

func (l *lib) dataGetSize() (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.usable() {
		return 0, cserror.ErrBadHandle
	}
	return len(l.data), nil
}

func (l *lib) dataRestore(buf []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if buf == nil {
		return 0, cserror.ErrInvalidParam
	}
	if !l.usable() {
		return 0, cserror.ErrBadHandle
	}
	if len(buf) < len(l.data) {
		return 0, cserror.ErrInvalidParam
	}
	return copy(buf, l.data), nil
}

func (l *lib) dataStore(data []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.usable() {
		return cserror.ErrBadHandle
	}
	if len(data) > MaxDataSize {
		return cserror.ErrNoMemory
	}
	if l.hasParent() {
		if err := l.link.call(cmdDataStore, data); err != nil {
			return err
		}
	}
	if len(data) == 0 {
		l.data = nil
		return nil
	}
	l.data = append([]byte(nil), data...)
	return nil
}

func (l *lib) hcCallbackRegister(cb func() error) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.st != stInitialized && l.st != stRegistered {
		return cserror.ErrBadHandle
	}
	if l.intervalMs == 0 {
		return cserror.ErrInvalidParam
	}
	if !l.cbSet && cb == nil {
		return cserror.ErrInvalidParam
	}
	l.hcCB, l.cbSet = cb, true
	// Only a child health-checks; the supervisor's copy of the callback
	// is never run (its instances run main again and register their own).
	if l.link != nil && l.hc == nil {
		l.hc = newHCLoop(l)
	}
	return nil
}
