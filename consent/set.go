package consent

import (
	"encoding/json"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/unifycdp/unify/identity"
)

// Set holds the resolved consents of a profile: for every (purpose, scope)
// the winning event by Compare. The zero Set is empty and ready to use. A Set
// is a value; copy it with Clone before mutating a copy shared elsewhere.
//
// Sets compare with Equal, which go-cmp uses.
type Set struct {
	cs []Consent // sorted by key: purpose, then unscoped first, then scope
}

// Resolve returns the Set holding the winners among cs. The result does not
// depend on the order of cs, and equals applying each element to an empty Set.
func Resolve(cs []Consent) Set {
	var s Set
	for _, c := range cs {
		s.Apply(c)
	}
	return s
}

// FromSorted returns the Set holding cs, which must be as a Set's All yields
// them: ascending (purpose, scope) with none twice, times in UTC. The Set
// takes cs over, Scope pointers included, so that a decoder builds a Set
// with one allocation instead of Resolve's search and copies. It reports
// false, with an empty Set, when cs breaks those rules.
func FromSorted(cs []Consent) (Set, bool) {
	for i := range cs {
		if cs[i].Time.Location() != time.UTC || i > 0 && compareKey(cs[i-1], cs[i]) >= 0 {
			return Set{}, false
		}
	}
	if len(cs) == 0 {
		cs = nil
	}
	return Set{cs: cs}, true
}

// Apply adds one consent event: it replaces the consent held for the same
// purpose and scope if it wins over it by Compare, and is dropped otherwise.
// Apply does not validate c; callers validate at the boundary.
func (s *Set) Apply(c Consent) {
	c.Time = c.Time.UTC()
	if c.Scope != nil {
		sc := *c.Scope
		c.Scope = &sc
	}
	i, found := slices.BinarySearchFunc(s.cs, c, compareKey)
	if !found {
		s.cs = slices.Insert(s.cs, i, c)
		return
	}
	if Compare(c, s.cs[i]) > 0 {
		s.cs[i] = c
	}
}

// Merge applies every consent of o to s, as when two profiles merge.
func (s *Set) Merge(o Set) {
	for _, c := range o.cs {
		s.Apply(c)
	}
}

// Get returns the winning consent recorded for exactly purpose p and scope
// (nil for the unscoped consent), without any fallback.
func (s Set) Get(p Purpose, scope *identity.ID) (Consent, bool) {
	i, found := slices.BinarySearchFunc(s.cs, Consent{Purpose: p, Scope: scope}, compareKey)
	if !found {
		return Consent{}, false
	}
	return s.cs[i], true
}

// Allowed reports whether purpose p is granted, for the identifier scope or,
// when scope is nil, in general. No consent means not allowed.
//
// With a nil scope only the unscoped consent counts. With a scope, the
// scoped and the unscoped consent both count:
//   - if only one of them exists, it decides;
//   - if both exist, the one that wins by Compare decides (the later one;
//     on a tie the withdrawal), so a general withdrawal later than a scoped
//     grant revokes it, and a scoped grant later than a general withdrawal
//     allows that one identifier;
//   - except that a scoped withdrawal is never lifted by a general grant:
//     only a later grant for the same identifier lifts it.
func (s Set) Allowed(p Purpose, scope *identity.ID) bool {
	general, hasGeneral := s.Get(p, nil)
	if scope == nil {
		return hasGeneral && general.Status == Granted
	}
	scoped, hasScoped := s.Get(p, scope)
	switch {
	case !hasScoped:
		return hasGeneral && general.Status == Granted
	case !hasGeneral || scoped.Status == Withdrawn:
		return scoped.Status == Granted
	case Compare(general, scoped) > 0:
		return general.Status == Granted
	}
	return true // scoped grant wins over the general consent
}

// All yields the consents of the set ordered by purpose, the unscoped consent
// before scoped ones, scopes by type and value. The yielded Scope pointers
// belong to the set: do not modify through them.
func (s Set) All() iter.Seq[Consent] {
	return func(yield func(Consent) bool) {
		for _, c := range s.cs {
			if !yield(c) {
				return
			}
		}
	}
}

// Slice returns a copy of the consents of the set, in the order of All.
func (s Set) Slice() []Consent { return slices.Clone(s.cs) }

// Len returns the number of (purpose, scope) pairs in the set.
func (s Set) Len() int { return len(s.cs) }

// Clone returns a deep copy of s.
func (s Set) Clone() Set {
	out := Set{cs: slices.Clone(s.cs)}
	for i, c := range out.cs {
		if c.Scope != nil {
			sc := *c.Scope
			out.cs[i].Scope = &sc
		}
	}
	return out
}

// Equal reports whether s and o hold the same consents.
func (s Set) Equal(o Set) bool {
	return slices.EqualFunc(s.cs, o.cs, func(a, b Consent) bool {
		return compareKey(a, b) == 0 && Compare(a, b) == 0
	})
}

// MarshalJSON encodes the set as an array of consents in the order of All.
func (s Set) MarshalJSON() ([]byte, error) {
	if s.cs == nil {
		return []byte("[]"), nil
	}
	return json.Marshal(s.cs)
}

// UnmarshalJSON decodes an array of consents and resolves it.
func (s *Set) UnmarshalJSON(b []byte) error {
	var cs []Consent
	if err := json.Unmarshal(b, &cs); err != nil {
		return err
	}
	*s = Resolve(cs)
	return nil
}

// compareKey orders consents by (purpose, scope), nil scope first.
func compareKey(a, b Consent) int {
	if c := strings.Compare(string(a.Purpose), string(b.Purpose)); c != 0 {
		return c
	}
	switch {
	case a.Scope == nil && b.Scope == nil:
		return 0
	case a.Scope == nil:
		return -1
	case b.Scope == nil:
		return 1
	}
	return a.Scope.Compare(*b.Scope)
}
