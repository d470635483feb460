package badgerstore_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"testing"

	"github.com/unifycdp/unify/store"
	"github.com/unifycdp/unify/store/badgerstore"
	"github.com/unifycdp/unify/store/storetest"
)

func TestOpenErrors(t *testing.T) {
	ctx := context.Background()
	for _, o := range []badgerstore.Options{{}, {Dir: t.TempDir(), InMemory: true}} {
		if s, err := badgerstore.Open(ctx, o); err == nil {
			s.Close()
			t.Errorf("Open(%+v) succeeded", o)
		}
	}
}

func TestLimits(t *testing.T) {
	s := open(t, "")
	ctx := context.Background()
	err := s.Update(ctx, func(tx store.Tx) error {
		v := make([]byte, 1000)
		for i := range 100000 {
			if err := tx.Set(binary.BigEndian.AppendUint64(nil, uint64(i)), v); err != nil {
				return err
			}
		}
		return nil
	})
	if !errors.Is(err, store.ErrTxnTooBig) {
		t.Errorf("huge transaction: err = %v, want ErrTxnTooBig", err)
	}
	err = s.Update(ctx, func(tx store.Tx) error { return tx.Set([]byte("k"), make([]byte, 1<<20)) })
	if !errors.Is(err, badgerstore.ErrValueTooLarge) {
		t.Errorf("1 MiB value in memory: err = %v, want ErrValueTooLarge", err)
	}
}

func TestGCAndLogger(t *testing.T) {
	var buf bytes.Buffer
	o := testOptions(t.TempDir())
	o.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo}))
	s, err := badgerstore.Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !bytes.Contains(buf.Bytes(), []byte("component=badger")) {
		t.Errorf("no Badger message reached the logger; got %q", buf.String())
	}
	if err := s.GC(context.Background()); err != nil {
		t.Errorf("GC: %v", err)
	}
	if err := s.RunValueLogGC(0.5); !errors.Is(err, badgerstore.ErrNoRewrite) {
		t.Errorf("RunValueLogGC on an empty store = %v, want ErrNoRewrite", err)
	}
	s.Close()
	if err := s.GC(context.Background()); !errors.Is(err, store.ErrClosed) {
		t.Errorf("GC after Close = %v, want ErrClosed", err)
	}
}

func BenchmarkStore(b *testing.B) {
	storetest.Benchmark(b, func(b *testing.B) store.Store {
		o := testOptions("")
		o.MemTableSize = 64 << 20
		o.BlockCacheSize = 64 << 20
		s, err := badgerstore.Open(context.Background(), o)
		if err != nil {
			b.Fatal(err)
		}
		return s
	})
}
