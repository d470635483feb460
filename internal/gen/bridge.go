package gen

import (
	"strings"

	"github.com/unifycdp/unify/identity"
	"github.com/unifycdp/unify/profile"
)

// isPlaceholder holds the placeholder values as the generator writes them.
var isPlaceholder = func() map[string]bool {
	m := map[string]bool{}
	for _, s := range placeholderEmails {
		m[s] = true
	}
	for _, s := range placeholderPhones {
		m[s] = true
	}
	return m
}()

// idKey is an identifier as an engine sees it after normalizing.
type idKey struct {
	t identity.Type
	v string
}

// known is an identifier already tied to the person's first record.
type known struct {
	key idKey
	id  profile.Identifier
}

// bridge makes every record of the person resolvable from the evidence:
// walking the records in canonical order, a record none of whose genuine
// identifiers has been seen with the person before gets one that has (the
// person logged in, or the cashier looked them up). Placeholders and the
// household mailbox do not count: an engine must not link by them. So the
// ground truth of All is reachable: each person's records are connected by
// identifiers that belong to that person alone.
func (b *builder) bridge() {
	seen := make([]known, 0, 16)
	has := func(k idKey) bool {
		for _, s := range seen {
			if s.key == k {
				return true
			}
		}
		return false
	}
	for n, r := range b.recs {
		connected, personal := false, false
		for _, id := range r.Identifiers {
			k, ok := b.key(id)
			if !ok {
				continue
			}
			connected = connected || has(k)
			personal = personal || id.Type != identity.TypeCookie && id.Type != identity.TypeDeviceID
		}
		switch {
		case n == 0 && !personal:
			t, v := b.anchors(r, nil, seen)
			add(r, t, v)
		case n > 0 && !connected:
			t, v := b.anchors(r, has, seen)
			add(r, t, v)
		}
		for _, id := range r.Identifiers {
			if k, ok := b.key(id); ok && !has(k) {
				seen = append(seen, known{k, id})
			}
		}
	}
}

// anchors returns the identifier to add to r: the first of the person's
// identifiers, in the order r's source would ask for them, that is known
// (any, when known is nil), or else the first seen identifier.
func (b *builder) anchors(r *profile.Record, isKnown func(idKey) bool, seen []known) (identity.Type, string) {
	p := b.p
	type cand struct {
		t identity.Type
		v string
	}
	var cs [8]cand
	list := cs[:0]
	emails := func() {
		for _, e := range p.emails {
			if e != p.shared {
				list = append(list, cand{identity.TypeEmail, e})
			}
		}
	}
	others := func() {
		if p.customerID != "" {
			list = append(list, cand{identity.TypeCustomerID, p.customerID})
		}
		if p.head.card {
			list = append(list, cand{identity.TypeLoyaltyCard, p.cardAt(r.Time)})
		}
	}
	if r.Source == SourcePOS || r.Source == SourceService {
		others()
		for _, ph := range p.phones {
			list = append(list, cand{identity.TypePhone, ph.e164()})
		}
		emails()
	} else {
		emails()
		others()
		for _, ph := range p.phones {
			list = append(list, cand{identity.TypePhone, ph.e164()})
		}
	}
	for _, c := range list {
		k, _ := b.key(profile.Identifier{Type: c.t, Raw: c.v})
		if isKnown == nil || isKnown(k) {
			return c.t, c.v
		}
	}
	return seen[0].id.Type, seen[0].id.Raw
}

// key returns the identity of id as an engine would see it after
// normalizing, and false for values that must not link. It does not
// allocate for the values the generator writes.
func (b *builder) key(id profile.Identifier) (idKey, bool) {
	if isPlaceholder[id.Raw] {
		return idKey{}, false
	}
	switch id.Type {
	case identity.TypeEmail:
		v := strings.ToLower(strings.TrimSpace(id.Raw))
		if v == b.p.shared {
			return idKey{}, false
		}
		return idKey{id.Type, v}, true
	case identity.TypePhone:
		for _, ph := range b.p.phones {
			if samePhone(id.Raw, ph) {
				return idKey{id.Type, ph.e164()}, true
			}
		}
	}
	return idKey{id.Type, id.Raw}, true
}

// samePhone reports whether s is a way of writing p: its last nine digits
// are p's and the country code, if any, is p's.
func samePhone(s string, p phone) bool {
	j := len(p.digits)
	k := len(s) - 1
	for ; k >= 0 && j > 0; k-- {
		if c := s[k]; '0' <= c && c <= '9' {
			j--
			if c != p.digits[j] {
				return false
			}
		}
	}
	if j > 0 {
		return false
	}
	sw := strings.Contains(s[:k+1], "46")
	return sw == p.swedish
}
