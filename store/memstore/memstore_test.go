package memstore_test

import (
	"context"
	"errors"
	"fmt"
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

// TestSnapshotsWhileCommitting checks that Views see whole commits while
// small commits change the tree, in place when no View holds it: key a<j>
// and b<j> always have the same value.
func TestSnapshotsWhileCommitting(t *testing.T) {
	s := memstore.New()
	defer s.Close()
	ctx := context.Background()
	const pairs = 2000
	setPairs := func(val int, js ...int) {
		t.Helper()
		err := s.Update(ctx, func(tx store.Tx) error {
			for _, j := range js {
				for _, p := range []string{"a", "b"} {
					if err := tx.Set(fmt.Appendf(nil, "%s%05d", p, j), fmt.Append(nil, val)); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	all := make([]int, pairs)
	for j := range all {
		all[j] = j
	}
	setPairs(0, all...)
	done := make(chan struct{})
	errc := make(chan error, 3)
	for range 3 {
		go func() {
			for {
				select {
				case <-done:
					errc <- nil
					return
				default:
				}
				err := s.View(ctx, func(tx store.Tx) error {
					a := tx.Iterate(store.IterOptions{Prefix: []byte("a")})
					b := tx.Iterate(store.IterOptions{Prefix: []byte("b")})
					defer a.Close()
					defer b.Close()
					n := 0
					for a.Next() {
						if !b.Next() {
							return fmt.Errorf("fewer b keys")
						}
						va, _ := a.Value()
						vb, _ := b.Value()
						if string(va) != string(vb) {
							return fmt.Errorf("%s = %s but %s = %s", a.Key(), va, b.Key(), vb)
						}
						n++
					}
					if n != pairs {
						return fmt.Errorf("%d pairs", n)
					}
					return nil
				})
				if err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	for i := range 2000 {
		setPairs(i+1, (i*7)%pairs, (i*13+5)%pairs, (i*31+1)%pairs)
	}
	close(done)
	for range 3 {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
}
