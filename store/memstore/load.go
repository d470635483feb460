package memstore

import (
	"bytes"
	"context"
	"fmt"
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
	var prev []byte
	n := 0
	for k, v := range kvs {
		if n > 0 && bytes.Compare(k, prev) <= 0 {
			return fmt.Errorf("%w: key %d", store.ErrUnsorted, n)
		}
		prev = append(prev[:0], k...)
		if err := b.Set(k, v); err != nil {
			return err
		}
		n++
	}
	return b.Flush()
}
