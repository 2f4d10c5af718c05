//go:build unix

package main

import (
	"os"
	"runtime"
	"syscall"
)

// maxRSSMiB is the peak resident set of a process that has exited, from
// its rusage (Linux and the BSDs count ru_maxrss in KiB, macOS in bytes),
// or 0 when the system does not say.
func maxRSSMiB(ps *os.ProcessState) float64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok || ru == nil {
		return 0
	}
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return float64(ru.Maxrss) / (1 << 20)
	}
	return float64(ru.Maxrss) / 1024
}
