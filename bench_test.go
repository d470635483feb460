package unify_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/unifycdp/unify"
	"github.com/unifycdp/unify/identity"
	"github.com/unifycdp/unify/internal/gen"
	"github.com/unifycdp/unify/profile"
	"github.com/unifycdp/unify/store"
	"github.com/unifycdp/unify/store/badgerstore"
	"github.com/unifycdp/unify/store/memstore"
)

func benchStores(b *testing.B) map[string]func() store.Store {
	return map[string]func() store.Store{
		"memory": func() store.Store { return memstore.New() },
		"badger": func() store.Store {
			s, err := badgerstore.Open(context.Background(), badgerstore.Options{Dir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			return s
		},
	}
}

// loaded returns an engine over a store holding people*~10 generated records.
func loaded(b *testing.B, s store.Store, people int) (*unify.Engine, *gen.Generator) {
	ctx := context.Background()
	e, err := unify.Open(ctx, unify.Options{Store: s, PhoneRegion: "FI"})
	if err != nil {
		b.Fatal(err)
	}
	g := gen.New(gen.Options{Seed: 1, People: people})
	recs := func(yield func(*profile.Record, error) bool) {
		for r := range g.All() {
			if !yield(r, nil) {
				return
			}
		}
	}
	if _, err := e.Import(ctx, recs, unify.ImportOptions{}); err != nil {
		b.Fatal(err)
	}
	return e, g
}

// BenchmarkIngest ingests one new record of an existing person into a store
// of about 100,000 records.
//
//	go test -run XXX -bench Ingest -benchmem .
func BenchmarkIngest(b *testing.B) {
	for name, open := range benchStores(b) {
		b.Run(name, func(b *testing.B) {
			s := open()
			defer s.Close()
			e, g := loaded(b, s, 10_000)
			defer e.Close()
			ctx := context.Background()
			i := 0
			cpu := threadCPU(b)
			defer cpu.Stop()
			for b.Loop() {
				person := g.Person((i * 7919) % g.People())
				// A new record of an existing person, happening now (after
				// all history), as real-time records do.
				r := *person[i%len(person)]
				r.Source, r.ID = "live", fmt.Sprint(i)
				r.Time = r.Time.AddDate(3, 0, 0)
				if _, err := e.Ingest(ctx, &r); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkIngestStream ingests the records of other people, as the ingest
// figure of internal/bench does: records of 10,000 people of another seed
// in time order (most of them join a profile the stream created, some
// create one, a few meet people of the store), into a store of about
// 100,000 records.
//
//	go test -run XXX -bench IngestStream -benchmem .
func BenchmarkIngestStream(b *testing.B) {
	for name, open := range benchStores(b) {
		b.Run(name, func(b *testing.B) {
			s := open()
			defer s.Close()
			e, _ := loaded(b, s, 10_000)
			defer e.Close()
			ctx := context.Background()
			// The records in the order of gen's All: blocks of 1000 people,
			// each in canonical order.
			g := gen.New(gen.Options{Seed: 99, People: 1_000_000})
			var buf []*profile.Record
			block := 0
			more := func() {
				for p := block * 1000; p < (block+1)*1000; p++ {
					buf = append(buf, g.Person(p)...)
				}
				slices.SortFunc(buf, profile.Compare)
				block++
			}
			more()
			cpu := threadCPU(b)
			defer cpu.Stop()
			for b.Loop() {
				if len(buf) == 0 {
					b.StopTimer()
					cpu.Pause()
					more()
					cpu.Resume()
					b.StartTimer()
				}
				r := buf[0]
				buf = buf[1:]
				r.Source = "live"
				if _, err := e.Ingest(ctx, r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLookup looks a profile up by an identifier written as a source
// would write it.
func BenchmarkLookup(b *testing.B) {
	for name, open := range benchStores(b) {
		b.Run(name, func(b *testing.B) {
			s := open()
			defer s.Close()
			e, g := loaded(b, s, 10_000)
			defer e.Close()
			ctx := context.Background()
			var ids []identity.ID
			for i := range 1000 {
				for _, r := range g.Person(i * 7) {
					if len(r.Identifiers) > 0 {
						id := r.Identifiers[0]
						ids = append(ids, identity.ID{Type: id.Type, Value: id.Raw})
						break
					}
				}
			}
			i := 0
			for b.Loop() {
				if _, err := e.Profile(ctx, ids[i%len(ids)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkScan reads all profiles of a store of about 100,000 records
// (10,000 people).
//
//	go test -run XXX -bench Scan -benchmem .
func BenchmarkScan(b *testing.B) {
	for name, open := range benchStores(b) {
		b.Run(name, func(b *testing.B) {
			s := open()
			defer s.Close()
			e, _ := loaded(b, s, 10_000)
			defer e.Close()
			ctx := context.Background()
			n := 0
			for b.Loop() {
				for _, err := range e.Profiles(ctx) {
					if err != nil {
						b.Fatal(err)
					}
					n++
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "profiles/s")
		})
	}
}
