package store

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// ErrTxnDone is returned by a call on a transaction (or one of its
// iterators) after its closure has returned.
var ErrTxnDone = errors.New("store: transaction has ended")

// RetryOptions bounds Retry. The zero value gives the defaults.
type RetryOptions struct {
	// MaxAttempts is the most times fn runs; 0 means 10.
	MaxAttempts int
	// BaseDelay is the backoff before the second attempt, doubled for each
	// further attempt; 0 means 1ms. Each wait is drawn uniformly from
	// [d/2, d) (jitter), so that conflicting writers drift apart.
	BaseDelay time.Duration
	// MaxDelay caps the backoff; 0 means 100ms.
	MaxDelay time.Duration
}

// Retry runs fn in s.Update, and runs it again, after a jittered exponential
// backoff, while the commit fails with an error matching ErrConflict. It
// returns nil after a successful commit, fn's own error (which is not
// retried), the last conflict wrapped once the attempts run out, or ctx's
// error if ctx ends while waiting.
//
// fn may run several times, so it must not have effects outside tx.
func Retry(ctx context.Context, s Store, fn func(Tx) error, opts RetryOptions) error {
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 10
	}
	if opts.BaseDelay <= 0 {
		opts.BaseDelay = time.Millisecond
	}
	if opts.MaxDelay <= 0 {
		opts.MaxDelay = 100 * time.Millisecond
	}
	delay := opts.BaseDelay
	for attempt := 1; ; attempt++ {
		err := s.Update(ctx, fn)
		if err == nil || !errors.Is(err, ErrConflict) {
			return err
		}
		if attempt >= opts.MaxAttempts {
			return fmt.Errorf("store: giving up after %d attempts: %w", attempt, err)
		}
		wait := delay/2 + rand.N(delay/2+1)
		if delay < opts.MaxDelay {
			delay = min(2*delay, opts.MaxDelay)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
