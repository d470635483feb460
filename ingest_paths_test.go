package unify_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/unifycdp/unify"
	"github.com/unifycdp/unify/identity"
	"github.com/unifycdp/unify/profile"
	"github.com/unifycdp/unify/segment"
	"github.com/unifycdp/unify/store/memstore"
)

// TestIngestPaths drives one engine through a random mix of new records,
// the same records again, new versions of records (other content, other
// time, other identifiers), deletions and erasures, and checks each
// Ingest's Status and TraitsChanged against what the profiles show, and at
// the end that the profiles are those of a fresh engine given the surviving
// records, and those Rebuild derives. Ingest takes shortcuts (which store
// reads it skips, which profiles it re-derives): this is what keeps them
// honest.
func TestIngestPaths(t *testing.T) {
	ctx := context.Background()
	segs := []segment.Segment{{Name: "buyers", Expr: `orders >= 2`}, {Name: "known", Expr: `records >= 3`}}
	openSeg := func() *unify.Engine {
		e, err := unify.Open(ctx, unify.Options{Store: memstore.New(), PhoneRegion: "FI", Segments: segs})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { e.Close() })
		return e
	}
	for seed := range uint64(4) {
		rng := rand.New(rand.NewPCG(seed, 7))
		e := openSeg()
		live := map[string]*profile.Record{} // by key: the version the engine holds
		var keys []string                    // every key used, in order of first use
		mk := func(src, id string) *profile.Record {
			p := rng.IntN(12)
			var idents []string
			if rng.IntN(2) == 0 {
				idents = append(idents, "email", fmt.Sprintf("p%d@posti.fi", p))
			}
			if rng.IntN(2) == 0 {
				idents = append(idents, "phone", fmt.Sprintf("040 100 %04d", p+rng.IntN(2)))
			}
			if rng.IntN(3) == 0 {
				idents = append(idents, "loyalty_card", fmt.Sprintf("L%d", p+rng.IntN(3)))
			}
			if len(idents) == 0 || rng.IntN(4) == 0 {
				idents = append(idents, "cookie", fmt.Sprintf("ck%d", p))
			}
			at := time.Duration(rng.IntN(500)) * time.Minute
			if rng.IntN(2) == 0 {
				return order(src, id, at, profile.Money(100+rng.IntN(900)), "pos", "Oulu", idents...)
			}
			return customer(src, id, at, fmt.Sprint("N", rng.IntN(3)), "X", idents...)
		}
		// check compares the profiles with those of a fresh engine given
		// the records held.
		check := func(step int) {
			t.Helper()
			fresh := openSeg()
			var held []*profile.Record
			for _, r := range live {
				held = append(held, r)
			}
			slices.SortFunc(held, profile.Compare)
			for _, r := range held {
				ingest(t, fresh, r)
			}
			if diff := cmp.Diff(allProfiles(t, fresh), allProfiles(t, e), profileCmp...); diff != "" {
				t.Fatalf("seed %d step %d: profiles differ from a fresh ingest of the same records (-fresh +got):\n%s", seed, step, diff)
			}
		}
		for step := range 400 {
			if step%10 == 9 {
				check(step)
			}
			before := allProfiles(t, e)
			var r *profile.Record
			want := unify.Added
			switch k := rng.IntN(20); {
			case k < 8 || len(keys) == 0: // a new record
				src := []string{"pos", "web"}[rng.IntN(2)]
				r = mk(src, fmt.Sprint("r", step))
				keys = append(keys, r.Key())
			case k < 11: // the same record again
				key := keys[rng.IntN(len(keys))]
				if r = live[key]; r == nil {
					continue
				}
				want = unify.Unchanged
			case k < 17: // a new version of a record, maybe one that is gone
				key := keys[rng.IntN(len(keys))]
				old := live[key]
				if old == nil {
					src, id, _ := cut(key)
					r = mk(src, id)
					break
				}
				c := *old
				switch rng.IntN(3) {
				case 0: // other content, same time and identifiers
					if c.Customer != nil {
						cc := *c.Customer
						cc.FirstName += "x"
						c.Customer = &cc
					} else {
						oo := *c.Order
						oo.Total++
						c.Order = &oo
					}
				case 1: // later
					c.Time = c.Time.Add(time.Minute)
				default: // other identifiers
					c = *mk(c.Source, c.ID)
				}
				r, want = &c, unify.Replaced
				if cmp.Equal(r, old) {
					want = unify.Unchanged
				}
			case k < 19: // delete
				key := keys[rng.IntN(len(keys))]
				src, id, _ := cut(key)
				_, err := e.Delete(ctx, src, id)
				if (live[key] == nil) != errors.Is(err, unify.ErrNotFound) || (err != nil && !errors.Is(err, unify.ErrNotFound)) {
					t.Fatalf("seed %d step %d: delete %s (held %v): %v", seed, step, key, live[key] != nil, err)
				}
				delete(live, key)
				continue
			default: // erase whoever holds an identifier
				_, err := e.Erase(ctx, identity.Email(fmt.Sprintf("p%d@posti.fi", rng.IntN(12))))
				if err != nil && !errors.Is(err, unify.ErrNotFound) {
					t.Fatal(err)
				}
				for key := range live {
					src, id, _ := cut(key)
					if _, err := e.Record(ctx, src, id); errors.Is(err, unify.ErrNotFound) {
						delete(live, key)
					} else if err != nil {
						t.Fatal(err)
					}
				}
				continue
			}
			if want == unify.Added && live[r.Key()] != nil {
				want = unify.Replaced
			}
			res, err := e.Ingest(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			live[r.Key()] = r
			after := allProfiles(t, e)
			if res.Status != want {
				t.Fatalf("seed %d step %d: %s: status %s, want %s", seed, step, r.Key(), res.Status, want)
			}
			p := after[res.Profile]
			if p == nil {
				t.Fatalf("seed %d step %d: %s: profile %q missing", seed, step, r.Key(), res.Profile)
			}
			old, existed := before[res.Profile]
			// RecordsByKind is not a trait that TraitsChanged reports: every
			// record changes it.
			changed := !existed || !cmp.Equal(old.Traits, p.Traits, append(profileCmp, cmpopts.IgnoreFields(profile.Traits{}, "RecordsByKind"))...)
			if res.TraitsChanged != changed {
				t.Fatalf("seed %d step %d: %s (%s): TraitsChanged %v, want %v (existed %v, changes %+v)\n%s", seed, step, r.Key(), res.Status, res.TraitsChanged, changed, existed, res.Changes, cmp.Diff(old, p, profileCmp...))
			}
			if res.Status == unify.Unchanged && (len(res.Changes) != 0 || !cmp.Equal(before, after, profileCmp...)) {
				t.Fatalf("seed %d step %d: unchanged record changed something: %+v", seed, step, res.Changes)
			}
		}
		check(400)
		got := allProfiles(t, e)
		if _, err := e.Rebuild(ctx); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(got, allProfiles(t, e), profileCmp...); diff != "" {
			t.Errorf("seed %d: rebuild differs from incremental (-incremental +rebuilt):\n%s", seed, diff)
		}
	}
}

func cut(key string) (src, id string, ok bool) {
	i := 0
	for i < len(key) && key[i] != '/' {
		i++
	}
	if i == len(key) {
		return key, "", false
	}
	return key[:i], key[i+1:], true
}

// TestRecordsSharingIdentifiers: records that carry the same identifiers
// as another record (one identifier set) change their profile without any
// identifier moving, when a new version moves a record into such a set and
// when one of them is deleted.
func TestRecordsSharingIdentifiers(t *testing.T) {
	ctx := context.Background()
	e := open(t, nil)
	h := time.Hour
	ingest(t, e, order("pos", "o1", 0, 1000, "pos", "Oulu", "phone", "040 100 0001"))
	ingest(t, e, order("pos", "o2", h, 2000, "pos", "Oulu", "email", "aino@posti.fi"))
	// o2's new version carries o1's phone only: o2's old profile goes, and
	// o1's holds both orders.
	res := ingest(t, e, order("pos", "o2", 2*h, 2000, "pos", "Oulu", "phone", "040 100 0001"))
	p, err := e.Profile(ctx, identity.Phone("040 100 0001"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != unify.Replaced || res.Profile != p.ID || p.Traits.OrderCount != 2 || p.Records != 2 || !res.TraitsChanged {
		t.Errorf("after the move: %+v, profile %d records, %d orders", res, p.Records, p.Traits.OrderCount)
	}
	cs, err := e.Delete(ctx, "pos", "o2")
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].Kind != unify.ProfileUpdated || cs[0].Profile != p.ID || cs[0].Record != "pos/o2" {
		t.Errorf("delete changes: %+v", cs)
	}
	p, err = e.Profile(ctx, identity.Phone("040 100 0001"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Traits.OrderCount != 1 || p.Records != 1 || p.Traits.TotalSpend != 1000 {
		t.Errorf("after the delete: %d records, %d orders, spend %v", p.Records, p.Traits.OrderCount, p.Traits.TotalSpend)
	}
}

// TestIdentifierBecomesShared: a new record that makes an identifier of a
// profile shared (an email seen with more loyalty cards than a person
// holds) leaves the profile its ID but takes the email out of it; the
// profile must be what Rebuild derives. (Ingest applied the record to the
// stored profile, which kept the email.)
func TestIdentifierBecomesShared(t *testing.T) {
	h := time.Hour
	recs := []*profile.Record{
		customer("pos", "r1", 0, "A", "X", "loyalty_card", "L1", "loyalty_card", "L2", "customer_id", "C1"),
		order("pos", "r2", h, 100, "pos", "Oulu", "email", "e@posti.fi", "loyalty_card", "L1"),
		order("pos", "r3", 2*h, 100, "pos", "Oulu", "email", "e@posti.fi", "loyalty_card", "L2"),
		order("pos", "r4", 3*h, 100, "pos", "Oulu", "email", "e@posti.fi", "loyalty_card", "L3", "customer_id", "C1"),
	}
	e := open(t, nil)
	var res *unify.Result
	for _, r := range recs {
		res = ingest(t, e, r)
	}
	if len(res.Changes) != 1 || res.Changes[0].Kind != unify.ProfileUpdated {
		t.Fatalf("the last record: %+v", res.Changes) // the case this test is about
	}
	got := allProfiles(t, e)
	if p := got[res.Profile]; p == nil || slices.ContainsFunc(p.Identifiers, func(i profile.IdentifierInfo) bool { return i.ID.Type == identity.TypeEmail }) {
		t.Errorf("the shared email is still in the profile: %+v", p)
	}
	if _, err := e.Rebuild(context.Background()); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(allProfiles(t, e), got, profileCmp...); diff != "" {
		t.Errorf("profiles differ from a rebuild (-rebuilt +got):\n%s", diff)
	}
}
