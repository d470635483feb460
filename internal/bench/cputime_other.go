//go:build !unix

package main

import "time"

// cpuTime returns 0 where the process's CPU time is not read.
func cpuTime() time.Duration { return 0 }

// minorFaults returns 0 where page faults are not counted.
func minorFaults() int64 { return 0 }

// freshPageTouch returns 0 where it is not measured.
func freshPageTouch(int) time.Duration { return 0 }
