package identity_test

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/unifycdp/unify/identity"
	"github.com/unifycdp/unify/store"
	"github.com/unifycdp/unify/store/badgerstore"
	"github.com/unifycdp/unify/store/memstore"
)

func stores(t testing.TB) map[string]func() store.Store {
	return map[string]func() store.Store{
		"memory": func() store.Store { return memstore.New() },
		"badger": func() store.Store {
			s, err := badgerstore.Open(context.Background(), badgerstore.Options{Dir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	}
}

// Concurrent writers without any lock of ours: the store detects the
// conflicts and Retry reruns the losers, and the result is what one writer
// would have made.
func TestConcurrentWriters(t *testing.T) {
	g := identity.New(identity.Options{})
	recs := randomStream(rand.New(rand.NewPCG(11, 12)), 150)
	_, want := build(t, g, recs)
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) {
			s := open()
			defer s.Close()
			var wg sync.WaitGroup
			for w := range 6 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := w; i < len(recs); i += 6 {
						r := recs[i]
						err := store.Retry(context.Background(), s, func(tx store.Tx) error {
							_, err := g.Link(tx, r.key(), r.ids)
							return err
						}, store.RetryOptions{MaxAttempts: 1000})
						if err != nil {
							t.Error(err)
						}
					}
				}()
			}
			wg.Wait()
			if diff := cmp.Diff(want, dump(t, s, g)); diff != "" {
				t.Errorf("concurrent writers differ from one writer (-want +got):\n%s", diff)
			}
		})
	}
}

// The graph behaves the same on every store: the same stream, with
// removals and replacements, gives the same profiles.
func TestStoresAgree(t *testing.T) {
	g := identity.New(identity.Options{})
	rng := rand.New(rand.NewPCG(21, 22))
	recs := randomStream(rng, 120)
	repl := randomStream(rng, 40)
	var got []map[string]snapshot
	for _, name := range []string{"memory", "badger"} {
		s := stores(t)[name]()
		for _, r := range recs {
			link(t, s, g, r)
		}
		for i, r := range recs[:40] {
			if i%2 == 0 {
				unlink(t, s, g, r.src, r.id)
			} else {
				r.ids = repl[i].ids
				link(t, s, g, r)
			}
		}
		got = append(got, dump(t, s, g))
		s.Close()
	}
	if diff := cmp.Diff(got[0], got[1]); diff != "" {
		t.Errorf("memory and badger differ (-memory +badger):\n%s", diff)
	}
}
