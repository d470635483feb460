package memstore_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/unifycdp/unify/store"
	"github.com/unifycdp/unify/store/memstore"
)

func ExampleStore_Update() {
	ctx := context.Background()
	s := memstore.New()
	defer s.Close()

	var kb store.KeyBuilder
	err := s.Update(ctx, func(tx store.Tx) error {
		for id, name := range []string{"ada", "grace", "alan"} {
			kb.Reset()
			if err := tx.Set(kb.String("user").Uint64(uint64(id)).Key(), []byte(name)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	err = s.View(ctx, func(tx store.Tx) error {
		it := tx.Iterate(store.IterOptions{Prefix: store.AppendString(nil, "user"), Reverse: true})
		defer it.Close()
		for it.Next() {
			r := store.NewKeyReader(it.Key())
			r.String()
			id, _ := r.Uint64()
			v, _ := it.Value()
			fmt.Println(id, string(v))
		}
		return it.Err()
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// 2 alan
	// 1 grace
	// 0 ada
}

func ExampleStore_Update_conflict() {
	ctx := context.Background()
	s := memstore.New()
	defer s.Close()

	key := []byte("counter")
	increment := func(tx store.Tx) error {
		v, err := tx.Get(key)
		if errors.Is(err, store.ErrNotFound) {
			v, err = []byte{0}, nil
		}
		if err != nil {
			return err
		}
		return tx.Set(key, []byte{v[0] + 1})
	}
	err := s.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.Get(key); !errors.Is(err, store.ErrNotFound) {
			return err
		}
		// Another transaction commits a write to the key read above.
		if err := s.Update(ctx, increment); err != nil {
			return err
		}
		return tx.Set(key, []byte{1})
	})
	fmt.Println(err)
	fmt.Println(store.Retry(ctx, s, increment, store.RetryOptions{}))
	// Output:
	// store: transaction conflict
	// <nil>
}
