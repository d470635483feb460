package memstore_test

import (
	"context"
	"encoding/binary"
	"fmt"
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

// batchStore is a store that BenchmarkBulkLoad can load.
type batchStore interface {
	store.BatchWriter
	Len() int
	Close() error
}

// bulkKeys returns n random writes shaped like the identity graph's: 40-byte
// keys under four 12-byte prefixes (so keys tie on their first 8 bytes),
// values of 0 to 60 bytes.
func bulkKeys(n int, seed uint64) (keys, vals [][]byte) {
	r := rand.New(rand.NewPCG(seed, seed+1))
	buf := make([]byte, 0, n*70)
	keys, vals = make([][]byte, n), make([][]byte, n)
	for i := range n {
		start := len(buf)
		buf = append(buf, "g\x00ident\x00"...)
		buf = append(buf, byte('a'+r.IntN(4)), 0)
		for len(buf)-start < 40 {
			buf = binary.LittleEndian.AppendUint64(buf, r.Uint64())
		}
		keys[i] = buf[start : start+40 : start+40]
		buf = buf[:start+40]
		vstart := len(buf)
		for range r.IntN(61) {
			buf = append(buf, byte(r.Uint32()))
		}
		vals[i] = buf[vstart:len(buf):len(buf)]
	}
	return keys, vals
}

func batchLoad(b *testing.B, s batchStore, keys, vals [][]byte) {
	bt, err := s.NewBatch(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	for i, k := range keys {
		if err := bt.Set(k, vals[i]); err != nil {
			b.Fatal(err)
		}
	}
	if err := bt.Flush(); err != nil {
		b.Fatal(err)
	}
}

// benchBulkLoad loads n random writes through one batch into an empty store
// (Empty), for each n in sizes, and the first n into a store already
// holding base keys (Into: each iteration adds n new keys to the same
// store).
func benchBulkLoad(b *testing.B, newStore func() batchStore, sizes []int, base int) {
	for _, n := range sizes {
		b.Run(fmt.Sprintf("Empty/%d", n), func(b *testing.B) {
			keys, vals := bulkKeys(n, 11)
			start := cpuTime()
			for b.Loop() {
				s := newStore()
				batchLoad(b, s, keys, vals)
				if s.Len() != n {
					b.Fatalf("Len = %d, want %d", s.Len(), n)
				}
				s.Close()
			}
			reportCPU(b, start)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/key")
		})
	}
	n := sizes[0]
	b.Run(fmt.Sprintf("Into%d/%d", base, n), func(b *testing.B) {
		s := newStore()
		defer s.Close()
		bk, bv := bulkKeys(base, 12)
		batchLoad(b, s, bk, bv)
		bk, bv = nil, nil
		seed := uint64(100)
		for b.Loop() {
			b.StopTimer()
			keys, vals := bulkKeys(n, seed)
			seed += 2
			b.StartTimer()
			batchLoad(b, s, keys, vals)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/key")
	})
}

// BenchmarkBulkLoad: see benchBulkLoad. The 10M-key load is skipped with
// -short.
func BenchmarkBulkLoad(b *testing.B) {
	benchBulkLoad(b, func() batchStore { return memstore.New() }, bulkSizes(), 5<<20)
}

func bulkSizes() []int {
	if testing.Short() {
		return []int{1 << 20}
	}
	return []int{1 << 20, 10 << 20}
}
