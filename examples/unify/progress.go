package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// progress shows how an import goes: a bar redrawn in place on a terminal,
// a plain line now and then otherwise, or nothing.
type progress struct {
	w        io.Writer
	tty      bool
	every    time.Duration
	total    int64 // bytes of all input files
	bytes    atomic.Int64
	records  atomic.Int64
	start    time.Time
	stop     chan struct{}
	done     sync.WaitGroup
	lastLen  int
	readAt   time.Time // when all input was read
	readRecs int64     // records then
	finished atomic.Bool
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// startProgress starts showing progress on w; quiet shows none.
func startProgress(w io.Writer, total int64, quiet bool) *progress {
	p := &progress{w: w, tty: isTerminal(w), total: total, start: time.Now(), stop: make(chan struct{})}
	if quiet {
		return p
	}
	p.every = 10 * time.Second
	if p.tty {
		p.every = 200 * time.Millisecond // at most 5 redraws a second
	}
	p.done.Add(1)
	go func() {
		defer p.done.Done()
		t := time.NewTicker(p.every)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.draw()
			}
		}
	}()
	return p
}

// read counts n bytes of input read.
func (p *progress) read(n int) { p.bytes.Add(int64(n)) }

// end stops the display and clears the bar.
func (p *progress) end() {
	if p.finished.Swap(true) {
		return
	}
	close(p.stop)
	p.done.Wait()
	if p.tty && p.lastLen > 0 {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.lastLen))
	}
}

func (p *progress) draw() {
	elapsed := time.Since(p.start)
	recs, b := p.records.Load(), p.bytes.Load()
	frac := 0.0
	if p.total > 0 {
		frac = min(1, float64(b)/float64(p.total))
	}
	if frac >= 1 && p.readAt.IsZero() {
		p.readAt, p.readRecs = time.Now(), recs
	}
	rate := float64(recs) / max(elapsed.Seconds(), 1e-9)
	eta := "--:--"
	switch {
	case frac >= 1:
		// The engine resolves identities and derives every profile at the
		// end of an import, without progress reports.
		rate = float64(p.readRecs) / max(p.readAt.Sub(p.start).Seconds(), 1e-9)
		eta = "resolving profiles " + clock(time.Since(p.readAt))
	case frac > 0:
		eta = "ETA " + clock(time.Duration(float64(elapsed)*(1-frac)/frac))
	}
	if p.total == 0 { // standard input: the size is unknown
		line := fmt.Sprintf("%s read  %d records  %.0f rec/s", size(b), recs, rate)
		if !p.tty {
			fmt.Fprintf(p.w, "import: %s\n", line)
			return
		}
		p.redraw(line)
		return
	}
	if !p.tty {
		fmt.Fprintf(p.w, "import: %3.0f%% of %s read, %d records, %.0f records/s, %s\n", frac*100, size(p.total), recs, rate, eta)
		return
	}
	const width = 30
	n := int(frac * width)
	p.redraw(fmt.Sprintf("[%s%s] %3.0f%%  %d records  %.0f rec/s  %s", strings.Repeat("=", n), strings.Repeat(" ", width-n), frac*100, recs, rate, eta))
}

// redraw replaces the line on the terminal.
func (p *progress) redraw(line string) {
	pad := ""
	if len(line) < p.lastLen {
		pad = strings.Repeat(" ", p.lastLen-len(line))
	}
	fmt.Fprintf(p.w, "\r%s%s", line, pad)
	p.lastLen = len(line)
}

// clock formats d as m:ss or h:mm:ss.
func clock(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// size formats a byte count.
func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// countingReader counts the bytes read through it into a progress.
type countingReader struct {
	r io.Reader
	p *progress
}

func (c countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.p.read(n)
	return n, err
}
