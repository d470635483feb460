package memstore_test

import (
	"context"
	"encoding/binary"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"github.com/unifycdp/unify/store"
	"github.com/unifycdp/unify/store/memstore"
)

const benchKeys = 1 << 20

// cpuTime returns the CPU time the process has used, all threads included.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the CPU time per op since start, which a busy machine
// inflates less than the wall time.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// randomKeys returns n random 20-byte keys.
func randomKeys(n int, seed uint64) [][]byte {
	r := rand.New(rand.NewPCG(seed, seed+1))
	buf := make([]byte, 20*n)
	keys := make([][]byte, n)
	for i := range keys {
		k := buf[20*i : 20*i+20 : 20*i+20]
		for j := 0; j < 20; j += 8 {
			var w [8]byte
			binary.LittleEndian.PutUint64(w[:], r.Uint64())
			copy(k[j:], w[:])
		}
		keys[i] = k
	}
	return keys
}

// loadRandom bulk-loads keys (with 16-byte values) into a new store.
func loadRandom(b *testing.B, keys [][]byte) *memstore.Store {
	s := memstore.New()
	bt, err := s.NewBatch(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	val := make([]byte, 16)
	for i, k := range keys {
		binary.BigEndian.PutUint64(val, uint64(i))
		if err := bt.Set(k, val); err != nil {
			b.Fatal(err)
		}
	}
	if err := bt.Flush(); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkBatchLoad loads 1M random 20-byte keys through NewBatch; ns/key
// is the cost per key.
func BenchmarkBatchLoad(b *testing.B) {
	keys := randomKeys(benchKeys, 1)
	start := cpuTime()
	for b.Loop() {
		s := loadRandom(b, keys)
		if s.Len() != len(keys) {
			b.Fatalf("Len = %d", s.Len())
		}
		s.Close()
	}
	reportCPU(b, start)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(keys)), "ns/key")
}

// BenchmarkUpdate runs transactions on a store of 1M random keys: OneKey
// sets one new key; Ingest reads 20 keys (existing ones and missing ones)
// and sets 20, like an engine ingest.
func BenchmarkUpdate(b *testing.B) {
	ctx := context.Background()
	keys := randomKeys(benchKeys, 1)
	s := loadRandom(b, keys)
	defer s.Close()
	fresh := randomKeys(1<<18, 2)
	val := make([]byte, 32)
	b.Run("OneKey", func(b *testing.B) {
		i := 0
		start := cpuTime()
		for b.Loop() {
			k := fresh[i%len(fresh)]
			i++
			if err := s.Update(ctx, func(tx store.Tx) error { return tx.Set(k, val) }); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, start)
	})
	b.Run("Ingest20", func(b *testing.B) {
		r := rand.New(rand.NewPCG(5, 6))
		start := cpuTime()
		for b.Loop() {
			err := s.Update(ctx, func(tx store.Tx) error {
				for j := range 20 {
					var k []byte
					if j%2 == 0 {
						k = keys[r.IntN(len(keys))]
					} else {
						k = fresh[r.IntN(len(fresh))]
					}
					if _, err := tx.Get(k); err != nil && err != store.ErrNotFound {
						return err
					}
				}
				for range 20 {
					var k []byte
					if r.IntN(2) == 0 {
						k = keys[r.IntN(len(keys))]
					} else {
						k = fresh[r.IntN(len(fresh))]
					}
					if err := tx.Set(k, val); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, start)
	})
	b.Run("Get", func(b *testing.B) {
		r := rand.New(rand.NewPCG(7, 8))
		err := s.View(ctx, func(tx store.Tx) error {
			start := cpuTime()
			for b.Loop() {
				if _, err := tx.Get(keys[r.IntN(len(keys))]); err != nil {
					return err
				}
			}
			reportCPU(b, start)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	})
	b.Run("View", func(b *testing.B) {
		start := cpuTime()
		for b.Loop() {
			if err := s.View(ctx, func(tx store.Tx) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
		reportCPU(b, start)
	})
}
