//go:build unix

package peers

import "syscall"

// flushDisk writes back the dirty pages the untimed seeding left (SQLite
// seeded with synchronous=OFF), so they do not slow the first timed rows.
func flushDisk() { syscall.Sync() }
