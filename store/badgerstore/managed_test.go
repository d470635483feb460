package badgerstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/unifycdp/unify/store"
	"github.com/unifycdp/unify/store/badgerstore"
)

// A store written by Badger in its normal mode (as badgerstore wrote
// stores before it kept timestamps itself) opens with its data, takes
// new writes above the versions it holds, and opens in normal mode again
// afterwards.
func TestOpenNormalModeStore(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	bo := badger.DefaultOptions(dir).WithLogger(nil).WithMemTableSize(8 << 20).WithValueLogFileSize(16 << 20)
	db, err := badger.Open(bo)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 { // several versions of each key
		err := db.Update(func(txn *badger.Txn) error {
			for k := range 10 {
				if err := txn.Set(fmt.Appendf(nil, "k%d", k), fmt.Appendf(nil, "old %d", i)); err != nil {
					return err
				}
			}
			return txn.Delete([]byte("gone"))
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Update(func(txn *badger.Txn) error { return txn.Set([]byte("gone"), []byte("x")) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(txn *badger.Txn) error { return txn.Delete([]byte("gone")) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	s := open(t, dir)
	want := map[string]string{}
	for k := range 10 {
		want[fmt.Sprintf("k%d", k)] = "old 49"
	}
	checkKeys(t, s, want)
	// New writes go above the old versions.
	for range 3 {
		if err := s.Update(ctx, func(tx store.Tx) error { return tx.Set([]byte("k0"), []byte("new")) }); err != nil {
			t.Fatal(err)
		}
	}
	want["k0"] = "new"
	checkKeys(t, s, want)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, dir)
	checkKeys(t, s, want)
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.Set([]byte("k1"), []byte("newer")) }); err != nil {
		t.Fatal(err)
	}
	want["k1"] = "newer"
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// And back to normal mode: an older program reads what was written.
	db, err = badger.Open(bo)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got := map[string]string{}
	err = db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.DefaultIteratorOptions)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			got[string(it.Item().Key())] = string(v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("normal mode after managed writes: %v, want %v", got, want)
	}
}

func checkKeys(t *testing.T, s store.Store, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	err := s.View(context.Background(), func(tx store.Tx) error {
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
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("store holds %v, want %v", got, want)
	}
}

// Writes made after a reopen shadow those made before it: timestamps
// continue above what the store holds, also after a sorted load.
func TestReopenTimestamps(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	if err := s.LoadSorted(ctx, pairs(100)); err != nil {
		t.Fatal(err)
	}
	for round := range 4 {
		for i := range 5 {
			v := fmt.Appendf(nil, "round %d.%d", round, i)
			if err := s.Update(ctx, func(tx store.Tx) error { return tx.Set([]byte("k000007"), v) }); err != nil {
				t.Fatal(err)
			}
		}
		want := fmt.Sprintf("round %d.4", round)
		err := s.View(ctx, func(tx store.Tx) error {
			v, err := tx.Get([]byte("k000007"))
			if err != nil || string(v) != want {
				return fmt.Errorf("round %d: Get = %q, %v; want %q", round, v, err, want)
			}
			if v, err = tx.Get([]byte("k000008")); err != nil || string(v) != "value 8" {
				return fmt.Errorf("round %d: loaded key = %q, %v", round, v, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s = open(t, dir)
	}
}

// Transfers between accounts keep their sum, whatever runs alongside:
// every snapshot, taken while transfers, batches and reads interleave,
// sees the same sum (no commit is seen in part, and none is lost).
func TestConcurrentSnapshots(t *testing.T) {
	ctx := context.Background()
	for _, dir := range []string{"", t.TempDir()} {
		s := open(t, dir)
		const accounts, start = 4, 1000
		err := s.Update(ctx, func(tx store.Tx) error {
			for i := range accounts {
				if err := tx.Set(fmt.Appendf(nil, "acct%d", i), fmt.Appendf(nil, "%d", start)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		sum := func(tx store.Tx) (int, error) {
			total := 0
			for i := range accounts {
				v, err := tx.Get(fmt.Appendf(nil, "acct%d", i))
				if err != nil {
					return 0, err
				}
				var n int
				fmt.Sscan(string(v), &n)
				total += n
			}
			return total, nil
		}
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for w := range 8 { // transfers
			wg.Go(func() {
				for i := range 100 {
					from, to := (w+i)%accounts, (w+2*i+1)%accounts
					err := store.Retry(ctx, s, func(tx store.Tx) error {
						var a, b int
						va, err := tx.Get(fmt.Appendf(nil, "acct%d", from))
						if err != nil {
							return err
						}
						vb, err := tx.Get(fmt.Appendf(nil, "acct%d", to))
						if err != nil {
							return err
						}
						fmt.Sscan(string(va), &a)
						fmt.Sscan(string(vb), &b)
						if from == to {
							return nil
						}
						if err := tx.Set(fmt.Appendf(nil, "acct%d", from), fmt.Appendf(nil, "%d", a-7)); err != nil {
							return err
						}
						return tx.Set(fmt.Appendf(nil, "acct%d", to), fmt.Appendf(nil, "%d", b+7))
					}, store.RetryOptions{MaxAttempts: 1000})
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Go(func() { // batches of other keys
			for i := range 20 {
				b, err := s.NewBatch(ctx)
				if err != nil {
					errs <- err
					return
				}
				for j := range 200 {
					if err := b.Set(fmt.Appendf(nil, "batch%d.%d", i, j), []byte("x")); err != nil {
						errs <- err
						return
					}
				}
				if err := b.Flush(); err != nil {
					errs <- err
					return
				}
			}
		})
		for range 2 { // snapshots
			wg.Go(func() {
				for range 300 {
					err := s.View(ctx, func(tx store.Tx) error {
						total, err := sum(tx)
						if err == nil && total != accounts*start {
							err = fmt.Errorf("a snapshot sums to %d, want %d", total, accounts*start)
						}
						return err
					})
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		err = s.View(ctx, func(tx store.Tx) error {
			total, err := sum(tx)
			if err == nil && total != accounts*start {
				return fmt.Errorf("the final sum is %d, want %d", total, accounts*start)
			}
			return err
		})
		if err != nil {
			t.Error(err)
		}
		if err := s.Close(); err != nil && !errors.Is(err, store.ErrClosed) {
			t.Error(err)
		}
	}
}

var _ store.BatchWriter = (*badgerstore.Store)(nil)
