package cmap

import (
	"testing"

	"github.com/gorosync/gorosync/shm"
	"github.com/gorosync/gorosync/shm/shmtest"
)

// server is an in-process shm server serving a cmap Service, its poll
// goroutine the store's owner (Do).
type server struct {
	*shmtest.Server
	svc  *Service
	name string
}

func startServer(t testing.TB, name string, store *Store) *server {
	t.Helper()
	svc := NewService(store)
	s := shmtest.Start(t, shm.Config{Services: []shm.Service{{Name: name, Handler: svc}}})
	return &server{Server: s, svc: svc, name: name}
}
