//go:build !linux

package unify_test

import "testing"

// cpuMeter reports nothing outside Linux.
type cpuMeter struct{}

func threadCPU(*testing.B) *cpuMeter { return &cpuMeter{} }
func (*cpuMeter) Pause()             {}
func (*cpuMeter) Resume()            {}
func (*cpuMeter) Stop()              {}
