package unify_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/unifycdp/unify"
	"github.com/unifycdp/unify/consent"
	"github.com/unifycdp/unify/identity"
	"github.com/unifycdp/unify/profile"
	"github.com/unifycdp/unify/segment"
	"github.com/unifycdp/unify/store"
	"github.com/unifycdp/unify/store/badgerstore"
	"github.com/unifycdp/unify/store/memstore"
)

var t0 = time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)

func open(t testing.TB, s store.Store) *unify.Engine {
	t.Helper()
	if s == nil {
		s = memstore.New()
	}
	e, err := unify.Open(context.Background(), unify.Options{Store: s, PhoneRegion: "FI"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func ingest(t testing.TB, e *unify.Engine, r *profile.Record) *unify.Result {
	t.Helper()
	res, err := e.Ingest(context.Background(), r)
	if err != nil {
		t.Fatalf("ingest %s: %v", r.Key(), err)
	}
	return res
}

func ids(pairs ...string) []profile.Identifier {
	var out []profile.Identifier
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, profile.Identifier{Type: identity.Type(pairs[i]), Raw: pairs[i+1]})
	}
	return out
}

func order(src, id string, at time.Duration, total profile.Money, channel, store string, idents ...string) *profile.Record {
	return &profile.Record{Source: src, ID: id, Kind: profile.KindOrder, Time: t0.Add(at), Identifiers: ids(idents...),
		Order: &profile.Order{OrderID: id, Channel: channel, Store: store, Currency: "EUR", Total: total,
			Lines: []profile.OrderLine{{SKU: "S1", Category: "towels", Quantity: 1, UnitPrice: total, Total: total}}}}
}

func customer(src, id string, at time.Duration, first, last string, idents ...string) *profile.Record {
	return &profile.Record{Source: src, ID: id, Kind: profile.KindCustomer, Time: t0.Add(at), Identifiers: ids(idents...),
		Customer: &profile.Customer{FirstName: first, LastName: last}}
}

func TestRecordKinds(t *testing.T) {
	ctx := context.Background()
	e := open(t, nil)
	h := time.Hour
	recs := []*profile.Record{
		customer("webstore", "c1", 0, "Aino", "Äijälä", "customer_id", "W1", "email", "aino@posti.fi"),
		order("webstore", "o1", 1*h, 5000, "web", "", "customer_id", "W1"),
		order("pos", "r1", 2*h, 2500, "pos", "Turku", "email", "AINO@posti.fi"),
		{Source: "pos", ID: "r2", Kind: profile.KindOrder, Time: t0.Add(3 * h), Identifiers: ids("email", "aino@posti.fi"),
			Order: &profile.Order{Channel: "pos", Store: "Turku", Currency: "EUR", Total: 1000, Return: true}},
		{Source: "web", ID: "e1", Kind: profile.KindEvent, Time: t0.Add(4 * h), Identifiers: ids("email", "aino@posti.fi"),
			Event: &profile.Event{Name: "product_view", Channel: "web", Category: "rugs"}},
		{Source: "service", ID: "t1", Kind: profile.KindTicket, Time: t0.Add(5 * h), Identifiers: ids("email", "aino@posti.fi"),
			Ticket: &profile.Ticket{Reason: "delivery", Priority: "high", Channel: "phone"}},
		{Source: "survey", ID: "f1", Kind: profile.KindFeedback, Time: t0.Add(6 * h), Identifiers: ids("email", "aino@posti.fi"),
			Properties: map[string]profile.Value{"nps": profile.NumberValue(9)}},
		{Source: "crm", ID: "s1", Kind: profile.KindEnrichment, Time: t0.Add(7 * h), Identifiers: ids("email", "aino@posti.fi"),
			Properties: map[string]profile.Value{"churn_score": profile.NumberValue(0.2)}},
		{Source: "web", ID: "k1", Kind: profile.KindConsent, Time: t0.Add(8 * h), Identifiers: ids("email", "aino@posti.fi"),
			Consents: []consent.Consent{{Purpose: consent.EmailMarketing, Status: consent.Granted}}},
		{Source: "web", ID: "k2", Kind: profile.KindConsent, Time: t0.Add(9 * h), Identifiers: ids("email", "aino@posti.fi"),
			Consents: []consent.Consent{{Purpose: consent.EmailMarketing, Status: consent.Withdrawn}}},
	}
	for _, r := range recs {
		ingest(t, e, r)
	}
	p, err := e.Profile(ctx, identity.CustomerID("W1"))
	if err != nil {
		t.Fatal(err)
	}
	got := struct {
		Records, Orders, Returns, Tickets int
		Spend                             profile.Money
		Store                             string
		Browsed                           []string
		Email                             bool
		Name                              string
	}{p.Records, p.Traits.OrderCount, p.Traits.Returns, p.Traits.Tickets, p.Traits.TotalSpend, p.Traits.FavouriteStore,
		p.Traits.CategoriesBrowsed, p.Consents.Allowed(consent.EmailMarketing, nil), p.Attr("last_name").String()}
	want := got
	want.Records, want.Orders, want.Returns, want.Tickets = 10, 2, 1, 1
	want.Spend, want.Store, want.Browsed, want.Email, want.Name = 6500, "Turku", []string{"rugs"}, false, "Äijälä"
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("profile (-want +got):\n%s", diff)
	}
	if p.Attr("churn_score").Number() != 0.2 {
		t.Errorf("enrichment attribute: %v", p.Attr("churn_score"))
	}
	page, err := e.Timeline(ctx, p.ID, "", 4)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for page != nil {
		for _, r := range page.Records {
			names = append(names, r.Key())
		}
		if page.Next == "" {
			break
		}
		if page, err = e.Timeline(ctx, p.ID, page.Next, 4); err != nil {
			t.Fatal(err)
		}
	}
	wantNames := []string{"web/k2", "web/k1", "crm/s1", "survey/f1", "service/t1", "web/e1", "pos/r2", "pos/r1", "webstore/o1", "webstore/c1"}
	if diff := cmp.Diff(wantNames, names); diff != "" {
		t.Errorf("timeline newest first (-want +got):\n%s", diff)
	}
}

func TestIdempotencyAndReplacement(t *testing.T) {
	ctx := context.Background()
	e := open(t, nil)
	c := customer("webstore", "c1", 0, "Ville", "Virtanen", "customer_id", "W7", "email", "ville@old.fi")
	first := ingest(t, e, c)
	again := ingest(t, e, c)
	if again.Status != unify.Unchanged || len(again.Changes) != 0 || again.Profile != first.Profile {
		t.Errorf("second ingest: %+v", again)
	}
	// The customer changes email in the webstore: the old address unlinks.
	c2 := customer("webstore", "c1", time.Hour, "Ville", "Virtanen", "customer_id", "W7", "email", "ville@new.fi")
	res := ingest(t, e, c2)
	if res.Status != unify.Replaced || res.Profile != first.Profile {
		t.Errorf("replace: %+v", res)
	}
	if _, err := e.Profile(ctx, identity.Email("ville@old.fi")); !errors.Is(err, unify.ErrNotFound) {
		t.Errorf("old email still resolves: %v", err)
	}
	p, err := e.Profile(ctx, identity.Email("Ville@New.fi"))
	if err != nil || p.ID != first.Profile || p.Records != 1 {
		t.Fatalf("new email: %v %+v", err, p)
	}
	// Unless other evidence still links it.
	ingest(t, e, order("pos", "r1", 2*time.Hour, 100, "pos", "Oulu", "email", "ville@new.fi", "email", "ville@old.fi"))
	if p2, err := e.Profile(ctx, identity.Email("ville@old.fi")); err != nil || p2.ID != first.Profile {
		t.Errorf("old email with other evidence: %v", err)
	}
}

func TestSurvivorship(t *testing.T) {
	ctx := context.Background()
	e := open(t, nil)
	ingest(t, e, customer("pos", "a", 2*time.Hour, "Liisa", "Laine", "email", "liisa@posti.fi"))
	ingest(t, e, customer("webstore", "b", 1*time.Hour, "Lisa", "Lainé", "email", "liisa@posti.fi"))
	if res := ingest(t, e, customer("crm", "c", 3*time.Hour, "", "Laine-Koski", "email", "liisa@posti.fi")); res.TraitsChanged {
		t.Errorf("a name change reports changed traits")
	}
	if res := ingest(t, e, order("pos", "o", 4*time.Hour, 100, "pos", "Oulu", "email", "liisa@posti.fi")); !res.TraitsChanged {
		t.Errorf("an order reports unchanged traits")
	}
	p, err := e.Profile(ctx, identity.Email("liisa@posti.fi"))
	if err != nil {
		t.Fatal(err)
	}
	if got := [2]string{p.Attr("first_name").String(), p.Attr("last_name").String()}; got != [2]string{"Liisa", "Laine-Koski"} {
		t.Errorf("latest non-empty wins: got %v", got)
	}
}

func TestTraitsAfterMergeAndSplit(t *testing.T) {
	ctx := context.Background()
	e := open(t, nil)
	h := time.Hour
	ingest(t, e, order("pos", "r1", h, 1000, "pos", "Oulu", "loyalty_card", "L1"))
	ingest(t, e, order("pos", "r2", 2*h, 2000, "pos", "Oulu", "loyalty_card", "L1"))
	ingest(t, e, order("webstore", "o1", 3*h, 4000, "web", "", "email", "mari@posti.fi"))
	before, _ := e.Profile(ctx, identity.Email("mari@posti.fi"))
	link := customer("pos", "signup", 4*h, "Mari", "M", "loyalty_card", "L1", "email", "mari@posti.fi")
	res := ingest(t, e, link)
	if len(res.Changes) != 1 || res.Changes[0].Kind != unify.ProfileMerged {
		t.Fatalf("merge: %+v", res.Changes)
	}
	p, _ := e.Profile(ctx, identity.Email("mari@posti.fi"))
	if p.Traits.OrderCount != 3 || p.Traits.TotalSpend != 7000 || p.Records != 4 {
		t.Errorf("merged traits: %d orders, %v spend, %d records", p.Traits.OrderCount, p.Traits.TotalSpend, p.Records)
	}
	if !slices.Contains(p.Aliases, before.ID) {
		t.Errorf("aliases %v lack %s", p.Aliases, before.ID)
	}
	if alias, err := e.ProfileByID(ctx, before.ID); err != nil || alias.ID != p.ID {
		t.Errorf("alias lookup: %v", err)
	}
	// Stricter policies would split the merged profile again: a dry run says
	// so and changes nothing.
	strict := identity.DefaultPolicies()
	em := strict.Types[identity.TypeEmail]
	em.Blocked = []string{"mari@posti.fi"}
	strict.Types[identity.TypeEmail] = em
	rep, err := e.DryRun(ctx, strict)
	if err != nil || rep.Count(identity.Split) != 2 {
		t.Errorf("dry run: %v %+v", err, rep)
	}
	// The linking record was wrong: deleting it splits the profile exactly.
	cs, err := e.Delete(ctx, "pos", "signup")
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 2 || cs[0].Kind != unify.ProfileSplit {
		t.Errorf("split changes: %+v", cs)
	}
	web, _ := e.Profile(ctx, identity.Email("mari@posti.fi"))
	pos, _ := e.Profile(ctx, identity.LoyaltyCard("L1"))
	if diff := cmp.Diff(before, web, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("web part after split differs from before the merge (-before +after):\n%s", diff)
	}
	if pos.Traits.OrderCount != 2 || pos.Traits.TotalSpend != 3000 {
		t.Errorf("pos part: %+v", pos.Traits)
	}
}

func TestLookupFormats(t *testing.T) {
	ctx := context.Background()
	e := open(t, nil)
	ingest(t, e, customer("pos", "m1", 0, "Jussi", "J", "phone", "040 123 4567", "email", " Jussi@Posti.FI "))
	for _, id := range []identity.ID{
		identity.Phone("+358401234567"), identity.Phone("0401234567"), identity.Phone("+358 (0)40 123 4567"),
		identity.Phone("00358 40 1234567"), identity.Email("jussi@posti.fi"), identity.Email("JUSSI@POSTI.FI"),
	} {
		if _, err := e.Profile(ctx, id); err != nil {
			t.Errorf("lookup %q: %v", id.Value, err)
		}
	}
	if _, err := e.Profile(ctx, identity.Phone("040 999 9999")); !errors.Is(err, unify.ErrNotFound) {
		t.Errorf("unknown phone: %v", err)
	}
}

func TestBadInput(t *testing.T) {
	ctx := context.Background()
	e := open(t, nil)
	_, err := e.Ingest(ctx, &profile.Record{ID: "x", Kind: profile.KindEvent, Time: t0, Identifiers: ids("cookie", "c")})
	var re *unify.RecordError
	if !errors.Is(err, unify.ErrInvalidRecord) || !errors.Is(err, profile.ErrInvalid) || !errors.As(err, &re) {
		t.Fatalf("missing source: %v", err)
	}
	long := order("pos", strings.Repeat("x", 600), 0, 100, "pos", "Oulu", "loyalty_card", "L1")
	if _, err := e.Ingest(ctx, long); !errors.Is(err, unify.ErrTooLong) || !errors.Is(err, unify.ErrInvalidRecord) {
		t.Errorf("overlong record ID: %v", err)
	}
	// A bad identifier is dropped from linking; the record is kept.
	res, err := e.Ingest(ctx, order("pos", "r9", 0, 100, "pos", "Oulu", "phone", "12", "loyalty_card", "L77"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Dropped) != 1 || res.Dropped[0].Problem == "" {
		t.Errorf("dropped: %+v", res.Dropped)
	}
	if _, err := e.Profile(ctx, identity.LoyaltyCard("L77")); err != nil {
		t.Error(err)
	}
	// A record none of whose identifiers normalize is kept in a profile of its own.
	res, err = e.Ingest(ctx, order("pos", "r10", 0, 100, "pos", "Oulu", "phone", "12"))
	if err != nil || res.Profile == "" {
		t.Fatalf("no valid identifiers: %v %+v", err, res)
	}
	if _, err := e.ProfileByRecord(ctx, "pos", "r10"); err != nil {
		t.Error(err)
	}
}

func TestErase(t *testing.T) {
	ctx := context.Background()
	e := open(t, nil)
	ingest(t, e, customer("pos", "m1", 0, "Eeva", "E", "email", "eeva@posti.fi", "loyalty_card", "L5"))
	ingest(t, e, order("webstore", "o1", time.Hour, 100, "web", "", "email", "eeva@posti.fi"))
	ingest(t, e, order("pos", "o2", time.Hour, 100, "pos", "Oulu", "loyalty_card", "L6"))
	p, _ := e.Profile(ctx, identity.Email("eeva@posti.fi"))
	cs, err := e.Erase(ctx, identity.LoyaltyCard("L5"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]unify.Change{{Kind: unify.ProfileErased, Profile: p.ID}}, cs, cmpopts.IgnoreFields(unify.Change{}, "Seq", "Time")); diff != "" {
		t.Errorf("erase changes (-want +got):\n%s", diff)
	}
	for _, id := range []identity.ID{identity.Email("eeva@posti.fi"), identity.LoyaltyCard("L5")} {
		if _, err := e.Profile(ctx, id); !errors.Is(err, unify.ErrNotFound) {
			t.Errorf("%s still resolves: %v", id.Type, err)
		}
	}
	if _, err := e.Record(ctx, "pos", "m1"); !errors.Is(err, unify.ErrNotFound) {
		t.Errorf("record kept: %v", err)
	}
	if _, err := e.ProfileByID(ctx, p.ID); !errors.Is(err, unify.ErrNotFound) {
		t.Errorf("profile ID still resolves: %v", err)
	}
	if _, err := e.Profile(ctx, identity.LoyaltyCard("L6")); err != nil {
		t.Errorf("someone else's profile went too: %v", err)
	}
	for c, err := range e.Changes(ctx, 1) {
		if err != nil {
			t.Fatal(err)
		}
		if c.Record == "pos/m1" || c.Record == "webstore/o1" {
			// Earlier entries name the records; that is the feed's history
			// (IDs only). Erasure adds no record names.
			continue
		}
	}
}

func TestFeedSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	e, err := unify.Open(ctx, unify.Options{Dir: dir, PhoneRegion: "FI"})
	if err != nil {
		t.Fatal(err)
	}
	ingest(t, e, order("pos", "r1", 0, 100, "pos", "Oulu", "loyalty_card", "L1"))
	ingest(t, e, order("pos", "r2", time.Hour, 100, "pos", "Oulu", "loyalty_card", "L1"))
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	e, err = unify.Open(ctx, unify.Options{Dir: dir, PhoneRegion: "FI"})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ingest(t, e, order("pos", "r3", 2*time.Hour, 100, "pos", "Oulu", "loyalty_card", "L2"))
	var got []string
	for c, err := range e.Changes(ctx, 2) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d %s %s", c.Seq, c.Kind, c.Record))
	}
	want := []string{"2 profile_updated pos/r2", "3 profile_created pos/r3"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("feed after reopen (-want +got):\n%s", diff)
	}
	p, err := e.Profile(ctx, identity.LoyaltyCard("L1"))
	if err != nil || p.Traits.OrderCount != 2 {
		t.Errorf("profile after reopen: %v %+v", err, p)
	}
}

func TestWatch(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	e := open(t, nil)
	got := make(chan unify.Change, 10)
	go func() {
		for c, err := range e.Watch(ctx, 1) {
			if err != nil {
				return
			}
			got <- c
		}
	}()
	ingest(t, e, order("pos", "r1", 0, 100, "pos", "Oulu", "loyalty_card", "L1"))
	ingest(t, e, order("pos", "r2", time.Hour, 100, "pos", "Oulu", "loyalty_card", "L1"))
	for _, want := range []uint64{1, 2} {
		select {
		case c := <-got:
			if c.Seq != want {
				t.Errorf("seq %d, want %d", c.Seq, want)
			}
		case <-ctx.Done():
			t.Fatal("watch timed out")
		}
	}
}

// stream is a small random retail stream with shared identifiers.
func stream(seed uint64, n int) []*profile.Record {
	rng := rand.New(rand.NewPCG(seed, 1))
	var out []*profile.Record
	for i := range n {
		p := rng.IntN(n/4 + 1)
		var idents []string
		if rng.IntN(2) == 0 {
			idents = append(idents, "email", fmt.Sprintf("Person%d@Posti.fi", p))
		}
		if rng.IntN(2) == 0 {
			idents = append(idents, "phone", fmt.Sprintf("040 %03d %04d", p%1000, p+rng.IntN(2)))
		}
		if rng.IntN(3) == 0 {
			idents = append(idents, "loyalty_card", fmt.Sprintf("L%d", p+rng.IntN(3)))
		}
		if len(idents) == 0 || rng.IntN(3) == 0 {
			idents = append(idents, "cookie", fmt.Sprintf("ck%d", p))
		}
		at := time.Duration(rng.IntN(1000)) * time.Minute
		if rng.IntN(2) == 0 {
			out = append(out, order("pos", fmt.Sprint("r", i), at, profile.Money(100+rng.IntN(9000)), "pos", []string{"Oulu", "Turku"}[rng.IntN(2)], idents...))
		} else {
			out = append(out, customer("web", fmt.Sprint("c", i), at, fmt.Sprint("N", rng.IntN(5)), "X", idents...))
		}
	}
	return out
}

func allProfiles(t testing.TB, e *unify.Engine) map[string]*profile.Profile {
	t.Helper()
	out := map[string]*profile.Profile{}
	for p, err := range e.Profiles(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		out[p.ID] = p
	}
	return out
}

// Aliases are the IDs handed out before merges: history, not evidence, so
// they differ between orders of arrival and are left out.
var profileCmp = []cmp.Option{cmpopts.EquateEmpty(), cmpopts.IgnoreFields(profile.Profile{}, "Aliases"), cmp.Comparer(func(a, b consent.Set) bool { return a.Equal(b) }),
	cmp.Comparer(func(a, b profile.Value) bool { return a.Equal(b) })}

func TestImportEqualsIngest(t *testing.T) {
	ctx := context.Background()
	recs := stream(3, 400)
	one := open(t, nil)
	for _, r := range recs {
		ingest(t, one, r)
	}
	half := len(recs) / 2
	seq := func(rs []*profile.Record) func(func(*profile.Record, error) bool) {
		return func(yield func(*profile.Record, error) bool) {
			for _, r := range rs {
				if !yield(r, nil) {
					return
				}
			}
		}
	}
	// Two imports, the second overlapping the first (resumed after an
	// interruption), in every mode.
	for _, modes := range [][2]unify.ImportMode{{unify.ImportAuto, unify.ImportAuto}, {unify.ImportIncremental, unify.ImportBulk}, {unify.ImportBulk, unify.ImportIncremental}} {
		bulk := open(t, nil)
		if _, err := bulk.Import(ctx, seq(recs[:half+50]), unify.ImportOptions{ChunkSize: 64, Mode: modes[0]}); err != nil {
			t.Fatal(err)
		}
		rep, err := bulk.Import(ctx, seq(recs[half:]), unify.ImportOptions{ChunkSize: 64, Mode: modes[1]})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Unchanged != 50 || rep.Added != int64(len(recs)-half-50) {
			t.Errorf("second import: %+v", rep)
		}
		if diff := cmp.Diff(allProfiles(t, one), allProfiles(t, bulk), profileCmp...); diff != "" {
			t.Errorf("modes %v: import differs from ingest (-ingest +import):\n%s", modes, diff)
		}
	}
	// And Rebuild changes nothing.
	before := allProfiles(t, one)
	if _, err := one.Rebuild(ctx); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, allProfiles(t, one), profileCmp...); diff != "" {
		t.Errorf("rebuild differs from incremental (-incremental +rebuilt):\n%s", diff)
	}
}

func TestConcurrentIngest(t *testing.T) {
	for _, kind := range []string{"memory", "badger"} {
		t.Run(kind, func(t *testing.T) {
			var s store.Store = memstore.New()
			if kind == "badger" {
				bs, err := badgerstore.Open(context.Background(), badgerstore.Options{Dir: t.TempDir()})
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { bs.Close() })
				s = bs
			}
			recs := stream(5, 300)
			seqEng := open(t, nil)
			for _, r := range recs {
				ingest(t, seqEng, r)
			}
			e := open(t, s)
			var wg sync.WaitGroup
			for w := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := w; i < len(recs); i += 8 {
						if _, err := e.Ingest(context.Background(), recs[i]); err != nil {
							t.Error(err)
						}
					}
				}()
			}
			wg.Wait()
			if diff := cmp.Diff(allProfiles(t, seqEng), allProfiles(t, e), profileCmp...); diff != "" {
				t.Errorf("concurrent ingest differs (-sequential +concurrent):\n%s", diff)
			}
		})
	}
}

// An interrupted bulk import leaves records without a graph; the next
// import finds the marker, finishes the job from the records that landed,
// and goes on. Nothing is lost or counted twice.
func TestInterruptedBulkImportResumes(t *testing.T) {
	recs := stream(9, 1500)
	one := open(t, nil)
	for _, r := range recs {
		ingest(t, one, r)
	}
	// A store without a batch writer: the engine writes in transactions of
	// a thousand keys, so some records land before the interruption.
	mem := memstore.New()
	e := open(t, struct{ store.Store }{mem})
	ctx, cancel := context.WithCancel(context.Background())
	interrupted := func(yield func(*profile.Record, error) bool) {
		for i, r := range recs {
			if i == 1200 {
				cancel()
				return
			}
			if !yield(r, nil) {
				return
			}
		}
	}
	if _, err := e.Import(ctx, interrupted, unify.ImportOptions{ChunkSize: 32}); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted import: %v", err)
	}
	all := func(yield func(*profile.Record, error) bool) {
		for _, r := range recs {
			if !yield(r, nil) {
				return
			}
		}
	}
	rep, err := e.Import(context.Background(), all, unify.ImportOptions{ChunkSize: 32})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Read != 1500 || rep.Unchanged < 1000 || rep.Added+rep.Unchanged != 1500 {
		t.Errorf("resumed import: read %d, added %d, unchanged %d", rep.Read, rep.Added, rep.Unchanged)
	}
	if diff := cmp.Diff(allProfiles(t, one), allProfiles(t, e), profileCmp...); diff != "" {
		t.Errorf("resumed import differs from ingest (-ingest +import):\n%s", diff)
	}
	var last uint64
	for c, err := range e.Changes(context.Background(), 1) {
		if err != nil {
			t.Fatal(err)
		}
		if c.Seq != last+1 {
			t.Fatalf("feed jumps from %d to %d", last, c.Seq)
		}
		last = c.Seq
	}
}

func TestSegmentsInTheFeed(t *testing.T) {
	ctx := context.Background()
	e, err := unify.Open(ctx, unify.Options{Store: memstore.New(), PhoneRegion: "FI", Now: func() time.Time { return t0.Add(48 * time.Hour) },
		Segments: []segment.Segment{
			{Name: "curtain_browsers", Expr: `"curtains" in categories_browsed`},
			{Name: "buyers", Expr: `orders >= 1`},
			{Name: "recent_buyers", Expr: `orders >= 1 and last_order > now - 30d`},
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ingest(t, e, &profile.Record{Source: "web", ID: "v1", Kind: profile.KindEvent, Time: t0, Identifiers: ids("cookie", "ck1", "email", "sini@posti.fi"),
		Event: &profile.Event{Name: "product_view", Category: "curtains"}})
	ingest(t, e, order("webstore", "o1", time.Hour, 5000, "web", "", "email", "sini@posti.fi"))
	p, err := e.Profile(ctx, identity.Cookie("ck1"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"buyers", "curtain_browsers", "recent_buyers"}, p.Segments); diff != "" {
		t.Errorf("segments (-want +got):\n%s", diff)
	}
	var got []string
	for c, err := range e.Changes(ctx, 1) {
		if err != nil {
			t.Fatal(err)
		}
		if c.Segment != "" {
			got = append(got, fmt.Sprintf("%s %s %s", c.Kind, c.Segment, c.Record))
		}
	}
	want := []string{"segment_entered curtain_browsers web/v1", "segment_entered buyers webstore/o1", "segment_entered recent_buyers webstore/o1"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("segment feed (-want +got):\n%s", diff)
	}
	// Time passes: RefreshSegments notices what no record changed.
	later, err := unify.Open(ctx, unify.Options{Store: e.Store(), PhoneRegion: "FI", Now: func() time.Time { return t0.Add(60 * 24 * time.Hour) },
		Segments: []segment.Segment{{Name: "curtain_browsers", Expr: `"curtains" in categories_browsed`}, {Name: "buyers", Expr: `orders >= 1`},
			{Name: "recent_buyers", Expr: `orders >= 1 and last_order > now - 30d`}}})
	if err != nil {
		t.Fatal(err)
	}
	n, err := later.RefreshSegments(ctx)
	if err != nil || n != 1 {
		t.Fatalf("refresh: %d entries, %v", n, err)
	}
	p, _ = later.Profile(ctx, identity.Cookie("ck1"))
	if diff := cmp.Diff([]string{"buyers", "curtain_browsers"}, p.Segments); diff != "" {
		t.Errorf("segments after refresh (-want +got):\n%s", diff)
	}
}

func TestBadSegmentFailsOpen(t *testing.T) {
	_, err := unify.Open(context.Background(), unify.Options{Store: memstore.New(), Segments: []segment.Segment{{Name: "x", Expr: `orders >=`}}})
	var el segment.ErrorList
	if err == nil || !errors.As(err, &el) {
		t.Errorf("bad segment: %v", err)
	}
}

func TestFeedTrimAndQueries(t *testing.T) {
	ctx := context.Background()
	now := t0
	e, err := unify.Open(ctx, unify.Options{Store: memstore.New(), PhoneRegion: "FI", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ingest(t, e, customer("pos", "m1", 0, "Olli", "O", "loyalty_card", "L1", "phone", "040 765 4321"))
	now = t0.Add(48 * time.Hour)
	ingest(t, e, order("webstore", "o1", time.Hour, 100, "web", "", "phone", "+358407654321", "cookie", "ck9"))
	// Explain through the engine, identifiers written as sources write them.
	ex, err := e.Explain(ctx, identity.Cookie("ck9"), identity.LoyaltyCard("L-1"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ex.Steps) != 2 {
		t.Errorf("explain: %+v", ex.Steps)
	}
	if p, err := e.ProfileByRecord(ctx, "webstore", "o1"); err != nil || p.ID != ex.Profile {
		t.Errorf("ProfileByRecord: %v", err)
	}
	if _, err := e.Delete(ctx, "pos", "nope"); !errors.Is(err, unify.ErrNotFound) {
		t.Errorf("delete of a missing record: %v", err)
	}
	if _, err := e.Timeline(ctx, ex.Profile, "not a cursor", 5); !errors.Is(err, unify.ErrBadCursor) {
		t.Errorf("bad cursor: %v", err)
	}
	// Trim what committed before the second day: the first entry goes,
	// sequence numbers stay.
	n, err := e.TrimFeed(ctx, t0.Add(24*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("trim: %d, %v", n, err)
	}
	var seqs []uint64
	for c, err := range e.Changes(ctx, 1) {
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, c.Seq)
	}
	if diff := cmp.Diff([]uint64{2}, seqs); diff != "" {
		t.Errorf("feed after trim (-want +got):\n%s", diff)
	}
	var m []unify.MapEntry
	for me, err := range e.IdentityMap(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		m = append(m, me)
	}
	want := []unify.MapEntry{{Source: "pos", Record: "m1", Profile: ex.Profile}, {Source: "webstore", Record: "o1", Profile: ex.Profile}}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("identity map (-want +got):\n%s", diff)
	}
}

// TestProfilesScan checks that the parallel scan yields every profile once
// in ID order, and that a break, a cancellation and a corrupt profile each
// end it without leaving goroutines behind.
func TestProfilesScan(t *testing.T) {
	ctx := context.Background()
	s := memstore.New()
	e := open(t, s)
	const n = 1100 // several batches
	recs := func(yield func(*profile.Record, error) bool) {
		for i := range n {
			if !yield(customer("crm", fmt.Sprint("c", i), 0, fmt.Sprint("N", i), "X", "customer_id", fmt.Sprint("C", i)), nil) {
				return
			}
		}
	}
	if _, err := e.Import(ctx, recs, unify.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	goroutines := runtime.NumGoroutine()
	noLeak := func(what string) {
		t.Helper()
		for range 100 {
			if runtime.NumGoroutine() <= goroutines {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Errorf("%s: %d goroutines, %d before", what, runtime.NumGoroutine(), goroutines)
	}

	var all []*profile.Profile
	for p, err := range e.Profiles(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, p)
	}
	ids := make([]string, len(all))
	for i, p := range all {
		ids[i] = p.ID
	}
	if len(ids) != n || !slices.IsSorted(ids) || len(slices.Compact(slices.Clone(ids))) != n {
		t.Fatalf("scan gave %d profiles, sorted %v, want %d distinct in ID order", len(ids), slices.IsSorted(ids), n)
	}
	for _, i := range []int{0, 255, 256, 700, n - 1} {
		want, err := e.ProfileByID(ctx, ids[i])
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, all[i]); diff != "" {
			t.Errorf("profile %d differs from ProfileByID (-want +got):\n%s", i, diff)
		}
	}
	noLeak("full scan")

	seen := 0
	for _, err := range e.Profiles(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		if seen++; seen == 300 {
			break
		}
	}
	noLeak("break")

	cctx, cancel := context.WithCancel(ctx)
	var got []string
	var last error
	for p, err := range e.Profiles(cctx) {
		if err != nil {
			last = err
			continue
		}
		if got = append(got, p.ID); len(got) == 300 {
			cancel()
		}
	}
	cancel()
	// The batch under way ends; the next one is not yielded.
	if !errors.Is(last, context.Canceled) || len(got) > 512 {
		t.Errorf("cancelled scan: %d profiles, error %v", len(got), last)
	}
	if diff := cmp.Diff(ids[:len(got)], got); diff != "" {
		t.Errorf("cancelled scan order (-want +got):\n%s", diff)
	}
	noLeak("cancel")

	// A corrupt profile ends the scan with an error after those before it.
	err := s.Update(ctx, func(tx store.Tx) error {
		return tx.Set(store.AppendString(store.AppendString(nil, "p"), ids[400]), []byte{2, 9, 9})
	})
	if err != nil {
		t.Fatal(err)
	}
	got, last = nil, nil
	for p, err := range e.Profiles(ctx) {
		if err != nil {
			last = err
			continue
		}
		got = append(got, p.ID)
	}
	if !errors.Is(last, profile.ErrCorrupt) {
		t.Errorf("corrupt profile: error %v, want ErrCorrupt", last)
	}
	if diff := cmp.Diff(ids[:400], got); diff != "" {
		t.Errorf("profiles before the corrupt one (-want +got):\n%s", diff)
	}
	noLeak("corrupt")
}

// A record that leaves a profile whose identifiers stay (other records
// carry them) changes that profile all the same: replaced by a version
// with other identifiers, or deleted. Ingest and Delete leave what Rebuild
// derives from the evidence.
func TestRecordLeavesProfile(t *testing.T) {
	ctx := context.Background()
	at := func(m int) time.Duration { return time.Duration(m) * time.Minute }
	base := []*profile.Record{
		order("pos", "o1", at(1), 1000, "pos", "Oulu", "cookie", "ck1"),
		order("pos", "o2", at(2), 2000, "pos", "Turku", "cookie", "ck1"),
		order("pos", "o3", at(3), 3000, "pos", "Turku", "cookie", "ck2"),
	}
	for _, tc := range []struct {
		name   string
		change func(e *unify.Engine) error
	}{
		{"replaced into another profile", func(e *unify.Engine) error {
			_, err := e.Ingest(ctx, customer("pos", "o2", at(4), "N", "X", "cookie", "ck2"))
			return err
		}},
		{"replaced, no longer linking", func(e *unify.Engine) error {
			_, err := e.Ingest(ctx, customer("pos", "o2", at(4), "N", "X", "cookie", "ck9"))
			return err
		}},
		{"deleted", func(e *unify.Engine) error {
			_, err := e.Delete(ctx, "pos", "o2")
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := open(t, nil)
			for _, r := range base {
				ingest(t, e, r)
			}
			if err := tc.change(e); err != nil {
				t.Fatal(err)
			}
			got := allProfiles(t, e)
			if _, err := e.Rebuild(ctx); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(allProfiles(t, e), got, profileCmp...); diff != "" {
				t.Errorf("(-rebuilt +incremental):\n%s", diff)
			}
		})
	}
}
