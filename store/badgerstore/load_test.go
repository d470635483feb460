package badgerstore_test

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"testing"

	"github.com/google/go-cmp/cmp"

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

func TestLoadSorted(t *testing.T) {
	ctx := context.Background()
	for name, dir := range map[string]func(*testing.T) string{"disk": func(t *testing.T) string { return t.TempDir() }, "memory": func(*testing.T) string { return "" }} {
		t.Run(name, func(t *testing.T) {
			s := open(t, dir(t))
			if err := s.LoadSorted(ctx, pairs(50_000)); err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			err := s.View(ctx, func(tx store.Tx) error {
				it := tx.Iterate(store.IterOptions{})
				defer it.Close()
				for it.Next() {
					v, err := it.Value()
					if err != nil {
						return err
					}
					got[string(it.Key())] = string(v)
				}
				return it.Err()
			})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]string{}
			for k, v := range pairs(50_000) {
				want[string(k)] = string(v)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("loaded store (-want +got):\n%s", diff)
			}
			// Writes go on as usual after a load.
			if err := s.Update(ctx, func(tx store.Tx) error { return tx.Set([]byte("k999999"), []byte("later")) }); err != nil {
				t.Fatal(err)
			}
			if err := s.LoadSorted(ctx, pairs(1)); !errors.Is(err, store.ErrNotEmpty) {
				t.Errorf("LoadSorted into a store with keys: %v, want ErrNotEmpty", err)
			}
		})
	}
}

func TestLoadSortedRefusesDisorder(t *testing.T) {
	s := open(t, t.TempDir())
	unsorted := func(yield func([]byte, []byte) bool) {
		_ = yield([]byte("b"), nil) && yield([]byte("a"), nil)
	}
	if err := s.LoadSorted(context.Background(), unsorted); !errors.Is(err, store.ErrUnsorted) {
		t.Errorf("LoadSorted of b, a: %v, want ErrUnsorted", err)
	}
}

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
