package badgerstore_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"testing"

	"github.com/unifycdp/unify/store"
	"github.com/unifycdp/unify/store/badgerstore"
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
	if n := countKeys(t, s); n != 10_000 {
		t.Fatalf("after reopening: %d keys; want 10000", n)
	}
}

func countKeys(t *testing.T, s store.Store) int {
	t.Helper()
	n := 0
	err := s.View(context.Background(), func(tx store.Tx) error {
		it := tx.Iterate(store.IterOptions{KeysOnly: true})
		defer it.Close()
		for it.Next() {
			n++
		}
		return it.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A load that fails part of the way leaves nothing: Badger registers its
// tables as they are built, so what it wrote is not a prefix that a
// marker key at the front could vouch for.
func TestLoadSortedFailureLeavesNothing(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	dir := t.TempDir()
	s := open(t, dir)
	big := make([]byte, 512) // enough pairs for several of the load's 32 MiB writes
	err := s.LoadSorted(ctx, func(yield func([]byte, []byte) bool) {
		for i := range 400_000 {
			if i == 300_000 {
				cancel()
			}
			if !yield(fmt.Appendf(nil, "k%07d", i), big) {
				return
			}
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("LoadSorted cancelled: %v", err)
	}
	if n := countKeys(t, s); n != 0 {
		t.Errorf("after a failed load: %d keys, want none", n)
	}
	if _, err := os.Stat(filepath.Join(dir, "UNIFY-LOAD-PENDING")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the load's mark stayed: %v", err)
	}
	// The store takes a load again.
	if err := s.LoadSorted(context.Background(), pairs(100)); err != nil {
		t.Fatal(err)
	}
	if n := countKeys(t, s); n != 100 {
		t.Errorf("after a second load: %d keys, want 100", n)
	}
}

// A store whose load was cut short by the end of its process (its mark
// left in the directory) is emptied by a read-write Open, and refused by a
// read-only one.
func TestInterruptedLoadEmptiedOnOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	if err := s.LoadSorted(ctx, pairs(1000)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// What a process killed during a load leaves: its tables so far and
	// the mark.
	if err := os.WriteFile(filepath.Join(dir, "UNIFY-LOAD-PENDING"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := badgerstore.Open(ctx, badgerstore.Options{Dir: dir, ReadOnly: true}); !errors.Is(err, badgerstore.ErrLoadInterrupted) {
		t.Errorf("read-only Open: %v, want ErrLoadInterrupted", err)
	}
	s = open(t, dir)
	if n := countKeys(t, s); n != 0 {
		t.Errorf("after Open: %d keys, want none", n)
	}
	if _, err := os.Stat(filepath.Join(dir, "UNIFY-LOAD-PENDING")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the mark stayed: %v", err)
	}
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.Set([]byte("k"), []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	if n := countKeys(t, s); n != 1 {
		t.Errorf("after a write: %d keys, want 1", n)
	}
}
