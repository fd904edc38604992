package client

// SetForceFSFile points the client at another force-filesystem-sockets
// file and returns a function that restores the real one.
func SetForceFSFile(path string) (restore func()) {
	old := forceFSFile
	forceFSFile = path
	return func() { forceFSFile = old }
}
