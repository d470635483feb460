package memstore

import (
	"context"

	"github.com/unifycdp/unify/store"
)

// batchFlushAt is the number of pending writes at which a batch commits
// them on its own, to bound its memory.
const batchFlushAt = 1 << 16

// NewBatch returns a batch that commits its writes every 65536 writes and on
// Flush. Its commits do not check for conflicts, but transactions that read
// the keys it writes do conflict with it.
func (s *Store) NewBatch(ctx context.Context) (store.Batch, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if s.closed.Load() {
		return nil, store.ErrClosed
	}
	return &batch{s: s, ctx: ctx, pending: newBtree()}, nil
}

type batch struct {
	s       *Store
	ctx     context.Context
	pending *btree
	done    bool
}

func (b *batch) Set(key, value []byte) error { return b.write(key, value, false) }

func (b *batch) Delete(key []byte) error { return b.write(key, nil, true) }

func (b *batch) write(key, value []byte, del bool) error {
	switch {
	case b.done:
		return store.ErrTxnDone
	case len(key) == 0:
		return store.ErrEmptyKey
	}
	b.pending.set(newItem(key, value, del))
	if b.pending.length >= batchFlushAt {
		return b.commit()
	}
	return nil
}

func (b *batch) commit() error {
	if err := b.ctx.Err(); err != nil {
		return err
	}
	s := b.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed.Load() {
		return store.ErrClosed
	}
	if b.pending.length > 0 {
		s.apply(b.pending, nil)
		b.pending = newBtree()
	}
	return nil
}

func (b *batch) Flush() error {
	if b.done {
		return store.ErrTxnDone
	}
	b.done = true
	return b.commit()
}

func (b *batch) Cancel() {
	b.done = true
	b.pending = nil
}
