package unify_test

import (
	"context"
	"fmt"
	"iter"
	"testing"

	"github.com/unifycdp/unify"
	"github.com/unifycdp/unify/identity"
	"github.com/unifycdp/unify/internal/gen"
	"github.com/unifycdp/unify/profile"
	"github.com/unifycdp/unify/store/memstore"
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
	oneCard := identity.DefaultPolicies()
	lc := oneCard.Types[identity.TypeLoyaltyCard]
	lc.MaxPerProfile = 1
	oneCard.Types[identity.TypeLoyaltyCard] = lc
	for _, tc := range []struct {
		name                    string
		pol                     identity.Policies
		minPrecision, minRecall float64
	}{
		// Two cards a person (a lost card and its replacement): a family
		// sharing a mailbox, each with a card, merges.
		{"default", identity.DefaultPolicies(), 0.99, 0.99},
		// One card a person: families stay apart, replaced cards split.
		{"one card a person", oneCard, 0.999, 0.95},
	} {
		t.Run(tc.name, func(t *testing.T) { quality(t, tc.pol, tc.minPrecision, tc.minRecall) })
	}
}

func quality(t *testing.T, pol identity.Policies, minPrecision, minRecall float64) {
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
	e, err := unify.Open(ctx, unify.Options{Store: memstore.New(), PhoneRegion: "FI", Policies: &pol})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
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
	if precision < minPrecision || recall < minRecall {
		t.Errorf("precision %.4f, recall %.4f: below %.3f / %.3f", precision, recall, minPrecision, minRecall)
	}
}
