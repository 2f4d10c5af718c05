package perf

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Machine describes where a benchmark ran.
type Machine struct {
	CPU         string  `json:"cpu"`
	Cores       int     `json:"cores"`
	MemoryGiB   float64 `json:"memory_gib"`
	OS          string  `json:"os"`
	Go          string  `json:"go"`
	NATSServer  string  `json:"nats_server"`
	FsyncMillis float64 `json:"fsync_ms"` // one synchronous 4 KiB write, median
}

func describeMachine() Machine {
	m := Machine{Cores: runtime.NumCPU(), OS: runtime.GOOS + "/" + runtime.GOARCH, Go: runtime.Version(), NATSServer: server.VERSION}
	m.CPU = procField("/proc/cpuinfo", "model name", ":")
	if kb, err := strconv.ParseFloat(strings.Fields(procField("/proc/meminfo", "MemTotal", ":") + " 0")[0], 64); err == nil {
		m.MemoryGiB = kb / (1 << 20)
	}
	return m
}

// procField returns the value of the first "key<sep> value" line of a
// /proc file, trimmed; "" if there is none.
func procField(path, key, sep string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), sep)
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// fsyncMillis times synchronous 4 KiB writes in dir (the disk the store is
// on) and returns the median, in ms; 0 if it cannot write there.
func fsyncMillis(dir string) float64 {
	f, err := os.Create(filepath.Join(dir, "fsync-probe"))
	if err != nil {
		return 0
	}
	defer os.Remove(f.Name())
	defer f.Close()
	buf := make([]byte, 4096)
	ds := make([]time.Duration, 0, 100)
	for range 100 {
		t := time.Now()
		if _, err := f.Write(buf); err != nil {
			return 0
		}
		if err := f.Sync(); err != nil {
			return 0
		}
		ds = append(ds, time.Since(t))
	}
	slices.Sort(ds)
	return float64(ds[len(ds)/2].Microseconds()) / 1000
}

// resetPeakRSS makes the kernel's high-water mark of the resident set
// (VmHWM) start again from the current RSS (Linux 4.0 and later; elsewhere
// it does nothing and peaks cover the whole run so far).
func resetPeakRSS() { _ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSSMiB returns VmHWM in MiB; 0 where /proc is missing.
func peakRSSMiB() float64 {
	kb, err := strconv.ParseFloat(strings.TrimSuffix(procField("/proc/self/status", "VmHWM", ":"), " kB"), 64)
	if err != nil {
		return 0
	}
	return kb / 1024
}
