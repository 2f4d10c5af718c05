//go:build !unix

package main

import "os"

// maxRSSMiB: this system gives no peak resident set of a child (the bench
// then reports its own).
func maxRSSMiB(*os.ProcessState) float64 { return 0 }
