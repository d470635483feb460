package unify_test

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

// cpuMeter measures the CPU time of the benchmark goroutine's thread, which
// it locks: what the operations cost, without the store's background work,
// on a machine too busy for wall-clock figures. Stop reports it per
// operation as the metric cpu-ns/op.
type cpuMeter struct {
	b     *testing.B
	total time.Duration
	start time.Duration
	ok    bool
}

func threadCPU(b *testing.B) *cpuMeter {
	runtime.LockOSThread()
	m := &cpuMeter{b: b, ok: true}
	m.Resume()
	return m
}

// Pause and Resume leave work out, with b.StopTimer and b.StartTimer.
func (m *cpuMeter) Pause() {
	t, ok := threadTime()
	m.total += t - m.start
	m.ok = m.ok && ok
}

func (m *cpuMeter) Resume() {
	t, ok := threadTime()
	m.start = t
	m.ok = m.ok && ok
}

func (m *cpuMeter) Stop() {
	m.Pause()
	runtime.UnlockOSThread()
	if m.ok && m.b.N > 0 {
		m.b.ReportMetric(float64(m.total)/float64(m.b.N), "cpu-ns/op")
	}
}

func threadTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(0x1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
