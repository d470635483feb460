package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/unifycdp/unify/store"
	"github.com/unifycdp/unify/store/memstore"
)

func TestTxnBatch(t *testing.T) {
	ctx := context.Background()
	mem := memstore.New()
	defer mem.Close()
	// Hide the memory store's own batch writer.
	s := struct{ store.Store }{mem}
	w, err := store.NewWriter(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	buf := []byte("key-0000")
	for i := range 2500 {
		buf = fmt.Appendf(buf[:0], "key-%04d", i)
		if err := w.Set(buf, buf); err != nil { // the batch copies: buf is reused
			t.Fatal(err)
		}
	}
	if err := w.Delete([]byte("key-0007")); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := w.Set([]byte("late"), nil); !errors.Is(err, store.ErrTxnDone) {
		t.Errorf("Set after Flush: %v", err)
	}
	n := 0
	mem.View(ctx, func(tx store.Tx) error {
		it := tx.Iterate(store.IterOptions{})
		defer it.Close()
		for it.Next() {
			v, _ := it.Value()
			if string(v) != string(it.Key()) {
				t.Errorf("%s = %s", it.Key(), v)
			}
			n++
		}
		return it.Err()
	})
	if n != 2499 {
		t.Errorf("%d keys, want 2499", n)
	}
	c := store.NewTxnBatch(ctx, s, 0)
	c.Set([]byte("cancelled"), []byte("x"))
	c.Cancel()
	mem.View(ctx, func(tx store.Tx) error {
		if _, err := tx.Get([]byte("cancelled")); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("cancelled write landed: %v", err)
		}
		return nil
	})
}
