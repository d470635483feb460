package storetest

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/unifycdp/unify/store"
)

// BenchKeys is the number of keys Benchmark loads.
const BenchKeys = 1 << 20

// Benchmark loads BenchKeys keys (9 bytes) with 16-byte values into the
// store open returns and runs sub-benchmarks on it: Get (one random Get),
// SetInUpdate (one Update that sets one key) and Iterate (one step of a
// full forward scan, Key and Value included).
func Benchmark(b *testing.B, open func(b *testing.B) store.Store) {
	s := open(b)
	defer s.Close()
	load(b, s)
	key, val := make([]byte, 9), make([]byte, 16)
	key[0] = 'k'
	next := func(i *uint64, n uint64) []byte {
		*i = (*i + 7919) % n
		binary.BigEndian.PutUint64(key[1:], *i)
		return key
	}
	b.Run("Get", func(b *testing.B) {
		var i uint64
		err := s.View(ctx, func(tx store.Tx) error {
			for b.Loop() {
				if _, err := tx.Get(next(&i, BenchKeys)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	})
	b.Run("SetInUpdate", func(b *testing.B) {
		var i uint64
		for b.Loop() {
			k := next(&i, 2*BenchKeys)
			if err := s.Update(ctx, func(tx store.Tx) error { return tx.Set(k, val) }); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Iterate", func(b *testing.B) {
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
			return it.Close()
		})
		if err != nil {
			b.Fatal(err)
		}
	})
}

// load writes BenchKeys keys, with a batch if the store has one.
func load(b *testing.B, s store.Store) {
	key, val := make([]byte, 9), make([]byte, 16)
	key[0] = 'k'
	put := func(set func(k, v []byte) error, i int) error {
		binary.BigEndian.PutUint64(key[1:], uint64(i))
		binary.BigEndian.PutUint64(val, uint64(i))
		return set(key, val)
	}
	if bw, ok := s.(store.BatchWriter); ok {
		bt, err := bw.NewBatch(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		for i := range BenchKeys {
			if err := put(bt.Set, i); err != nil {
				b.Fatal(err)
			}
		}
		if err := bt.Flush(); err != nil {
			b.Fatal(err)
		}
		return
	}
	for i := 0; i < BenchKeys; i += 1000 {
		mustUpdate(b, s, func(tx store.Tx) error {
			for j := i; j < i+1000; j++ {
				if err := put(tx.Set, j); err != nil {
					return err
				}
			}
			return nil
		})
	}
}
