package memstore_test

import (
	"context"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/unifycdp/unify/store"
	"github.com/unifycdp/unify/store/memstore"
	"github.com/unifycdp/unify/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return memstore.New() })
}

func TestTxnTooBig(t *testing.T) {
	s := memstore.NewWithOptions(memstore.Options{MaxTxnWrites: 3, MaxTxnBytes: 100})
	defer s.Close()
	ctx := context.Background()
	err := s.Update(ctx, func(tx store.Tx) error {
		for i := range 4 {
			if err := tx.Set([]byte{byte('a' + i)}, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if !errors.Is(err, store.ErrTxnTooBig) {
		t.Errorf("4 writes with MaxTxnWrites 3: err = %v, want ErrTxnTooBig", err)
	}
	err = s.Update(ctx, func(tx store.Tx) error { return tx.Set([]byte("k"), make([]byte, 100)) })
	if !errors.Is(err, store.ErrTxnTooBig) {
		t.Errorf("101 bytes with MaxTxnBytes 100: err = %v, want ErrTxnTooBig", err)
	}
	if s.Len() != 0 {
		t.Errorf("Len = %d after failed transactions", s.Len())
	}
}

// load fills s with n keys "k"+big-endian i, 16-byte values.
func load(tb testing.TB, s *memstore.Store, n int) {
	tb.Helper()
	ctx := context.Background()
	b, err := s.NewBatch(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	key, val := make([]byte, 9), make([]byte, 16)
	key[0] = 'k'
	for i := range n {
		binary.BigEndian.PutUint64(key[1:], uint64(i))
		binary.BigEndian.PutUint64(val, uint64(i))
		if err := b.Set(key, val); err != nil {
			tb.Fatal(err)
		}
	}
	if err := b.Flush(); err != nil {
		tb.Fatal(err)
	}
}

const benchKeys = 1 << 20

func BenchmarkGet(b *testing.B) {
	s := memstore.New()
	load(b, s, benchKeys)
	ctx := context.Background()
	key := make([]byte, 9)
	key[0] = 'k'
	i := uint64(0)
	b.ResetTimer()
	err := s.View(ctx, func(tx store.Tx) error {
		for b.Loop() {
			i = (i + 7919) % benchKeys
			binary.BigEndian.PutUint64(key[1:], i)
			if _, err := tx.Get(key); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSetInUpdate measures one Update that sets one key, in a store of
// 1M keys.
func BenchmarkSetInUpdate(b *testing.B) {
	s := memstore.New()
	load(b, s, benchKeys)
	ctx := context.Background()
	key, val := make([]byte, 9), make([]byte, 16)
	key[0] = 'k'
	i := uint64(0)
	for b.Loop() {
		i = (i + 7919) % (2 * benchKeys)
		binary.BigEndian.PutUint64(key[1:], i)
		if err := s.Update(ctx, func(tx store.Tx) error { return tx.Set(key, val) }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIterate measures iterating over 1M keys; ns/op is per key.
func BenchmarkIterate(b *testing.B) {
	s := memstore.New()
	load(b, s, benchKeys)
	ctx := context.Background()
	b.ResetTimer()
	err := s.View(ctx, func(tx store.Tx) error {
		var it store.Iterator
		for b.Loop() {
			if it == nil || !it.Next() {
				if it != nil {
					it.Close()
				}
				it = tx.Iterate(store.IterOptions{})
				it.Next()
			}
			it.Key()
			if _, err := it.Value(); err != nil {
				return err
			}
		}
		it.Close()
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}
