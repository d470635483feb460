package memstore_test

import (
	"context"
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

func BenchmarkStore(b *testing.B) {
	storetest.Benchmark(b, func(b *testing.B) store.Store { return memstore.New() })
}
