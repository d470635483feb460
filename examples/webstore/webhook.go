package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/unifycdp/unify"
)

// pusher delivers the change feed to a webhook, in order, at least once,
// and remembers in a file the last sequence number delivered.
type pusher struct {
	eng   *unify.Engine
	url   string
	state string // file holding the last delivered seq
	log   *slog.Logger

	client     *http.Client
	timeout    time.Duration // of one delivery
	minBackoff time.Duration
	maxBackoff time.Duration
}

func newPusher(eng *unify.Engine, url, state string, log *slog.Logger) *pusher {
	return &pusher{eng: eng, url: url, state: state, log: log,
		client: http.DefaultClient, timeout: 10 * time.Second,
		minBackoff: 500 * time.Millisecond, maxBackoff: time.Minute}
}

// run delivers changes until ctx is done or the engine closes. Cancelling
// ctx lets the delivery in flight finish (and be recorded) but stops
// retries. It returns an error only when it cannot record its position.
func (p *pusher) run(ctx context.Context) error {
	last, err := readSeq(p.state)
	if err != nil {
		return err
	}
	p.log.Info("webhook: resuming", "after_seq", last)
	backoff := p.minBackoff
	for {
		var werr error
		for c, err := range p.eng.Watch(ctx, last+1) {
			if err != nil {
				werr = err
				break
			}
			if !p.deliver(ctx, c) {
				return nil
			}
			if err := writeSeq(p.state, c.Seq); err != nil {
				return err
			}
			last, backoff = c.Seq, p.minBackoff
			if ctx.Err() != nil {
				return nil // Watch would go on through its batch
			}
		}
		if werr == nil || errors.Is(werr, unify.ErrClosed) {
			return nil // ctx done or engine closed
		}
		p.log.Error("webhook: reading the feed", "err", werr, "retry_in", backoff)
		if !sleep(ctx, jitter(backoff)) {
			return nil
		}
		backoff = min(2*backoff, p.maxBackoff)
	}
}

// deliver POSTs c until the webhook answers 2xx. It returns false when ctx
// is done before then.
func (p *pusher) deliver(ctx context.Context, c unify.Change) bool {
	body, err := json.Marshal(c)
	if err != nil {
		panic(err) // a Change always encodes
	}
	backoff := p.minBackoff
	for attempt := 1; ; attempt++ {
		err := p.post(ctx, c.Seq, body)
		if err == nil {
			return true
		}
		p.log.Warn("webhook: delivery failed", "seq", c.Seq, "attempt", attempt, "err", err, "retry_in", backoff)
		if !sleep(ctx, jitter(backoff)) {
			return false
		}
		backoff = min(2*backoff, p.maxBackoff)
	}
}

// post makes one delivery. A delivery started is not cut short by ctx
// (only by the timeout), so that a shutdown does not leave the receiver
// with a change the state file does not know was delivered.
func (p *pusher) post(ctx context.Context, seq uint64, body []byte) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, p.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Unify-Seq", strconv.FormatUint(seq, 10))
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // reuse the connection
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}

// sleep waits d; false when ctx is done first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// jitter spreads d by ±20%, so that many pushers do not retry in step.
func jitter(d time.Duration) time.Duration {
	return d + time.Duration((rand.Float64()-0.5)*0.4*float64(d))
}

// readSeq reads the last delivered sequence number; 0 when the file does
// not exist yet.
func readSeq(name string) (uint64, error) {
	b, err := os.ReadFile(name)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	seq, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("corrupt webhook position in %s: %w", name, err)
	}
	return seq, nil
}

// writeSeq replaces the file atomically (write, fsync, rename), so that a
// crash leaves the old number or the new one.
func writeSeq(name string, seq uint64) error {
	f, err := os.CreateTemp(filepath.Dir(name), filepath.Base(name)+".tmp*")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "%d\n", seq)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), name)
	}
	if err != nil {
		os.Remove(f.Name())
	}
	return err
}
