package badgerstore

import (
	"context"
	"errors"

	"github.com/dgraph-io/badger/v4"
	"github.com/unifycdp/unify/store"
)

// ErrNoRewrite is returned by RunValueLogGC when it rewrote no value log
// file: there was not enough garbage, or another GC was running.
var ErrNoRewrite = errors.New("badgerstore: value log GC rewrote nothing")

// RunValueLogGC rewrites at most one value log file in which at least
// discardRatio (0 < discardRatio < 1; 0.5 is a good choice) of the space is
// garbage. It returns nil when it rewrote a file, ErrNoRewrite when it did
// not, and nil at once for an in-memory store, which has no value log.
func (s *Store) RunValueLogGC(discardRatio float64) error {
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	if s.inMemory {
		return nil
	}
	err := s.db.RunValueLogGC(discardRatio)
	switch {
	case errors.Is(err, badger.ErrNoRewrite), errors.Is(err, badger.ErrRejected):
		return ErrNoRewrite
	case errors.Is(err, badger.ErrGCInMemoryMode):
		return nil
	}
	return translate("value log GC", err)
}

// GC runs value log GC with a discard ratio of 0.5 until it rewrites
// nothing or ctx ends. Call it periodically (say every few minutes) and
// after large deletions.
func (s *Store) GC(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if s.inMemory {
			return s.RunValueLogGC(0.5)
		}
		err := s.RunValueLogGC(0.5)
		if errors.Is(err, ErrNoRewrite) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// NewBatch returns a batch backed by a Badger WriteBatch. Its writes are
// committed in chunks as it fills and on Flush.
func (s *Store) NewBatch(ctx context.Context) (store.Batch, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	return &batch{s: s, wb: s.db.NewWriteBatch()}, nil
}

type batch struct {
	s    *Store
	wb   *badger.WriteBatch
	done bool
}

func (b *batch) use(key []byte) error {
	if b.done {
		return store.ErrTxnDone
	}
	if len(key) == 0 {
		return store.ErrEmptyKey
	}
	return b.s.acquire()
}

func (b *batch) Set(key, value []byte) error {
	if err := b.s.checkValue(value); err != nil {
		return err
	}
	if err := b.use(key); err != nil {
		return err
	}
	defer b.s.mu.RUnlock()
	// The WriteBatch keeps key and value; the caller may reuse them.
	return translate("batch set", b.wb.Set(store.Copy(key), store.Copy(value)))
}

func (b *batch) Delete(key []byte) error {
	if err := b.use(key); err != nil {
		return err
	}
	defer b.s.mu.RUnlock()
	return translate("batch delete", b.wb.Delete(store.Copy(key)))
}

func (b *batch) Flush() error {
	if err := b.use([]byte{0}); err != nil {
		return err
	}
	defer b.s.mu.RUnlock()
	b.done = true
	return translate("batch flush", b.wb.Flush())
}

func (b *batch) Cancel() {
	if b.done {
		return
	}
	b.done = true
	if b.s.acquire() == nil {
		defer b.s.mu.RUnlock()
	}
	b.wb.Cancel()
}
