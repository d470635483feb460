package memstore

import (
	"context"
	"iter"

	"github.com/unifycdp/unify/store"
)

// LoadSorted writes kvs into the empty store through one batch (which
// sorts and builds the tree in large runs anyway); see store.SortedLoader.
func (s *Store) LoadSorted(ctx context.Context, kvs iter.Seq2[[]byte, []byte]) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	if s.Len() > 0 {
		return store.ErrNotEmpty
	}
	b, err := s.NewBatch(ctx)
	if err != nil {
		return err
	}
	defer b.Cancel()
	if err := store.EachSorted(kvs, b.Set); err != nil {
		return err
	}
	return b.Flush()
}
