package memstore

import (
	"cmp"
	"context"
	"slices"

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
	return &batch{s: s, ctx: ctx}, nil
}

// batch collects its writes in order; a commit sorts them and keeps the
// last write of each key.
type batch struct {
	s       *Store
	ctx     context.Context
	pending []seqItem
	done    bool
}

// seqItem is a write and its position in the batch.
type seqItem struct {
	item
	seq int
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
	if b.pending == nil {
		b.pending = make([]seqItem, 0, 1024)
	}
	b.pending = append(b.pending, seqItem{newItem(key, value, del), len(b.pending)})
	if len(b.pending) >= batchFlushAt {
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
	if len(b.pending) > 0 {
		s.apply(b.sorted(), nil)
		clear(b.pending)
		b.pending = b.pending[:0]
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

// sorted returns the pending writes sorted by key, the last of each key.
func (b *batch) sorted() []item {
	p := b.pending
	slices.SortFunc(p, func(x, y seqItem) int {
		if c := compareItems(&x.item, &y.item); c != 0 {
			return c
		}
		return cmp.Compare(x.seq, y.seq)
	})
	run := make([]item, 0, len(p))
	for i := range p {
		if i+1 < len(p) && p[i+1].pfx == p[i].pfx && string(p[i+1].key()) == string(p[i].key()) {
			continue // overwritten
		}
		run = append(run, p[i].item)
	}
	return run
}
