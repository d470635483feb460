package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/unifycdp/unify/store"
)

// testSortedLoad checks store.SortedLoader, for stores that implement it:
// the data set lands whole and in order, writes go on after it, a second
// load finds the store not empty, and keys out of order are refused.
func testSortedLoad(t *testing.T, s store.Store) {
	sl, ok := s.(store.SortedLoader)
	if !ok {
		t.Skip("not a store.SortedLoader")
	}
	ctx := context.Background()
	const n = 20_000
	want := map[string]string{}
	kvs := func(yield func([]byte, []byte) bool) {
		k, v := []byte{}, []byte{}
		for i := range n {
			// The slices are reused: the loader must copy.
			k = fmt.Appendf(k[:0], "k%06d", i)
			v = fmt.Appendf(v[:0], "value %d", i)
			want[string(k)] = string(v)
			if !yield(k, v) {
				return
			}
		}
	}
	if err := sl.LoadSorted(ctx, kvs); err != nil {
		t.Fatalf("LoadSorted: %v", err)
	}
	got := map[string]string{}
	var order []string
	err := s.View(ctx, func(tx store.Tx) error {
		it := tx.Iterate(store.IterOptions{})
		defer it.Close()
		for it.Next() {
			v, err := it.Value()
			if err != nil {
				return err
			}
			got[string(it.Key())] = string(v)
			order = append(order, string(it.Key()))
		}
		return it.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("loaded store (-want +got):\n%s", diff)
	}
	if len(order) != n || order[0] != "k000000" || order[n-1] != fmt.Sprintf("k%06d", n-1) {
		t.Errorf("iteration order: %d keys from %q to %q", len(order), order[0], order[len(order)-1])
	}
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.Set([]byte("k999999"), []byte("later")) }); err != nil {
		t.Fatalf("Update after LoadSorted: %v", err)
	}
	one := func(yield func([]byte, []byte) bool) { yield([]byte("a"), []byte("b")) }
	if err := sl.LoadSorted(ctx, one); !errors.Is(err, store.ErrNotEmpty) {
		t.Errorf("LoadSorted into a store with keys: %v, want ErrNotEmpty", err)
	}
}

// testSortedLoadOrder checks that keys out of order are refused.
func testSortedLoadOrder(t *testing.T, s store.Store) {
	sl, ok := s.(store.SortedLoader)
	if !ok {
		t.Skip("not a store.SortedLoader")
	}
	for name, keys := range map[string][]string{"descending": {"b", "a"}, "duplicate": {"a", "a"}} {
		unsorted := func(yield func([]byte, []byte) bool) {
			for _, k := range keys {
				if !yield([]byte(k), nil) {
					return
				}
			}
		}
		if err := sl.LoadSorted(context.Background(), unsorted); !errors.Is(err, store.ErrUnsorted) {
			t.Errorf("%s: LoadSorted: %v, want ErrUnsorted", name, err)
		}
	}
}
