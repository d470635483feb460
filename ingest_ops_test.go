package unify_test

import (
	"context"
	"flag"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/unifycdp/unify"
	"github.com/unifycdp/unify/internal/gen"
	"github.com/unifycdp/unify/profile"
	"github.com/unifycdp/unify/store"
	"github.com/unifycdp/unify/store/memstore"
)

// opCounts counts the store operations of write transactions, by kind and
// key namespace.
type opCounts struct {
	store.Store
	counting bool
	ops      map[string]int
}

func (s *opCounts) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	return s.Store.Update(ctx, func(tx store.Tx) error { return fn(&countTx{tx, s}) })
}

type countTx struct {
	store.Tx
	s *opCounts
}

// keyNS names a key by its first parts ("r", "g/s", "m/feed-seq"...).
func keyNS(k []byte) string {
	r := store.NewKeyReader(k)
	a, err := r.String()
	if err != nil {
		return "?"
	}
	if a == "g" || a == "m" {
		b, err := r.String()
		if err == nil {
			return a + "/" + b
		}
	}
	return a
}

func (t *countTx) count(op string, k []byte) {
	if t.s.counting {
		t.s.ops[op+" "+keyNS(k)]++
	}
}

func (t *countTx) Get(k []byte) ([]byte, error) { t.count("get", k); return t.Tx.Get(k) }
func (t *countTx) Set(k, v []byte) error        { t.count("set", k); return t.Tx.Set(k, v) }
func (t *countTx) Delete(k []byte) error        { t.count("delete", k); return t.Tx.Delete(k) }
func (t *countTx) Iterate(o store.IterOptions) store.Iterator {
	t.count("iterate", o.Prefix)
	return t.Tx.Iterate(o)
}

var opsStream = flag.Bool("ops.stream", false, "TestIngestStoreOps: ingest the records of internal/bench's ingest figure")

// TestIngestStoreOps reports the store operations of one Ingest of a new
// record of an existing person (what BenchmarkIngest measures):
//
//	go test -run IngestStoreOps -v .
func TestIngestStoreOps(t *testing.T) {
	ctx := context.Background()
	cs := &opCounts{Store: memstore.New(), ops: map[string]int{}}
	e, err := unify.Open(ctx, unify.Options{Store: cs, PhoneRegion: "FI"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	g := gen.New(gen.Options{Seed: 1, People: 300})
	recs := func(yield func(*profile.Record, error) bool) {
		for r := range g.All() {
			if !yield(r, nil) {
				return
			}
		}
	}
	if _, err := e.Import(ctx, recs, unify.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	cs.counting = true
	const n = 200
	if *opsStream {
		// As internal/bench's ingest figure: the records of other people,
		// some new and some known.
		i := 0
		for r := range gen.New(gen.Options{Seed: 99, People: n}).All() {
			if i == n {
				break
			}
			r.Source = "live"
			if _, err := e.Ingest(ctx, r); err != nil {
				t.Fatal(err)
			}
			i++
		}
	} else {
		for i := range n {
			person := g.Person((i * 7919) % g.People())
			r := *person[i%len(person)]
			r.Source, r.ID = "live", fmt.Sprint(i)
			r.Time = r.Time.AddDate(3, 0, 0)
			if _, err := e.Ingest(ctx, &r); err != nil {
				t.Fatal(err)
			}
		}
	}
	var keys []string
	total := map[string]int{}
	for k, v := range cs.ops {
		keys = append(keys, k)
		total[strings.Fields(k)[0]] += v
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Logf("%-20s %5.2f", k, float64(cs.ops[k])/n)
	}
	for op, v := range total {
		t.Logf("%-20s %5.2f", "total "+op, float64(v)/n)
	}
}
