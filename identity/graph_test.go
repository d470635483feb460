package identity_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/unifycdp/unify/identity"
	"github.com/unifycdp/unify/store"
	"github.com/unifycdp/unify/store/memstore"
)

type rec struct {
	src, id string
	t       int64
	ids     []identity.ID
}

func em(v string) identity.ID { return identity.Email(v) }
func ph(v string) identity.ID { return identity.Phone(v) }
func lc(v string) identity.ID { return identity.LoyaltyCard(v) }
func ck(v string) identity.ID { return identity.Cookie(v) }
func cu(v string) identity.ID { return identity.CustomerID(v) }

func (r rec) key() identity.RecordKey { return identity.RecordKey{Time: r.t, Source: r.src, ID: r.id} }

// snapshot is a profile as a test compares it.
type snapshot struct {
	IDs     []identity.ID
	Records []string
}

func dump(t testing.TB, s store.Store, g *identity.Graph) map[string]snapshot {
	t.Helper()
	out := map[string]snapshot{}
	err := s.View(context.Background(), func(tx store.Tx) error {
		for pid, err := range g.Profiles(tx) {
			if err != nil {
				return err
			}
			m, err := g.Members(tx, pid)
			if err != nil {
				return err
			}
			keys, err := g.Records(tx, pid)
			if err != nil {
				return err
			}
			var names []string
			for _, k := range keys {
				names = append(names, k.String())
			}
			out[pid] = snapshot{IDs: m.IDs, Records: names}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func link(t testing.TB, s store.Store, g *identity.Graph, r rec) *identity.Result {
	t.Helper()
	var res *identity.Result
	err := s.Update(context.Background(), func(tx store.Tx) error {
		var err error
		res, err = g.Link(tx, r.key(), r.ids)
		return err
	})
	if err != nil {
		t.Fatalf("link %s/%s: %v", r.src, r.id, err)
	}
	return res
}

func unlink(t testing.TB, s store.Store, g *identity.Graph, src, id string) *identity.Result {
	t.Helper()
	var res *identity.Result
	err := s.Update(context.Background(), func(tx store.Tx) error {
		var err error
		res, err = g.Unlink(tx, src, id)
		return err
	})
	if err != nil {
		t.Fatalf("unlink %s/%s: %v", src, id, err)
	}
	return res
}

func build(t testing.TB, g *identity.Graph, recs []rec) (store.Store, map[string]snapshot) {
	s := memstore.New()
	t.Cleanup(func() { s.Close() })
	for _, r := range recs {
		link(t, s, g, r)
	}
	return s, dump(t, s, g)
}

func pid(r rec) string { return identity.ProfileIDFor(r.src, r.id) }

func TestLinkBasics(t *testing.T) {
	g := identity.New(identity.Options{})
	web := rec{"web", "c1", 10, []identity.ID{ck("ck1")}}
	pos := rec{"pos", "m1", 20, []identity.ID{lc("L1"), em("jane@example.fi"), ph("+358401234567")}}
	shop := rec{"shop", "o1", 30, []identity.ID{em("jane@example.fi"), ck("ck1")}}
	s := memstore.New()
	defer s.Close()

	res := link(t, s, g, web)
	if diff := cmp.Diff([]identity.Change{{Kind: identity.Created, Profile: pid(web)}}, res.Changes); diff != "" {
		t.Errorf("web changes (-want +got):\n%s", diff)
	}
	res = link(t, s, g, pos)
	if diff := cmp.Diff([]identity.Change{{Kind: identity.Created, Profile: pid(pos)}}, res.Changes); diff != "" {
		t.Errorf("pos changes (-want +got):\n%s", diff)
	}
	res = link(t, s, g, shop)
	want := []identity.Change{{Kind: identity.Merged, Profile: pid(web), From: []string{pid(pos)}}}
	if diff := cmp.Diff(want, res.Changes); diff != "" {
		t.Errorf("shop changes (-want +got):\n%s", diff)
	}
	if res.Profile != pid(web) {
		t.Errorf("profile = %s, want the oldest (%s)", res.Profile, pid(web))
	}
	// Idempotent.
	if res := link(t, s, g, shop); len(res.Changes) != 0 || res.Profile != pid(web) {
		t.Errorf("relink: %+v", res)
	}
	got := dump(t, s, g)
	wantDump := map[string]snapshot{pid(web): {
		IDs:     []identity.ID{ck("ck1"), em("jane@example.fi"), lc("L1"), ph("+358401234567")},
		Records: []string{"web/c1", "pos/m1", "shop/o1"},
	}}
	if diff := cmp.Diff(wantDump, got); diff != "" {
		t.Errorf("dump (-want +got):\n%s", diff)
	}
	// The merged-away ID is an alias of the survivor.
	s.View(context.Background(), func(tx store.Tx) error {
		for _, id := range []string{pid(pos), pid(web), pid(shop)} {
			cur, err := g.CurrentID(tx, id)
			if err != nil && id != pid(shop) {
				t.Errorf("CurrentID(%s): %v", id, err)
			}
			if err == nil && cur != pid(web) {
				t.Errorf("CurrentID(%s) = %s", id, cur)
			}
		}
		if _, err := g.CurrentID(tx, pid(shop)); !errors.Is(err, identity.ErrNotFound) {
			t.Errorf("a record that never named a profile is no alias: %v", err)
		}
		p, err := g.Lookup(tx, ph("+358401234567"))
		if err != nil || p != pid(web) {
			t.Errorf("Lookup phone = %q, %v", p, err)
		}
		return nil
	})
}

func TestProtections(t *testing.T) {
	g := identity.New(identity.Options{})
	tests := []struct {
		name string
		recs []rec
		want [][]string // groups of records expected in one profile
	}{
		{
			name: "placeholder email never links",
			recs: []rec{
				{"pos", "1", 1, []identity.ID{lc("L1"), em("test@test.com")}},
				{"pos", "2", 2, []identity.ID{lc("L2"), em("test@test.com")}},
				{"pos", "3", 3, []identity.ID{ph("0000000000"), lc("L3")}},
				{"pos", "4", 4, []identity.ID{ph("0000000000"), lc("L4")}},
				{"pos", "5", 5, []identity.ID{em("noemail@shop.fi"), lc("L5")}},
				{"pos", "6", 6, []identity.ID{em("noemail@shop.fi"), lc("L6")}},
			},
			want: [][]string{{"pos/1"}, {"pos/2"}, {"pos/3"}, {"pos/4"}, {"pos/5"}, {"pos/6"}},
		},
		{
			name: "one customer ID per profile",
			recs: []rec{
				{"web", "a", 1, []identity.ID{cu("100"), em("family@example.fi")}},
				{"web", "b", 2, []identity.ID{cu("200"), em("family@example.fi")}},
			},
			want: [][]string{{"web/a"}, {"web/b"}},
		},
		{
			name: "shared mailbox splits what it joined",
			recs: []rec{
				{"pos", "1", 1, []identity.ID{lc("L1"), em("home@example.fi")}},
				{"pos", "2", 2, []identity.ID{lc("L2"), em("home@example.fi")}},
				{"pos", "3", 3, []identity.ID{lc("L3"), em("home@example.fi")}},
				{"pos", "4", 4, []identity.ID{lc("L1"), ph("+358401111111")}},
			},
			want: [][]string{{"pos/1", "pos/4"}, {"pos/2"}, {"pos/3"}},
		},
		{
			name: "replaced loyalty card stays with its owner",
			recs: []rec{
				{"pos", "1", 1, []identity.ID{lc("L1"), em("anna@example.fi")}},
				{"pos", "2", 2, []identity.ID{lc("L2"), em("anna@example.fi")}},
			},
			want: [][]string{{"pos/1", "pos/2"}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, got := build(t, g, tc.recs)
			var groups [][]string
			for _, p := range got {
				groups = append(groups, p.Records)
			}
			slices.SortFunc(groups, func(a, b []string) int { return slices.Compare(a, b) })
			if diff := cmp.Diff(tc.want, groups); diff != "" {
				t.Errorf("groups (-want +got):\n%s", diff)
			}
		})
	}
}

// randomStream makes records of a few people with overlapping identifiers,
// placeholders and shared values, so that order-dependence would show.
func randomStream(rng *rand.Rand, n int) []rec {
	var out []rec
	for i := range n {
		person := rng.IntN(n/3 + 1)
		var ids []identity.ID
		if rng.IntN(2) == 0 {
			ids = append(ids, em(fmt.Sprintf("p%d.%d@example.fi", person, rng.IntN(3))))
		}
		if rng.IntN(3) == 0 {
			ids = append(ids, lc(fmt.Sprintf("L%d-%d", person, rng.IntN(3))))
		}
		if rng.IntN(3) == 0 {
			ids = append(ids, ph(fmt.Sprintf("+35840%07d", person*7+rng.IntN(2))))
		}
		if rng.IntN(4) == 0 {
			ids = append(ids, cu(fmt.Sprintf("C%d", person*2+rng.IntN(2))))
		}
		if rng.IntN(2) == 0 {
			ids = append(ids, ck(fmt.Sprintf("ck%d", person+rng.IntN(2))))
		}
		if rng.IntN(10) == 0 {
			ids = append(ids, em("test@test.com"))
		}
		if rng.IntN(8) == 0 {
			ids = append(ids, em("family@example.fi"))
		}
		if len(ids) == 0 {
			ids = append(ids, ck(fmt.Sprintf("lonely%d", i)))
		}
		out = append(out, rec{[]string{"pos", "web", "app"}[rng.IntN(3)], fmt.Sprint(i), int64(rng.IntN(n)), ids})
	}
	return out
}

func TestOrderIndependence(t *testing.T) {
	g := identity.New(identity.Options{})
	for seed := range uint64(8) {
		rng := rand.New(rand.NewPCG(seed, 42))
		recs := randomStream(rng, 60)
		_, want := build(t, g, recs)
		for shuffle := range 5 {
			rng.Shuffle(len(recs), func(i, j int) { recs[i], recs[j] = recs[j], recs[i] })
			_, got := build(t, g, recs)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("seed %d shuffle %d: profiles depend on order (-first +shuffled):\n%s", seed, shuffle, diff)
			}
		}
	}
}

func TestUnlinkIsExact(t *testing.T) {
	g := identity.New(identity.Options{})
	for seed := range uint64(8) {
		rng := rand.New(rand.NewPCG(seed, 7))
		recs := randomStream(rng, 50)
		s, _ := build(t, g, recs)
		// Remove a third of the records, and replace another third.
		var kept []rec
		for i, r := range recs {
			switch i % 3 {
			case 0:
				unlink(t, s, g, r.src, r.id)
			case 1:
				r.ids = randomStream(rng, 3)[0].ids
				r.t = int64(rng.IntN(50))
				link(t, s, g, r)
				kept = append(kept, r)
			default:
				kept = append(kept, r)
			}
		}
		_, want := build(t, g, kept)
		if diff := cmp.Diff(want, dump(t, s, g)); diff != "" {
			t.Fatalf("seed %d: unlink differs from a fresh build (-fresh +incremental):\n%s", seed, diff)
		}
	}
}

func TestRebuildAgreesWithIncremental(t *testing.T) {
	g := identity.New(identity.Options{})
	ctx := context.Background()
	for seed := range uint64(6) {
		rng := rand.New(rand.NewPCG(seed, 99))
		recs := randomStream(rng, 80)
		s, want := build(t, g, recs)
		rep, err := g.Rebuild(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Changes) != 0 {
			t.Errorf("seed %d: rebuild changed %v", seed, rep.Changes)
		}
		if diff := cmp.Diff(want, dump(t, s, g)); diff != "" {
			t.Fatalf("seed %d: rebuild differs (-incremental +rebuild):\n%s", seed, diff)
		}
		// Bulk path: evidence only, then one rebuild.
		bulk := memstore.New()
		for _, r := range recs {
			if err := bulk.Update(ctx, func(tx store.Tx) error { return g.AddEvidence(tx, r.key(), r.ids) }); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := g.Rebuild(ctx, bulk); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, dump(t, bulk, g)); diff != "" {
			t.Fatalf("seed %d: bulk differs (-incremental +bulk):\n%s", seed, diff)
		}
		// And incremental ingest continues correctly on a rebuilt graph.
		more := randomStream(rng, 20)
		for i := range more {
			more[i].id = fmt.Sprint("more", i)
			link(t, s, g, more[i])
			link(t, bulk, g, more[i])
		}
		_, fresh := build(t, g, append(slices.Clone(recs), more...))
		if diff := cmp.Diff(fresh, dump(t, bulk, g)); diff != "" {
			t.Fatalf("seed %d: ingest after bulk differs (-fresh +bulk):\n%s", seed, diff)
		}
	}
}

func TestDryRunReportsWithoutWriting(t *testing.T) {
	ctx := context.Background()
	g := identity.New(identity.Options{})
	recs := []rec{
		{"pos", "1", 1, []identity.ID{lc("L1"), em("anna@example.fi")}},
		{"pos", "2", 2, []identity.ID{lc("L2"), em("anna@example.fi")}},
		{"web", "3", 3, []identity.ID{em("bob@example.fi")}},
		{"web", "4", 4, []identity.ID{em("bob@example.fi"), ph("+358401234567")}},
	}
	s, before := build(t, g, recs)
	strict := identity.DefaultPolicies()
	lcPol := strict.Types[identity.TypeLoyaltyCard]
	lcPol.MaxPerProfile = 1
	strict.Types[identity.TypeLoyaltyCard] = lcPol
	rep, err := g.DryRun(ctx, s, strict)
	if err != nil {
		t.Fatal(err)
	}
	want := []identity.Change{
		{Kind: identity.Split, Profile: pid(recs[0]), From: []string{pid(recs[0])}},
		{Kind: identity.Split, Profile: pid(recs[1]), From: []string{pid(recs[0])}},
	}
	slices.SortFunc(want, func(a, b identity.Change) int { return strings.Compare(a.Profile, b.Profile) })
	if diff := cmp.Diff(want, rep.Changes); diff != "" {
		t.Errorf("dry run (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(before, dump(t, s, g)); diff != "" {
		t.Errorf("dry run wrote (-before +after):\n%s", diff)
	}
}

func TestExplain(t *testing.T) {
	g := identity.New(identity.Options{})
	recs := []rec{
		{"web", "v1", 1, []identity.ID{ck("ck1")}},
		{"pos", "m1", 2, []identity.ID{lc("L1"), ph("+358401234567"), em("jane@example.fi")}},
		{"shop", "o1", 3, []identity.ID{em("jane@example.fi"), ck("ck1")}},
		{"pos", "x", 4, []identity.ID{lc("L9"), em("test@test.com")}},
	}
	s, _ := build(t, g, recs)
	s.View(context.Background(), func(tx store.Tx) error {
		ex, err := g.Explain(tx, ck("ck1"), ph("+358401234567"))
		if err != nil {
			t.Fatal(err)
		}
		want := &identity.Explanation{Profile: pid(recs[0]), Steps: []identity.Step{
			{From: ck("ck1"), To: em("jane@example.fi"), Record: recs[2].key()},
			{From: em("jane@example.fi"), To: lc("L1"), Record: recs[1].key()},
			{From: lc("L1"), To: ph("+358401234567"), Record: recs[1].key()},
		}}
		if diff := cmp.Diff(want, ex); diff != "" {
			t.Errorf("explain (-want +got):\n%s", diff)
		}
		if _, err := g.Explain(tx, ck("ck1"), lc("L9")); !errors.Is(err, identity.ErrNotLinked) {
			t.Errorf("explain across profiles: %v, want ErrNotLinked", err)
		}
		st, err := g.ExplainID(tx, em("test@test.com"))
		if err != nil {
			t.Fatal(err)
		}
		if st.Blocked == "" || st.Profile != "" {
			t.Errorf("placeholder status: %+v", st)
		}
		return nil
	})
}

// bulkLoad loads recs into the empty store s through a Loader, as the
// engine does: records added twice (the later wins) make the first Loader
// refuse, and the distinct records go to a second one.
func bulkLoad(t testing.TB, s store.Store, g *identity.Graph, recs []rec) *identity.Report {
	t.Helper()
	ctx := context.Background()
	l := g.NewLoader(identity.LoaderOptions{})
	for _, r := range recs {
		if err := l.Add(r.key(), r.ids); err != nil {
			t.Fatal(err)
		}
	}
	last := map[[2]string]int{}
	for i, r := range recs {
		last[[2]string{r.src, r.id}] = i
	}
	rep, err := l.Resolve(ctx)
	if len(last) < len(recs) {
		if !errors.Is(err, identity.ErrDuplicateRecords) {
			t.Fatalf("Resolve of %d records, %d distinct: %v, want ErrDuplicateRecords", len(recs), len(last), err)
		}
		var distinct []rec
		for i, r := range recs {
			if last[[2]string{r.src, r.id}] == i {
				distinct = append(distinct, r)
			}
		}
		recs = distinct
		l = g.NewLoader(identity.LoaderOptions{Distinct: true})
		for _, r := range recs {
			if err := l.Add(r.key(), r.ids); err != nil {
				t.Fatal(err)
			}
		}
		rep, err = l.Resolve(ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.(store.BatchWriter).NewBatch(ctx)
	if err := l.Write(b); err != nil {
		t.Fatal(err)
	}
	rw := l.RecordWriter(b)
	for _, r := range recs {
		set, ok := l.RecordSet(r.src, r.id)
		if !ok {
			t.Fatalf("RecordSet(%s, %s) not found", r.src, r.id)
		}
		if p, ok := l.SetOf(r.ids); !ok || p != set {
			t.Fatalf("SetOf(%v) = %x, %v; RecordSet = %x", r.ids, p, ok, set)
		}
		if err := rw.WriteRecord(r.key(), set); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Flush(); err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestLoaderAgreesWithLink(t *testing.T) {
	g := identity.New(identity.Options{})
	for seed := range uint64(8) {
		rng := rand.New(rand.NewPCG(seed, 5))
		n := 90
		if seed >= 6 {
			n = 4000 // enough components to resolve on several goroutines
		}
		recs := randomStream(rng, n)
		// Replace some records inside the same load.
		more := randomStream(rng, 20)
		for i := range more {
			more[i].src, more[i].id = recs[i*3].src, recs[i*3].id
		}
		all := append(slices.Clone(recs), more...)
		s := memstore.New()
		for _, r := range all {
			link(t, s, g, r)
		}
		want := dump(t, s, g)

		bulk := memstore.New()
		rep := bulkLoad(t, bulk, g, all)
		if seed == 6 {
			t.Logf("%d records: %d profiles", len(all), rep.Profiles)
		}
		if diff := cmp.Diff(want, dump(t, bulk, g)); diff != "" {
			t.Fatalf("seed %d: loader differs from link (-link +loader):\n%s", seed, diff)
		}
		// The loaded graph goes on incrementally like any other.
		extra := randomStream(rng, 15)
		for i := range extra {
			extra[i].id = fmt.Sprint("x", i)
			link(t, s, g, extra[i])
			link(t, bulk, g, extra[i])
		}
		if diff := cmp.Diff(dump(t, s, g), dump(t, bulk, g)); diff != "" {
			t.Fatalf("seed %d: after more links (-link +loader):\n%s", seed, diff)
		}
	}
}

func TestComponentCap(t *testing.T) {
	pol := identity.DefaultPolicies()
	pol.MaxComponentSets = 10
	g := identity.New(identity.Options{Policies: &pol})
	s := memstore.New()
	defer s.Close()
	var warned bool
	for i := range 20 {
		// A value of a type without shared-value detection chains people.
		res := link(t, s, g, rec{"pos", fmt.Sprint(i), int64(i), []identity.ID{
			em(fmt.Sprintf("p%d@posti.fi", i)), {Type: "store_wifi", Value: "guest"}}})
		for _, w := range res.Warnings {
			if errors.Is(w, identity.ErrComponentCap) {
				warned = true
			}
		}
	}
	if !warned {
		t.Error("no ErrComponentCap warning")
	}
	got := dump(t, s, g)
	if len(got) != 20 {
		t.Errorf("%d profiles, want 20 (the chaining value unlinked)", len(got))
	}
	s.View(context.Background(), func(tx store.Tx) error {
		st, err := g.ExplainID(tx, identity.ID{Type: "store_wifi", Value: "guest"})
		if err != nil || !st.Capped || st.Profile != "" {
			t.Errorf("capped value status: %+v, %v", st, err)
		}
		return nil
	})
	// The bulk path caps the same way.
	var recs []rec
	for i := range 20 {
		recs = append(recs, rec{"pos", fmt.Sprint(i), int64(i),
			[]identity.ID{em(fmt.Sprintf("p%d@posti.fi", i)), {Type: "store_wifi", Value: "guest"}}})
	}
	bulk := memstore.New()
	defer bulk.Close()
	rep := bulkLoad(t, bulk, g, recs)
	if len(rep.Warnings) == 0 || rep.Profiles != 20 {
		t.Errorf("loader under the cap: %d profiles, warnings %v", rep.Profiles, rep.Warnings)
	}
	if diff := cmp.Diff(got, dump(t, bulk, g)); diff != "" {
		t.Errorf("loader differs from link under the cap (-link +loader):\n%s", diff)
	}
}

// A Distinct Loader that is handed one key twice (as two records whose
// key hashes collide would be) does not guess: RecordSet refuses, and SetOf
// finds each record's set by its identifiers.
func TestLoaderSharedKeyHash(t *testing.T) {
	g := identity.New(identity.Options{})
	l := g.NewLoader(identity.LoaderOptions{Distinct: true})
	a := []identity.ID{em("a@posti.fi")}
	b := []identity.ID{em("b@posti.fi")}
	if err := l.Add(identity.RecordKey{Time: 1, Source: "s", ID: "1"}, a); err != nil {
		t.Fatal(err)
	}
	if err := l.Add(identity.RecordKey{Time: 2, Source: "s", ID: "1"}, b); err != nil {
		t.Fatal(err)
	}
	if err := l.Add(identity.RecordKey{Time: 3, Source: "s", ID: "2"}, b); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Resolve(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, ok := l.RecordSet("s", "1"); ok {
		t.Error("RecordSet of a key added twice: found")
	}
	if _, ok := l.RecordSet("s", "3"); ok {
		t.Error("RecordSet of a key never added: found")
	}
	sa, okA := l.SetOf(a)
	sb, okB := l.SetOf(b)
	// (Both sets are anchored by "s/1", so both profiles take its name.)
	if !okA || !okB || sa == sb || l.SetProfile(sa) == "" || l.SetProfile(sb) == "" {
		t.Errorf("SetOf: %x %v, %x %v; profiles %q %q", sa, okA, sb, okB, l.SetProfile(sa), l.SetProfile(sb))
	}
	if s2, ok := l.RecordSet("s", "2"); !ok || s2 != sb {
		t.Errorf("RecordSet(s, 2) = %x, %v; want %x", s2, ok, sb)
	}
	if _, ok := l.SetOf([]identity.ID{em("c@posti.fi")}); ok {
		t.Error("SetOf of identifiers never added: found")
	}
}
