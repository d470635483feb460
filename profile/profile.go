package profile

import (
	"cmp"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/unifycdp/unify/consent"
	"github.com/unifycdp/unify/identity"
)

// Profile is the 360° view of one person, derived from the records attached
// to the person's identifiers. Derive computes it from scratch; Apply adds one
// record; both give the same result for the same records in any order.
//
// ID, Aliases and Segments belong to the engine: Derive leaves Aliases and
// Segments empty and Apply leaves all three alone. Every other field is a
// function of the records and the Options.
type Profile struct {
	ID      string   `json:"id"`
	Aliases []string `json:"aliases,omitempty"` // IDs of profiles merged into this one

	Records   int       `json:"records"` // records applied
	FirstSeen time.Time `json:"first_seen,omitzero"`
	LastSeen  time.Time `json:"last_seen,omitzero"`

	// Identifiers linked to the profile, sorted by ID.
	Identifiers []IdentifierInfo `json:"identifiers,omitempty"`
	// Attributes by name: the customer fields (first_name, last_name,
	// birthdate, language, gender, address.street, address.postal_code,
	// address.city, address.region, address.country), customer attributes,
	// and properties of enrichment records.
	Attributes Table[string, Attribute] `json:"attributes,omitempty"`
	Consents   consent.Set              `json:"consents"`
	Traits     Traits                   `json:"traits"`
	Segments   []string                 `json:"segments,omitempty"`
}

// IdentifierInfo describes one identifier of a profile.
type IdentifierInfo struct {
	ID        identity.ID `json:"id"`
	Sources   []string    `json:"sources"` // sorted
	FirstSeen time.Time   `json:"first_seen"`
	LastSeen  time.Time   `json:"last_seen"`
	Records   int         `json:"records"` // records that carry it
}

// Attribute is the surviving value of one attribute and where it came from.
type Attribute struct {
	Value    Value     `json:"value"`
	Source   string    `json:"source"`
	RecordID string    `json:"record_id"`
	Time     time.Time `json:"time"`
}

// Options control derivation. The zero Options are the defaults: every
// attribute survives by RuleLatest and every identifier is linked.
//
// A profile must always be updated with the same Options: Apply with other
// Options than the earlier updates gives a profile that Derive would not.
type Options struct {
	Survivorship Survivorship
	// Linked reports whether an identifier belongs to this profile; nil means
	// all do. The engine passes it because, with merge protection, a record
	// may carry an identifier that belongs to another profile. Identifiers
	// and identifier-scoped consents that are not linked are left out.
	Linked func(identity.ID) bool
}

// Rule is a survivorship rule: which of the values offered for an attribute
// by different records survives. Whatever the rule, an empty value (null or
// "") never replaces another.
type Rule string

// Survivorship rules.
const (
	// RuleLatest (the default): the value with the latest event time wins;
	// ties go to the greater (source, record ID).
	RuleLatest Rule = "latest"
	// RuleSourcePriority: the value from the source listed first in
	// Survivorship.SourcePriority wins (unlisted sources rank after all
	// listed ones), the latest by RuleLatest within that source.
	RuleSourcePriority Rule = "source_priority"
	// RuleFirst: the value with the earliest event time wins; ties go to the
	// smaller (source, record ID).
	RuleFirst Rule = "first"
)

// Survivorship chooses a Rule for each attribute. The address fields form
// one group named "address": the whole address of the winning record
// survives, so that a street never pairs with another record's city.
type Survivorship struct {
	Default        Rule            // "" means RuleLatest
	PerAttribute   map[string]Rule // by attribute name; "address" for the address group
	SourcePriority []string        // for RuleSourcePriority, highest priority first
}

func (s *Survivorship) rule(name string) Rule {
	if r, ok := s.PerAttribute[name]; ok && r != "" {
		return r
	}
	if s.Default != "" {
		return s.Default
	}
	return RuleLatest
}

func (s *Survivorship) rank(source string) int {
	if i := slices.Index(s.SourcePriority, source); i >= 0 {
		return i
	}
	return len(s.SourcePriority)
}

// wins reports whether candidate c replaces the current attribute cur for
// attribute name.
func (s *Survivorship) wins(name string, c, cur *Attribute) bool {
	latest := func() int {
		if o := c.Time.Compare(cur.Time); o != 0 {
			return o
		}
		if o := cmp.Compare(c.Source, cur.Source); o != 0 {
			return o
		}
		return cmp.Compare(c.RecordID, cur.RecordID)
	}
	switch s.rule(name) {
	case RuleFirst:
		return latest() < 0
	case RuleSourcePriority:
		if a, b := s.rank(c.Source), s.rank(cur.Source); a != b {
			return a < b
		}
	}
	return latest() > 0
}

// Derive computes the profile id from records, in any order. Records must
// have distinct (Source, ID) keys; nil records are skipped.
func Derive(id string, records []*Record, opts Options) *Profile {
	sorted := slices.DeleteFunc(slices.Clone(records), func(r *Record) bool { return r == nil })
	slices.SortFunc(sorted, Compare)
	p := &Profile{ID: id}
	for _, r := range sorted {
		p.Apply(r, opts)
	}
	return p
}

// Apply updates p with one more record. Applying records one by one, in any
// order, gives the profile Derive gives for all of them. Apply does not know
// which records p already holds: applying a record twice counts it twice,
// and a changed or removed record needs Derive.
//
// Apply does not validate r; parts that Validate would reject (invalid
// consents, reserved attribute names) are skipped.
func (p *Profile) Apply(r *Record, opts Options) {
	if p == nil || r == nil {
		return
	}
	p.Records++
	if p.Records == 1 || r.Time.Before(p.FirstSeen) {
		p.FirstSeen = r.Time
	}
	if r.Time.After(p.LastSeen) {
		p.LastSeen = r.Time
	}
	p.applyIdentifiers(r, opts.Linked)
	p.applyAttributes(r, &opts.Survivorship)
	for i := range r.Consents {
		c := r.Consent(i)
		if c.Validate() != nil || c.Scope != nil && opts.Linked != nil && !opts.Linked(*c.Scope) {
			continue
		}
		p.Consents.Apply(c)
	}
	p.Traits.apply(r)
}

func (p *Profile) applyIdentifiers(r *Record, linked func(identity.ID) bool) {
	for i, ri := range r.Identifiers {
		id, ok := ri.ID()
		if !ok || linked != nil && !linked(id) {
			continue
		}
		if slices.ContainsFunc(r.Identifiers[:i], func(o Identifier) bool { return o.Type == ri.Type && o.Value == ri.Value }) {
			continue // counted once per record
		}
		j, found := p.searchIdentifier(id)
		if !found {
			p.Identifiers = slices.Insert(p.Identifiers, j, IdentifierInfo{ID: id, FirstSeen: r.Time, LastSeen: r.Time})
		}
		info := &p.Identifiers[j]
		info.Sources = addSorted(info.Sources, r.Source)
		info.Records++
		if r.Time.Before(info.FirstSeen) {
			info.FirstSeen = r.Time
		}
		if r.Time.After(info.LastSeen) {
			info.LastSeen = r.Time
		}
	}
}

// Attribute names of the customer fields.
const (
	AttrFirstName  = "first_name"
	AttrLastName   = "last_name"
	AttrBirthdate  = "birthdate"
	AttrLanguage   = "language"
	AttrGender     = "gender"
	AttrAddress    = "address" // the group; its fields are "address.street", ...
	AttrStreet     = "address.street"
	AttrPostalCode = "address.postal_code"
	AttrCity       = "address.city"
	AttrRegion     = "address.region"
	AttrCountry    = "address.country"
)

// reservedAttribute reports whether name belongs to a customer field, and so
// may not be used by free attributes and enrichment properties.
func reservedAttribute(name string) bool {
	switch name {
	case AttrFirstName, AttrLastName, AttrBirthdate, AttrLanguage, AttrGender, AttrAddress,
		AttrStreet, AttrPostalCode, AttrCity, AttrRegion, AttrCountry:
		return true
	}
	return len(name) > len(AttrAddress) && name[:len(AttrAddress)+1] == AttrAddress+"."
}

func (p *Profile) applyAttributes(r *Record, s *Survivorship) {
	offer := func(name string, v Value) {
		if v.IsEmpty() {
			return
		}
		c := Attribute{Value: v, Source: r.Source, RecordID: r.ID, Time: r.Time}
		i, ok := p.Attributes.search(name)
		if !ok {
			p.Attributes = slices.Insert(p.Attributes, i, Entry[string, Attribute]{Key: name, Value: c})
		} else if cur := &p.Attributes[i].Value; s.wins(name, &c, cur) {
			*cur = c
		}
	}
	if cu := r.Customer; cu != nil {
		offer(AttrFirstName, StringValue(cu.FirstName))
		offer(AttrLastName, StringValue(cu.LastName))
		offer(AttrBirthdate, StringValue(cu.Birthdate))
		offer(AttrLanguage, StringValue(cu.Language))
		offer(AttrGender, StringValue(cu.Gender))
		p.applyAddress(r, s)
		for name, v := range cu.Attributes {
			if !reservedAttribute(name) {
				offer(name, v)
			}
		}
	}
	if r.Kind == KindEnrichment {
		for name, v := range r.Properties {
			if !reservedAttribute(name) {
				offer(name, v)
			}
		}
	}
}

var addressAttrs = [...]string{AttrStreet, AttrPostalCode, AttrCity, AttrRegion, AttrCountry}

// applyAddress offers the record's address as a whole.
func (p *Profile) applyAddress(r *Record, s *Survivorship) {
	a := r.Customer.Address
	if a.IsZero() {
		return
	}
	c := Attribute{Source: r.Source, RecordID: r.ID, Time: r.Time}
	for _, name := range addressAttrs {
		if cur, ok := p.Attributes.Get(name); ok {
			if !s.wins(AttrAddress, &c, &cur) {
				return
			}
			break
		}
	}
	for i, v := range [...]string{a.Street, a.PostalCode, a.City, a.Region, a.Country} {
		if v == "" {
			p.Attributes.Delete(addressAttrs[i])
			continue
		}
		c.Value = StringValue(v)
		p.Attributes.Set(addressAttrs[i], c)
	}
}

// Attr returns the value of attribute name, null if absent.
func (p *Profile) Attr(name string) Value {
	a, _ := p.Attributes.Get(name)
	return a.Value
}

// Identifier returns the info of identifier id, if the profile has it.
func (p *Profile) Identifier(id identity.ID) (IdentifierInfo, bool) {
	i, found := p.searchIdentifier(id)
	if !found {
		return IdentifierInfo{}, false
	}
	return p.Identifiers[i], true
}

// searchIdentifier returns the index of id in p.Identifiers, or where it
// would be inserted, and whether it is there.
func (p *Profile) searchIdentifier(id identity.ID) (int, bool) {
	i, j := 0, len(p.Identifiers)
	for i < j {
		h := int(uint(i+j) >> 1)
		switch c := p.Identifiers[h].ID.Compare(id); {
		case c < 0:
			i = h + 1
		case c > 0:
			j = h
		default:
			return h, true
		}
	}
	return i, false
}

// LogValue summarizes p for logs without personal data: no identifier
// values, no attribute values.
func (p *Profile) LogValue() slog.Value {
	ids := make([]string, len(p.Identifiers))
	for i, info := range p.Identifiers {
		ids[i] = info.ID.LogValue().String() // redacted
	}
	return slog.GroupValue(
		slog.String("id", p.ID),
		slog.Int("records", p.Records),
		slog.Any("identifiers", ids),
		slog.Int("attributes", len(p.Attributes)),
		slog.Int("consents", p.Consents.Len()),
		slog.Int("orders", p.Traits.OrderCount),
		slog.Any("segments", p.Segments),
	)
}

// addSorted inserts v into the sorted set s unless present or empty.
func addSorted(s []string, v string) []string {
	if v == "" {
		return s
	}
	i, j := 0, len(s)
	for i < j {
		h := int(uint(i+j) >> 1)
		switch c := strings.Compare(s[h], v); {
		case c < 0:
			i = h + 1
		case c > 0:
			j = h
		default:
			return s
		}
	}
	return slices.Insert(s, i, v)
}
