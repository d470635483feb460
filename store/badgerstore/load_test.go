package badgerstore_test

import (
	"context"
	"fmt"
	"iter"
	"testing"

	"github.com/unifycdp/unify/store"
)

func pairs(n int) iter.Seq2[[]byte, []byte] {
	return func(yield func([]byte, []byte) bool) {
		for i := range n {
			if !yield(fmt.Appendf(nil, "k%06d", i), fmt.Appendf(nil, "value %d", i)) {
				return
			}
		}
	}
}

// LoadSorted's behaviour is in the conformance suite (storetest); what
// is Badger's own is that the tables it writes are there after a reopen.
func TestLoadSortedSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	if err := s.LoadSorted(ctx, pairs(10_000)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir)
	n := 0
	err := s.View(ctx, func(tx store.Tx) error {
		it := tx.Iterate(store.IterOptions{KeysOnly: true})
		defer it.Close()
		for it.Next() {
			n++
		}
		return it.Err()
	})
	if err != nil || n != 10_000 {
		t.Fatalf("after reopening: %d keys, %v; want 10000", n, err)
	}
}
