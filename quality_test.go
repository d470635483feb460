package unify_test

import (
	"context"
	"fmt"
	"iter"
	"testing"

	"github.com/unifycdp/unify"
	"github.com/unifycdp/unify/internal/gen"
	"github.com/unifycdp/unify/profile"
)

// pairwise returns precision and recall over pairs of records: a pair is
// predicted when both records are in one profile and true when both belong
// to one person.
func pairwise(truth map[string]int, predicted map[string]string) (precision, recall float64, tp, pred, real int64) {
	cell := map[[2]string]int64{}
	byProfile := map[string]int64{}
	byPerson := map[int]int64{}
	for rec, person := range truth {
		p := predicted[rec]
		cell[[2]string{p, fmt.Sprint(person)}]++
		byProfile[p]++
		byPerson[person]++
	}
	pairs := func(n int64) int64 { return n * (n - 1) / 2 }
	for _, n := range cell {
		tp += pairs(n)
	}
	for _, n := range byProfile {
		pred += pairs(n)
	}
	for _, n := range byPerson {
		real += pairs(n)
	}
	return float64(tp) / float64(pred), float64(tp) / float64(real), tp, pred, real
}

// TestResolutionQuality resolves a realistic stream with known truth:
// several sources, phones and emails written many ways, placeholder values,
// shared household mailboxes and replaced loyalty cards. The figures are
// reported in the closing notes of the identity work; the thresholds catch
// regressions.
func TestResolutionQuality(t *testing.T) {
	ctx := context.Background()
	g := gen.New(gen.Options{Seed: 7, People: 3000})
	truth := map[string]int{}
	recs := func(yield func(*profile.Record, error) bool) {
		for r, person := range g.All() {
			truth[r.Key()] = person
			if !yield(r, nil) {
				return
			}
		}
	}
	e := open(t, nil)
	rep, err := e.Import(ctx, iter.Seq2[*profile.Record, error](recs), unify.ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rejected != 0 {
		t.Fatalf("generated records rejected: %+v", rep.Rejects)
	}
	predicted := map[string]string{}
	for m, err := range e.IdentityMap(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		predicted[m.Source+"/"+m.Record] = m.Profile
	}
	precision, recall, tp, pred, real := pairwise(truth, predicted)
	t.Logf("%d people, %d records, %d profiles: pairwise precision %.4f (%d/%d), recall %.4f (%d/%d)",
		g.People(), len(truth), rep.Profiles, precision, tp, pred, recall, tp, real)
	if precision < 0.99 || recall < 0.95 {
		t.Errorf("precision %.4f, recall %.4f: below 0.99 / 0.95", precision, recall)
	}
}
