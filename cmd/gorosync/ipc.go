package main

import (
	"fmt"
	"strings"

	"github.com/gorosync/gorosync/dataplane/loop"
	"github.com/gorosync/gorosync/services/cmap"
	"github.com/gorosync/gorosync/shm"
)

// The IPC server is every kind of poller the loop knows: it flushes event
// notifications after a pass, reads deferred request bytes before a sleep
// and takes requests from its clients' rings while the loop spins.
var _ interface {
	loop.Poller
	loop.Flusher
	loop.Sleeper
	loop.Spinner
} = (*shm.Server)(nil)

// openIPC starts the libqb-compatible IPC server with the services that
// exist so far (cmap, loaded from the configuration), for the token loop
// to poll. Clients are refused with -EAGAIN until the first sync round
// completed, as corosync refuses them, and are
// authorised by corosync's policy (root, or the uidgid keys).
func (d *daemon) openIPC() (*shm.Server, error) {
	store := d.cmap
	cmapSvc := cmap.NewService(store)
	cmapSvc.Stats, cmapSvc.Refresh = d.stats, d.refresh
	mode, err := shm.ParseMode(d.cfg.System.QbIPCType)
	if err != nil {
		return nil, err
	}
	srv, err := shm.New(shm.Config{
		Services: d.ipcServices(cmapSvc),
		Mode:     mode,
		Authorize: shm.CorosyncPolicy(func(key string) bool {
			v, ok := store.Get(key)
			return ok && v.Type == cmap.U8 && len(v.Data) == 1 && v.Data[0] == 1
		}),
		Ready: d.host.SyncedOnce,
		Log:   d.logs.Logger("QB"),
		// corosync queues events for a slow reader without bound; a
		// Pacemaker daemon busy for a second under cpg traffic must not be
		// cut off, so the count bound is far above shm's default and the
		// bytes bound is what protects the daemon.
		EventQueue:      eventQueueEvents,
		EventQueueBytes: eventQueueBytes,
	})
	if err != nil {
		return nil, err
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("IPC: %w (is another corosync or gorosync running in this network namespace?)", err)
	}
	var names []string
	for _, svc := range d.ipcServices(cmapSvc) {
		names = append(names, svc.Name)
	}
	d.log.Info("IPC server ready", "services", strings.Join(names, " "), "mode", mode)
	return srv, nil
}

// ipcPrefix is put before every service's socket name (-ipc-prefix), so
// that several daemons can serve in one network namespace, where the
// abstract socket names are shared. It is set once by run, before the
// daemon starts, and only read after.
var ipcPrefix string

// maxIPCPrefix leaves room for the longest service name ("votequorum")
// within shm's 64-byte socket names.
const maxIPCPrefix = 32

// checkIPCPrefix refuses a prefix the IPC server could not serve under:
// the names become abstract socket names and /dev/shm file names.
func checkIPCPrefix(p string) error {
	if len(p) > maxIPCPrefix || strings.ContainsAny(p, "/\x00") {
		return fmt.Errorf("-ipc-prefix %q: want at most %d bytes without '/' or NUL", p, maxIPCPrefix)
	}
	return nil
}

// The per-connection bounds of events queued while a client's event
// channel is full.
const (
	eventQueueEvents = 1 << 20
	eventQueueBytes  = 256 << 20
)

// ipcServices lists what the IPC server serves: corosync's socket names,
// after ipcPrefix.
func (d *daemon) ipcServices(cmapSvc *cmap.Service) []shm.Service {
	list := []shm.Service{
		{Name: "cmap", Handler: cmapSvc},
		{Name: "cfg", Handler: d.eng.cfg},
		{Name: "cpg", Handler: d.eng.cpg},
		{Name: "quorum", Handler: d.eng.quorum},
	}
	if d.eng.vq != nil {
		list = append(list, shm.Service{Name: "votequorum", Handler: d.eng.vq})
	}
	for i := range list {
		list[i].Name = ipcPrefix + list[i].Name
	}
	return list
}
