package badgerstore_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/unifycdp/unify/store"
	"github.com/unifycdp/unify/store/badgerstore"
	"github.com/unifycdp/unify/store/storetest"
)

// testOptions keeps tables small so that tests start and stop fast.
func testOptions(dir string) badgerstore.Options {
	return badgerstore.Options{
		Dir:              dir,
		InMemory:         dir == "",
		MemTableSize:     8 << 20,
		BlockCacheSize:   1 << 20,
		ValueLogFileSize: 16 << 20,
	}
}

func open(t testing.TB, dir string) *badgerstore.Store {
	t.Helper()
	s, err := badgerstore.Open(context.Background(), testOptions(dir))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, "") })
}

func TestConformanceOnDisk(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, t.TempDir()) })
}

func TestReopen(t *testing.T) {
	storetest.RunReopen(t, func(t *testing.T, dir string) store.Store { return open(t, dir) })
}

// Every compression setting stores and reads back the same, across a reopen.
func TestReopenCompression(t *testing.T) {
	for name, c := range map[string]badgerstore.Compression{"none": badgerstore.NoCompression, "zstd": badgerstore.ZSTD} {
		t.Run(name, func(t *testing.T) {
			storetest.RunReopen(t, func(t *testing.T, dir string) store.Store {
				o := testOptions(dir)
				o.Compression = c
				s, err := badgerstore.Open(context.Background(), o)
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				t.Cleanup(func() { s.Close() })
				return s
			})
		})
	}
}

// Tables keep the compression they were written with: a store reopened
// with another setting reads what it holds.
func TestChangeCompression(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	val := bytes.Repeat([]byte("profile "), 64)
	for i, c := range []badgerstore.Compression{badgerstore.Snappy, badgerstore.NoCompression, badgerstore.ZSTD, badgerstore.Snappy} {
		o := testOptions(dir)
		o.Compression = c
		s, err := badgerstore.Open(ctx, o)
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		err = s.Update(ctx, func(tx store.Tx) error { return tx.Set(fmt.Appendf(nil, "k%d", i), val) })
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil { // flushes the memtable into a table
			t.Fatal(err)
		}
		if s, err = badgerstore.Open(ctx, o); err != nil {
			t.Fatal(err)
		}
		err = s.View(ctx, func(tx store.Tx) error {
			for j := 0; j <= i; j++ {
				v, err := tx.Get(fmt.Appendf(nil, "k%d", j))
				if err != nil || !bytes.Equal(v, val) {
					return fmt.Errorf("k%d after reopening with compression %d: %q, %v", j, c, v, err)
				}
			}
			return nil
		})
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
}
