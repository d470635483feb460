package badgerstore

import (
	"bytes"
	"context"
	"fmt"
	"iter"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/pb"
	"github.com/dgraph-io/ristretto/v2/z"

	"github.com/unifycdp/unify/store"
)

// LoadSorted writes kvs into the empty store with Badger's StreamWriter,
// which builds tables directly in the LSM tree instead of going through
// memtables and compactions: about four times as fast as a batch for a
// large load. See store.SortedLoader.
//
// Badger's StreamWriter drops whatever the database holds when it starts,
// so LoadSorted first checks that the store holds no key. It must not run
// alongside other writers.
func (s *Store) LoadSorted(ctx context.Context, kvs iter.Seq2[[]byte, []byte]) error {
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	if s.inMemory {
		// The StreamWriter writes table files; an in-memory Badger has none.
		return s.loadByBatch(ctx, kvs)
	}
	empty := true
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{})
		defer it.Close()
		it.Rewind()
		empty = !it.Valid()
		return nil
	})
	if err != nil {
		return translate("load", err)
	}
	if !empty {
		return store.ErrNotEmpty
	}
	sw := s.db.NewStreamWriter()
	defer sw.Cancel()
	if err := sw.Prepare(); err != nil {
		return translate("load", err)
	}
	buf := z.NewBuffer(64<<20, "badgerstore.LoadSorted")
	defer buf.Release()
	var prev []byte
	n := 0
	for k, v := range kvs {
		if len(k) == 0 {
			return store.ErrEmptyKey
		}
		if n > 0 && bytes.Compare(k, prev) <= 0 {
			return fmt.Errorf("%w: key %d", store.ErrUnsorted, n)
		}
		if err := s.checkValue(v); err != nil {
			return err
		}
		prev = append(prev[:0], k...)
		badger.KVToBuffer(&pb.KV{Key: k, Value: v, Version: 1}, buf)
		n++
		if buf.LenNoPadding() >= 32<<20 {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := sw.Write(buf); err != nil {
				return translate("load", err)
			}
			buf.Reset()
		}
	}
	if buf.LenNoPadding() > 0 {
		if err := sw.Write(buf); err != nil {
			return translate("load", err)
		}
	}
	return translate("load", sw.Flush())
}

// loadByBatch is LoadSorted through a write batch.
func (s *Store) loadByBatch(ctx context.Context, kvs iter.Seq2[[]byte, []byte]) error {
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{})
		defer it.Close()
		if it.Rewind(); it.Valid() {
			return store.ErrNotEmpty
		}
		return nil
	})
	if err != nil {
		return err
	}
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	var prev []byte
	n := 0
	for k, v := range kvs {
		if len(k) == 0 {
			return store.ErrEmptyKey
		}
		if n > 0 && bytes.Compare(k, prev) <= 0 {
			return fmt.Errorf("%w: key %d", store.ErrUnsorted, n)
		}
		if err := s.checkValue(v); err != nil {
			return err
		}
		prev = append(prev[:0], k...)
		n++
		if err := wb.Set(bytes.Clone(k), bytes.Clone(v)); err != nil {
			return translate("load", err)
		}
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
	}
	return translate("load", wb.Flush())
}
