package consent

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/unifycdp/unify/identity"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

func TestValidate(t *testing.T) {
	phone := identity.Phone("+358401234567")
	tests := []struct {
		name      string
		c         Consent
		wantErr   error
		wantField string
	}{
		{"ok", Consent{Purpose: EmailMarketing, Status: Granted, Time: t0}, nil, ""},
		{"ok scoped custom purpose", Consent{Purpose: "loyalty_v2", Status: Withdrawn, Time: t0, Scope: &phone}, nil, ""},
		{"empty purpose", Consent{Status: Granted, Time: t0}, ErrPurpose, "purpose"},
		{"upper-case purpose", Consent{Purpose: "Email", Status: Granted, Time: t0}, ErrPurpose, "purpose"},
		{"purpose with dash", Consent{Purpose: "e-mail", Status: Granted, Time: t0}, ErrPurpose, "purpose"},
		{"unknown status", Consent{Purpose: Push, Status: "maybe", Time: t0}, ErrStatus, "status"},
		{"zero time", Consent{Purpose: Push, Status: Granted}, ErrTime, "time"},
		{"scope without value", Consent{Purpose: Push, Status: Granted, Time: t0, Scope: &identity.ID{Type: identity.TypePhone}}, ErrScope, "scope.value"},
		{"scope without type", Consent{Purpose: Push, Status: Granted, Time: t0, Scope: &identity.ID{Value: "x"}}, ErrScope, "scope.type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.Validate()
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Validate() = %v, want %v", err, tt.wantErr)
			}
			if err == nil {
				return
			}
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("error %v does not match ErrInvalid", err)
			}
			var ce *Error
			if !errors.As(err, &ce) || ce.Field != tt.wantField {
				t.Errorf("error %#v, want *Error with Field %q", err, tt.wantField)
			}
		})
	}
}

func TestApply(t *testing.T) {
	g := func(min int, src, rec string) Consent {
		return Consent{Purpose: EmailMarketing, Status: Granted, Time: at(min), Source: src, RecordID: rec}
	}
	w := func(min int, src, rec string) Consent {
		c := g(min, src, rec)
		c.Status = Withdrawn
		return c
	}
	tests := []struct {
		name string
		in   []Consent
		want Consent
	}{
		{"later grant wins", []Consent{w(0, "a", "1"), g(1, "a", "2")}, g(1, "a", "2")},
		{"later withdrawal wins", []Consent{g(0, "a", "1"), w(1, "a", "2")}, w(1, "a", "2")},
		{"tie: withdrawal wins", []Consent{g(0, "z", "9"), w(0, "a", "1")}, w(0, "a", "1")},
		{"tie: greater source wins", []Consent{g(0, "b", "1"), g(0, "a", "9")}, g(0, "b", "1")},
		{"tie: greater record wins", []Consent{g(0, "a", "1"), g(0, "a", "2")}, g(0, "a", "2")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, order := range [][]Consent{tt.in, {tt.in[1], tt.in[0]}} {
				s := Resolve(order)
				got, ok := s.Get(EmailMarketing, nil)
				if !ok {
					t.Fatal("no consent")
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("winner (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestAllowed(t *testing.T) {
	phone := identity.Phone("+358401234567")
	other := identity.Phone("+358509990000")
	c := func(min int, st Status, scope *identity.ID) Consent {
		return Consent{Purpose: SMSMarketing, Status: st, Time: at(min), Source: "s", RecordID: "r" + string(st) + time.Duration(min).String(), Scope: scope}
	}
	tests := []struct {
		name  string
		in    []Consent
		scope *identity.ID
		want  bool
	}{
		{"nothing", nil, nil, false},
		{"nothing scoped", nil, &phone, false},
		{"general grant", []Consent{c(0, Granted, nil)}, nil, true},
		{"general grant applies to scope", []Consent{c(0, Granted, nil)}, &phone, true},
		{"scoped grant only", []Consent{c(0, Granted, &phone)}, &phone, true},
		{"scoped grant does not answer general", []Consent{c(0, Granted, &phone)}, nil, false},
		{"scoped grant is for one phone", []Consent{c(0, Granted, &phone)}, &other, false},
		{"later general withdrawal revokes scoped grant", []Consent{c(0, Granted, &phone), c(1, Withdrawn, nil)}, &phone, false},
		{"tied general withdrawal revokes scoped grant", []Consent{c(0, Granted, &phone), c(0, Withdrawn, nil)}, &phone, false},
		{"later scoped grant lifts general withdrawal", []Consent{c(0, Withdrawn, nil), c(1, Granted, &phone)}, &phone, true},
		{"general withdrawal still applies elsewhere", []Consent{c(0, Withdrawn, nil), c(1, Granted, &phone)}, &other, false},
		{"scoped withdrawal survives later general grant", []Consent{c(0, Withdrawn, &phone), c(1, Granted, nil)}, &phone, false},
		{"later scoped grant lifts scoped withdrawal", []Consent{c(0, Withdrawn, &phone), c(1, Granted, &phone)}, &phone, true},
		{"scoped withdrawal leaves general grant", []Consent{c(0, Granted, nil), c(1, Withdrawn, &phone)}, &other, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Resolve(tt.in)
			if got := s.Allowed(SMSMarketing, tt.scope); got != tt.want {
				t.Errorf("Allowed = %v, want %v", got, tt.want)
			}
		})
	}
}

// randomConsents draws consents with many collisions of purpose, scope,
// time, source and record.
func randomConsents(rng *rand.Rand, n int) []Consent {
	scopes := []*identity.ID{nil, {Type: identity.TypePhone, Value: "+1"}, {Type: identity.TypeEmail, Value: "a@b"}}
	cs := make([]Consent, n)
	for i := range cs {
		st := Granted
		if rng.IntN(2) == 0 {
			st = Withdrawn
		}
		cs[i] = Consent{
			Purpose:  []Purpose{EmailMarketing, SMSMarketing, "custom"}[rng.IntN(3)],
			Status:   st,
			Time:     at(rng.IntN(4)),
			Source:   []string{"a", "b"}[rng.IntN(2)],
			RecordID: []string{"1", "2", "3"}[rng.IntN(3)],
			Scope:    scopes[rng.IntN(len(scopes))],
		}
	}
	return cs
}

func TestResolveOrderIndependent(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		cs := randomConsents(rng, 1+rng.IntN(30))
		want := Resolve(cs)
		for range 5 {
			rng.Shuffle(len(cs), func(i, j int) { cs[i], cs[j] = cs[j], cs[i] })
			var got Set
			for _, c := range cs {
				got.Apply(c)
			}
			if diff := cmp.Diff(want.Slice(), got.Slice()); diff != "" {
				t.Fatalf("order changed the result (-want +got):\n%s", diff)
			}
			if !want.Equal(got) {
				t.Fatal("Equal disagrees with Slice")
			}
			// Merging two halves gives the same set.
			h := len(cs) / 2
			m := Resolve(cs[:h])
			m.Merge(Resolve(cs[h:]))
			if !want.Equal(m) {
				t.Fatalf("Merge differs:\n%v\n%v", want.Slice(), m.Slice())
			}
		}
	}
}

func TestSetCopiesScope(t *testing.T) {
	id := identity.Phone("+1")
	var s Set
	s.Apply(Consent{Purpose: Push, Status: Granted, Time: t0, Scope: &id})
	id.Value = "+2"
	if !s.Allowed(Push, &identity.ID{Type: identity.TypePhone, Value: "+1"}) {
		t.Error("the set aliases the caller's scope")
	}
}

func TestSetJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	s := Resolve(randomConsents(rng, 20))
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var got Set
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s.Slice(), got.Slice()); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if b, _ := json.Marshal(Set{}); string(b) != "[]" {
		t.Errorf("empty set encodes as %s", b)
	}
}

func TestAllStops(t *testing.T) {
	s := Resolve(randomConsents(rand.New(rand.NewPCG(5, 6)), 20))
	n := 0
	for range s.All() {
		n++
		break
	}
	if n != 1 || s.Len() < 2 {
		t.Errorf("n = %d, Len = %d", n, s.Len())
	}
}

func TestFromSorted(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	s := Resolve(randomConsents(rng, 30))
	got, ok := FromSorted(s.Slice())
	if !ok || !got.Equal(s) {
		t.Fatalf("FromSorted of a Set's consents: %v, equal %v", ok, got.Equal(s))
	}
	cs := s.Slice()
	if len(cs) < 2 {
		t.Fatal("too few consents")
	}
	for name, bad := range map[string][]Consent{
		"unsorted":  append([]Consent{cs[1]}, cs[0]),
		"duplicate": {cs[0], cs[0]},
		"not UTC":   {{Purpose: cs[0].Purpose, Status: Granted, Time: t0.In(time.FixedZone("X", 3600))}},
	} {
		if got, ok := FromSorted(bad); ok || got.Len() != 0 {
			t.Errorf("%s: ok %v, %d consents", name, ok, got.Len())
		}
	}
	if got, ok := FromSorted(nil); !ok || got.Len() != 0 {
		t.Errorf("empty: ok %v, %d consents", ok, got.Len())
	}
}
