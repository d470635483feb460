package badgerstore

import (
	"context"
	"errors"
	"sync"

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

// NewBatch returns a batch that commits its writes in transactions of
// the largest size Badger takes, each at a new timestamp (a Badger
// WriteBatch commits all at one timestamp in managed mode), up to
// maxPendingChunks of them queued at once.
func (s *Store) NewBatch(ctx context.Context) (store.Batch, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	return s.newBatch(), nil
}

func (s *Store) newBatch() *batch {
	// A chunk reads nothing: any read timestamp will do.
	return &batch{s: s, pending: make(chan struct{}, maxPendingChunks), txn: s.db.NewTransactionAt(0, true)}
}

// maxPendingChunks is how many chunks of a batch may wait to be applied,
// as Badger's WriteBatch's default.
const maxPendingChunks = 16

type batch struct {
	s       *Store
	txn     *badger.Txn // the chunk being filled
	n       int         // writes in txn
	done    bool
	pending chan struct{} // a token per chunk committing
	wg      sync.WaitGroup
	errMu   sync.Mutex
	err     error // the first chunk's error
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
	// The transaction keeps key and value; the caller may reuse them.
	k, v := store.Copy(key), store.Copy(value)
	return translate("batch set", b.add(func(txn *badger.Txn) error { return txn.SetEntry(badger.NewEntry(k, v)) }))
}

func (b *batch) Delete(key []byte) error {
	if err := b.use(key); err != nil {
		return err
	}
	defer b.s.mu.RUnlock()
	k := store.Copy(key)
	return translate("batch delete", b.add(func(txn *badger.Txn) error { return txn.Delete(k) }))
}

// add makes a write in the chunk, committing the chunk first when the
// write does not fit.
func (b *batch) add(write func(*badger.Txn) error) error {
	if err := b.firstErr(); err != nil {
		return err
	}
	err := write(b.txn)
	if errors.Is(err, badger.ErrTxnTooBig) && b.n > 0 {
		b.commit()
		err = write(b.txn)
	}
	if err == nil {
		b.n++
	}
	return err
}

// commit hands the chunk to Badger and starts a new one.
func (b *batch) commit() {
	if b.n == 0 {
		return
	}
	b.pending <- struct{}{}
	b.wg.Add(1)
	b.s.clock.commitAsync(b.txn, func(err error) {
		if err != nil {
			b.errMu.Lock()
			if b.err == nil {
				b.err = err
			}
			b.errMu.Unlock()
		}
		<-b.pending
		b.wg.Done()
	})
	b.txn, b.n = b.s.db.NewTransactionAt(0, true), 0
}

func (b *batch) firstErr() error {
	b.errMu.Lock()
	defer b.errMu.Unlock()
	return b.err
}

func (b *batch) Flush() error {
	if err := b.use([]byte{0}); err != nil {
		return err
	}
	defer b.s.mu.RUnlock()
	return translate("batch flush", b.flush())
}

// flush commits the last chunk and waits for all.
func (b *batch) flush() error {
	b.done = true
	if b.firstErr() == nil {
		b.commit()
	}
	b.txn.Discard()
	b.wg.Wait()
	return b.firstErr()
}

func (b *batch) Cancel() {
	if b.done {
		return
	}
	if b.s.acquire() == nil {
		defer b.s.mu.RUnlock()
	}
	b.cancel()
}

func (b *batch) cancel() {
	if b.done {
		return
	}
	b.done = true
	b.txn.Discard()
	b.wg.Wait() // chunks already handed to Badger stay
}
