package unify

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"sync"

	"github.com/unifycdp/unify/internal/extsort"
	"github.com/unifycdp/unify/store"
)

// bulkTarget is where a bulk load is built: the engine's store itself, or,
// staged, sorted runs on disk that are then written to the empty store in
// one sorted pass.
type bulkTarget interface {
	// recordWriter takes the records; records reads them back, in key
	// order, once the writer is flushed.
	recordWriter(ctx context.Context) (store.Batch, error)
	records(ctx context.Context, fn func(key, value []byte) error) error
	// newBatch takes derived keys (graph, profiles, feed); several may be
	// open at once.
	newBatch(ctx context.Context) (store.Batch, error)
	// feedSeq returns the last sequence number of the target's feed.
	feedSeq(ctx context.Context) (uint64, error)
	// mark and unmark set and remove the marker of a bulk load under way.
	mark(ctx context.Context) error
	unmark(ctx context.Context) error
}

// storeTarget builds a bulk load in the store itself.
type storeTarget struct{ s store.Store }

func (t storeTarget) recordWriter(ctx context.Context) (store.Batch, error) {
	return store.NewWriter(ctx, t.s)
}

func (t storeTarget) newBatch(ctx context.Context) (store.Batch, error) {
	return store.NewWriter(ctx, t.s)
}

func (t storeTarget) records(ctx context.Context, fn func(key, value []byte) error) error {
	prefix := store.AppendString(nil, "r")
	return t.s.View(ctx, func(tx store.Tx) error {
		it := tx.Iterate(store.IterOptions{Prefix: prefix})
		defer it.Close()
		for n := 0; it.Next(); n++ {
			if n%4096 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			v, err := it.Value()
			if err != nil {
				return err
			}
			if err := fn(it.Key(), v); err != nil {
				return err
			}
		}
		return it.Err()
	})
}

func (t storeTarget) feedSeq(ctx context.Context) (uint64, error) {
	var seq uint64
	err := t.s.View(ctx, func(tx store.Tx) error {
		b, err := tx.Get(feedSeqKey)
		if err == nil && len(b) == 8 {
			seq = binary.BigEndian.Uint64(b)
		} else if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return nil
	})
	return seq, err
}

func (t storeTarget) mark(ctx context.Context) error {
	return store.Retry(ctx, t.s, func(tx store.Tx) error { return tx.Set(bulkMarkerKey, []byte{1}) }, store.RetryOptions{})
}

func (t storeTarget) unmark(ctx context.Context) error {
	return store.Retry(ctx, t.s, func(tx store.Tx) error { return tx.Delete(bulkMarkerKey) }, store.RetryOptions{})
}

// sortTarget stages a bulk load into an empty store in sorted runs on
// disk: records in one sorter, derived keys in a sorter per batch (so that
// writers on several goroutines neither wait for each other's lock nor for
// each other's run sorts), all merged into the store at the end (all).
type sortTarget struct {
	dir    string
	memory int // buffer of the records' sorter; derived sorters get half
	recs   *extsort.Sorter

	mu      sync.Mutex
	derived []*extsort.Sorter
}

// newSortTarget returns a sortTarget writing runs to dir; memory is the
// buffer of its records' sorter (0: 64 MiB). The records' sorter is full
// at the end of reading, when the identity tables are largest: at 10M
// records the anonymous RSS peaks there.
func newSortTarget(dir string, memory int) *sortTarget {
	if memory <= 0 {
		memory = 64 << 20
	}
	return &sortTarget{dir: dir, memory: memory, recs: extsort.New(extsort.Options{Dir: dir, Memory: memory})}
}

func (t *sortTarget) close() {
	t.recs.Close()
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, s := range t.derived {
		s.Close()
	}
}

func (t *sortTarget) recordWriter(context.Context) (store.Batch, error) {
	return sorterBatch{t.recs}, nil
}

func (t *sortTarget) newBatch(context.Context) (store.Batch, error) {
	s := extsort.New(extsort.Options{Dir: t.dir, Memory: max(1, t.memory/2)})
	t.mu.Lock()
	t.derived = append(t.derived, s)
	t.mu.Unlock()
	return sorterBatch{s}, nil
}

func (t *sortTarget) records(ctx context.Context, fn func(key, value []byte) error) error {
	var err error
	n := 0
	for k, v := range extsort.Merge(&err, t.recs) {
		if n++; n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return err
}

func (t *sortTarget) feedSeq(context.Context) (uint64, error) { return 0, nil } // an empty store
func (t *sortTarget) mark(context.Context) error              { return nil }    // nothing is in the store yet
func (t *sortTarget) unmark(context.Context) error            { return nil }

// all yields every key of the load in order, the load marker first. No
// key is in two sorters but the records', which all merges first.
func (t *sortTarget) all(errp *error) iter.Seq2[[]byte, []byte] {
	t.mu.Lock()
	defer t.mu.Unlock()
	marker := extsort.New(extsort.Options{Memory: 1 << 10})
	marker.Add(loadMarkerKey, []byte{1})
	t.derived = append(t.derived, marker)
	return extsort.Merge(errp, append([]*extsort.Sorter{t.recs}, t.derived...)...)
}

// sorterBatch is a store.Batch into a Sorter.
type sorterBatch struct{ s *extsort.Sorter }

func (b sorterBatch) Set(key, value []byte) error {
	if len(key) == 0 {
		return store.ErrEmptyKey
	}
	return b.s.Add(key, value)
}

func (b sorterBatch) Delete(key []byte) error {
	return fmt.Errorf("unify: staged import: delete of %q is not supported", key)
}

// Flush spills the batch's sorter: a derived batch takes nothing more, and
// its buffer need not wait for the merge. (The records' sorter is flushed
// once, when reading ends.)
func (b sorterBatch) Flush() error { return b.s.Spill() }
func (b sorterBatch) Cancel()      {}

var _ store.Batch = sorterBatch{}
