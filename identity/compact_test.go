package identity

import (
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestArena(t *testing.T) {
	var a arena
	in := []string{"", "x", strings.Repeat("long", arenaChunk/8), "after the long one", strings.Repeat("y", arenaChunk/4-20), ""}
	for i := range 3000 {
		in = append(in, fmt.Sprintf("value %d %s", i, strings.Repeat("z", i%700)))
	}
	refs := make([]strRef, len(in))
	for i, s := range in {
		refs[i] = a.add(s)
	}
	got := make([]string, len(in))
	for i, r := range refs {
		got[i] = a.get(r)
	}
	if d := cmp.Diff(in, got); d != "" {
		t.Fatalf("arena strings (-want +got):\n%s", d)
	}
}

func TestSetTable(t *testing.T) {
	tab := newSetTable()
	type set struct {
		h      SetHash
		ids    []ID
		anchor RecordKey
	}
	var sets []set
	for i := range 5000 {
		ids := canonicalIDs([]ID{Email(fmt.Sprintf("p%d@x.fi", i/3)), Cookie(fmt.Sprintf("c%d", i)), {"custom", fmt.Sprint(i % 7)}})
		s := set{hashIDs(ids), ids, RecordKey{int64(i), fmt.Sprintf("src%d", i%4), fmt.Sprint("r", i)}}
		sets = append(sets, s)
		if _, added, err := tab.add(s.h, s.ids, s.anchor, 1); err != nil || !added {
			t.Fatalf("add %d: added %v, %v", i, added, err)
		}
		if _, added, _ := tab.add(s.h, s.ids, s.anchor, 1); added {
			t.Fatalf("set %d added twice", i)
		}
	}
	order := tab.hashOrder()
	for i := 1; i < len(order); i++ {
		if compareHash(tab.ents[order[i-1]].hash, tab.ents[order[i]].hash) >= 0 {
			t.Fatalf("sets not in hash order at %d", i)
		}
	}
	for i, s := range sets {
		k, ok := tab.find(s.h)
		if !ok {
			t.Fatalf("set %d not found", i)
		}
		if d := cmp.Diff(s.ids, tab.idsOf(nil, k)); d != "" {
			t.Fatalf("set %d identifiers (-want +got):\n%s", i, d)
		}
		if got := tab.anchor(k); got != s.anchor {
			t.Fatalf("set %d anchor %v, want %v", i, got, s.anchor)
		}
	}
	if got, want := len(tab.ids.ents), 5000/3+1+5000+7; got != want {
		t.Errorf("%d identifiers interned, want %d", got, want)
	}
	for _, id := range []ID{Email("p0@x.fi"), Cookie("c4999"), {"custom", "6"}} {
		if k, ok := tab.ids.find(id); !ok || tab.ids.id(k) != id {
			t.Errorf("find(%v) = %v, %v", id, k, ok)
		}
	}
	for _, id := range []ID{Email("p0@x.fi "), Cookie("c5000"), {"unknown", "6"}} {
		if _, ok := tab.ids.find(id); ok {
			t.Errorf("find(%v) found an identifier never added", id)
		}
	}
	if _, ok := tab.find(SetHash{1}); ok {
		t.Error("found a set never added")
	}
}

// offerStronger, offered references in any order, keeps what addStronger
// keeps when they come in key order.
func TestOfferStronger(t *testing.T) {
	pol := DefaultPolicies()
	ep := pol.Policy(TypeEmail)
	ep.SharedAfter = 2
	pol.Types[TypeEmail] = ep
	rng := rand.New(rand.NewPCG(7, 8))
	strongTypes := []Type{TypeCustomerID, TypeLoyaltyCard, TypePhone}
	for trial := range 300 {
		type occurrence struct {
			key uint64
			ref strongRef
		}
		var occs []occurrence
		for set := range 1 + rng.IntN(30) {
			for p := range 1 + rng.IntN(4) {
				typ := strongTypes[rng.IntN(len(strongTypes))]
				occs = append(occs, occurrence{uint64(set)<<32 | uint64(p), strongRef{typ, uint64(rng.IntN(8))}})
			}
		}
		// What resolution in key order keeps.
		var want identState
		for _, o := range occs {
			addStronger(&pol, TypeEmail, &want, []strongRef{o.ref})
		}
		// Offered in another order.
		tab := identTable{seed: maphash.MakeSeed(), typeOf: map[Type]uint16{}}
		i, _ := tab.intern(Email("a@b.fi"))
		for _, typ := range strongTypes {
			tab.intern(ID{typ, "x"})
		}
		rng.Shuffle(len(occs), func(a, b int) { occs[a], occs[b] = occs[b], occs[a] })
		for _, o := range occs {
			tab.offerStronger(i, o.ref, o.key, pol.sharedLimit(TypeEmail, o.ref.typ)+1)
		}
		if d := cmp.Diff(want.stronger, tab.stronger(nil, i), cmp.AllowUnexported(strongRef{})); d != "" {
			t.Fatalf("trial %d (-want +got):\n%s", trial, d)
		}
	}
}
