package badgerstore

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/dgraph-io/badger/v4"

	"github.com/unifycdp/unify/store"
)

func openInternal(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(context.Background(), Options{Dir: dir, InMemory: dir == "", MemTableSize: 8 << 20, BlockCacheSize: 1 << 20, ValueLogFileSize: 16 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func setKey(t *testing.T, s *Store, k, v string) {
	t.Helper()
	if err := s.Update(context.Background(), func(tx store.Tx) error { return tx.Set([]byte(k), []byte(v)) }); err != nil {
		t.Fatal(err)
	}
}

// The discard timestamp follows commits but stays at or below the read
// timestamp of every open transaction, which keeps reading its snapshot.
func TestDiscardFollowsOpenTransactions(t *testing.T) {
	ctx := context.Background()
	s := openInternal(t, "")
	setKey(t, s, "k", "v0")
	inView, release, viewDone := make(chan uint64), make(chan struct{}), make(chan error)
	go func() {
		viewDone <- s.View(ctx, func(tx store.Tx) error {
			inView <- tx.(*txn).txn.ReadTs()
			<-release
			v, err := tx.Get([]byte("k"))
			if err == nil && string(v) != "v0" {
				err = fmt.Errorf("the open View reads %q, want its snapshot's v0", v)
			}
			return err
		})
	}()
	viewTs := <-inView
	for i := range 100 {
		setKey(t, s, "k", fmt.Sprint("v", i+1))
	}
	s.clock.mu.Lock()
	discard, readTs := s.clock.discard, s.clock.readTs
	s.clock.mu.Unlock()
	if discard > viewTs {
		t.Errorf("discard timestamp %d above the open View's read timestamp %d", discard, viewTs)
	}
	if readTs != viewTs+100 {
		t.Errorf("read timestamp %d after 100 commits above %d", readTs, viewTs)
	}
	close(release)
	if err := <-viewDone; err != nil {
		t.Fatal(err)
	}
	setKey(t, s, "k", "last")
	s.clock.mu.Lock()
	discard, readTs = s.clock.discard, s.clock.readTs
	active := len(s.clock.active)
	s.clock.mu.Unlock()
	if discard != readTs-1 || active != 0 {
		t.Errorf("after the View: discard %d, read %d, %d open; want discard one below read, none open", discard, readTs, active)
	}
}

// Versions shadowed below the discard timestamp go at compaction: they do
// not pile up.
func TestOldVersionsCompactAway(t *testing.T) {
	dir := t.TempDir()
	s := openInternal(t, dir)
	// Tables on the last level, so that Flatten compacts the first's.
	err := s.LoadSorted(context.Background(), func(yield func([]byte, []byte) bool) {
		yield([]byte("a"), []byte("loaded"))
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		setKey(t, s, "k", fmt.Sprint("v", i))
	}
	if err := s.Close(); err != nil { // the memtable goes to a table
		t.Fatal(err)
	}
	s = openInternal(t, dir)
	if err := s.db.Flatten(1); err != nil {
		t.Fatal(err)
	}
	versions := 0
	txn := s.db.NewTransactionAt(math.MaxUint64, false)
	defer txn.Discard()
	it := txn.NewKeyIterator([]byte("k"), badger.IteratorOptions{AllVersions: true})
	defer it.Close()
	for it.Rewind(); it.Valid(); it.Next() {
		versions++
	}
	if versions != 1 {
		t.Errorf("%d versions of a key written 100 times, after compaction; want 1", versions)
	}
}
