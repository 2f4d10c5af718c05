//go:build unix

package main

import (
	"os"
	"syscall"
)

// ownedByUs reports whether fi belongs to the user this process runs as.
func ownedByUs(fi os.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid()
}
