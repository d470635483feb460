package extsort_test

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/unifycdp/unify/internal/extsort"
)

type pair struct{ K, V string }

func collect(t *testing.T, ss ...*extsort.Sorter) []pair {
	t.Helper()
	var err error
	var out []pair
	for k, v := range extsort.Merge(&err, ss...) {
		out = append(out, pair{string(k), string(v)})
	}
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestMerge(t *testing.T) {
	for _, tc := range []struct {
		name   string
		n      int // pairs
		keys   int // distinct keys drawn from
		memory int
	}{
		{"empty", 0, 1, 0},
		{"in memory", 500, 200, 0},
		{"many runs", 5000, 2000, 2000},
		{"one pair a run", 50, 20, 1},
		{"all distinct, many runs", 3000, 1 << 30, 4096},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			s := extsort.New(extsort.Options{Dir: t.TempDir(), Memory: tc.memory})
			defer s.Close()
			want := map[string]string{}
			for i := range tc.n {
				k := fmt.Sprintf("k%09d", rng.IntN(tc.keys))
				v := fmt.Sprint("v", i, string(make([]byte, rng.IntN(40))))
				if err := s.Add([]byte(k), []byte(v)); err != nil {
					t.Fatal(err)
				}
				want[k] = v // the later wins
			}
			var exp []pair
			for _, k := range slices.Sorted(maps.Keys(want)) {
				exp = append(exp, pair{k, want[k]})
			}
			if diff := cmp.Diff(exp, collect(t, s)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			// A second merge reads the same.
			if diff := cmp.Diff(exp, collect(t, s)); diff != "" {
				t.Errorf("second merge (-want +got):\n%s", diff)
			}
		})
	}
}

// Of equal keys in several sorters, the last sorter's wins; keys are
// merged across sorters.
func TestMergeSorters(t *testing.T) {
	a := extsort.New(extsort.Options{Dir: t.TempDir(), Memory: 16})
	b := extsort.New(extsort.Options{Dir: t.TempDir()})
	defer a.Close()
	defer b.Close()
	for _, p := range []pair{{"b", "a1"}, {"d", "a2"}, {"a", "a3"}, {"d", "a4"}} {
		a.Add([]byte(p.K), []byte(p.V))
	}
	for _, p := range []pair{{"c", "b1"}, {"d", "b2"}} {
		b.Add([]byte(p.K), []byte(p.V))
	}
	want := []pair{{"a", "a3"}, {"b", "a1"}, {"c", "b1"}, {"d", "b2"}}
	if diff := cmp.Diff(want, collect(t, a, b)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestConcurrentAdd(t *testing.T) {
	s := extsort.New(extsort.Options{Dir: t.TempDir(), Memory: 1000})
	defer s.Close()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				if err := s.Add(fmt.Appendf(nil, "%d-%04d", w, i), []byte("v")); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if got := len(collect(t, s)); got != 2000 {
		t.Errorf("%d pairs, want 2000", got)
	}
}

func TestCloseRemovesRuns(t *testing.T) {
	dir := t.TempDir()
	s := extsort.New(extsort.Options{Dir: dir, Memory: 10})
	for i := range 100 {
		s.Add(fmt.Appendf(nil, "%03d", i), []byte("value"))
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Fatalf("%d entries in the directory, want the run directory", len(ents))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("after Close: %d entries", len(ents))
	}
	if err := s.Add([]byte("k"), nil); !errors.Is(err, extsort.ErrClosed) {
		t.Errorf("Add after Close: %v, want ErrClosed", err)
	}
	var err error
	for range extsort.Merge(&err, s) {
	}
	if !errors.Is(err, extsort.ErrClosed) {
		t.Errorf("Merge after Close: %v, want ErrClosed", err)
	}
}

// A run file cut short is an error, not a shorter result.
func TestTruncatedRun(t *testing.T) {
	dir := t.TempDir()
	s := extsort.New(extsort.Options{Dir: dir, Memory: 64})
	defer s.Close()
	for i := range 20 {
		s.Add(fmt.Appendf(nil, "%03d", i), []byte("some value"))
	}
	ents, _ := os.ReadDir(dir)
	runs, _ := os.ReadDir(dir + "/" + ents[0].Name())
	name := dir + "/" + ents[0].Name() + "/" + runs[0].Name()
	st, _ := os.Stat(name)
	if err := os.Truncate(name, st.Size()-3); err != nil {
		t.Fatal(err)
	}
	var err error
	for range extsort.Merge(&err, s) {
	}
	if err == nil {
		t.Error("merge of a truncated run: no error")
	}
}

func ExampleMerge() {
	s := extsort.New(extsort.Options{Memory: 8}) // tiny: every pair spills
	defer s.Close()
	s.Add([]byte("pear"), []byte("1"))
	s.Add([]byte("apple"), []byte("2"))
	s.Add([]byte("pear"), []byte("3"))
	var err error
	for k, v := range extsort.Merge(&err, s) {
		fmt.Printf("%s=%s\n", k, v)
	}
	fmt.Println(err)
	// Output:
	// apple=2
	// pear=3
	// <nil>
}

// BenchmarkAdd adds a million 60-byte pairs with 20-byte keys in random
// order, spilling 32 MiB runs, and merges them.
//
//	go test -run XXX -bench Add -benchmem ./internal/extsort
func BenchmarkAdd(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	keys := make([][]byte, 1_000_000)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "key-%015d", rng.Int64N(1e15))
	}
	value := make([]byte, 40)
	for b.Loop() {
		s := extsort.New(extsort.Options{Dir: b.TempDir(), Memory: 32 << 20})
		for _, k := range keys {
			if err := s.Add(k, value); err != nil {
				b.Fatal(err)
			}
		}
		var err error
		n := 0
		for range extsort.Merge(&err, s) {
			n++
		}
		if err != nil || n == 0 {
			b.Fatal(err, n)
		}
		s.Close()
	}
}
