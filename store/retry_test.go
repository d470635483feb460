package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/unifycdp/unify/store"
)

// conflictStore fails Update with a wrapped ErrConflict until fails runs out.
type conflictStore struct {
	store.Store
	fails, calls int
}

func (s *conflictStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	s.calls++
	if s.fails > 0 {
		s.fails--
		return fmt.Errorf("commit: %w", store.ErrConflict)
	}
	return fn(nil)
}

func TestRetry(t *testing.T) {
	ctx := context.Background()
	fast := store.RetryOptions{BaseDelay: time.Microsecond}
	ok := func(store.Tx) error { return nil }

	s := &conflictStore{fails: 3}
	if err := store.Retry(ctx, s, ok, fast); err != nil || s.calls != 4 {
		t.Errorf("3 conflicts: err = %v after %d calls, want nil after 4", err, s.calls)
	}
	s = &conflictStore{fails: 100}
	if err := store.Retry(ctx, s, ok, fast); !errors.Is(err, store.ErrConflict) || s.calls != 10 {
		t.Errorf("endless conflicts: err = %v after %d calls, want ErrConflict after 10 (default)", err, s.calls)
	}
	errBoom := errors.New("boom")
	s = &conflictStore{}
	if err := store.Retry(ctx, s, func(store.Tx) error { return errBoom }, fast); !errors.Is(err, errBoom) || s.calls != 1 {
		t.Errorf("fn error: err = %v after %d calls, want boom after 1", err, s.calls)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	s = &conflictStore{fails: 100}
	if err := store.Retry(cctx, s, ok, store.RetryOptions{BaseDelay: time.Hour}); !errors.Is(err, context.Canceled) || s.calls != 1 {
		t.Errorf("canceled: err = %v after %d calls, want context.Canceled after 1", err, s.calls)
	}
}
