package badgerstore_test

import (
	"context"
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
