package unify

import (
	"errors"
	"fmt"
	"strings"

	"github.com/unifycdp/unify/identity"
	"github.com/unifycdp/unify/normalize"
	"github.com/unifycdp/unify/profile"
)

// RecordError says why a record was refused. It wraps the validation or
// normalization error, which names the field.
type RecordError struct {
	Record string // "source/id", or "" when the record has no key
	Err    error
}

func (e *RecordError) Error() string {
	if e.Record == "" {
		return "unify: record refused: " + e.Err.Error()
	}
	return fmt.Sprintf("unify: record %s refused: %v", e.Record, e.Err)
}

func (e *RecordError) Unwrap() []error { return []error{ErrInvalidRecord, e.Err} }

// noIdentifiers is the type of the identifier the engine gives a record none
// of whose identifiers normalized: the record is kept, in a profile of its
// own. User types must start with a letter, so it can't collide with one.
const noIdentifiers identity.Type = "_record"

// prepare validates rec and returns a normalized copy, with the identity
// IDs that link it. Identifiers that do not normalize are kept with their
// Problem and left out of linking.
func (e *Engine) prepare(rec *profile.Record) (*profile.Record, []identity.ID, error) {
	if rec == nil {
		return nil, nil, &RecordError{Err: errors.New("nil record")}
	}
	if err := rec.Validate(); err != nil {
		return nil, nil, &RecordError{Record: errorKey(rec), Err: err}
	}
	if err := checkLengths(rec); err != nil {
		return nil, nil, &RecordError{Record: errorKey(rec), Err: err}
	}
	r := *rec
	r.Time = r.Time.UTC()
	r.Identifiers = make([]profile.Identifier, len(rec.Identifiers))
	for i, id := range rec.Identifiers {
		id.Value, id.Problem = "", ""
		if v, err := e.normalizeID(r.Source, id.Type, id.Raw); err != nil {
			id.Problem = err.Error()
		} else {
			id.Value = v
		}
		r.Identifiers[i] = id
	}
	ids := linkingIDs(&r)
	if c := rec.Customer; c != nil {
		cc := *c
		cc.FirstName = normalize.Text(cc.FirstName)
		cc.LastName = normalize.Text(cc.LastName)
		if a := c.Address; a != nil {
			aa := *a
			aa.Street, aa.City, aa.Region = normalize.Text(aa.Street), normalize.Text(aa.City), normalize.Text(aa.Region)
			if pc, err := normalize.PostalCode(aa.PostalCode); err == nil {
				aa.PostalCode = pc
			}
			if cn, err := normalize.Country(aa.Country); err == nil {
				aa.Country = cn
			}
			cc.Address = &aa
		}
		r.Customer = &cc
	}
	return &r, ids, nil
}

// errorKey is the key a RecordError names: "" when the record has none.
func errorKey(rec *profile.Record) string {
	if rec.Source != "" && rec.ID != "" {
		return rec.Key()
	}
	return ""
}

// linkingIDs returns the identity IDs of a normalized record: those of
// its identifiers that normalized, or the record's own when none did.
func linkingIDs(r *profile.Record) []identity.ID {
	var ids []identity.ID
	for _, id := range r.Identifiers {
		if id.Value != "" {
			ids = append(ids, identity.ID{Type: id.Type, Value: id.Value})
		}
	}
	if len(ids) == 0 {
		ids = append(ids, identity.ID{Type: noIdentifiers, Value: r.Key()})
	}
	return ids
}

func (e *Engine) normalizeID(source string, t identity.Type, raw string) (string, error) {
	switch t {
	case identity.TypeEmail:
		return normalize.Email(raw, e.opts.Email)
	case identity.TypePhone:
		region := ""
		if so, ok := e.opts.Sources[source]; ok {
			region = so.PhoneRegion
		}
		return e.phones.Normalize(raw, region)
	case identity.TypeLoyaltyCard:
		// Cashiers type card numbers with and without the spaces and
		// dashes printed on the card.
		return normalize.Identifier(stripCardSeparators(raw), e.opts.IdentifierCase[t])
	default:
		return normalize.Identifier(raw, e.opts.IdentifierCase[t])
	}
}

// NormalizeID normalizes an identifier the way Ingest does, for lookups.
// Phones written nationally are read in Options.PhoneRegion.
func (e *Engine) NormalizeID(id identity.ID) (identity.ID, error) {
	return e.NormalizeIDFor("", id)
}

// NormalizeIDFor normalizes an identifier the way Ingest does for records
// of source (whose phone region may differ from Options.PhoneRegion).
func (e *Engine) NormalizeIDFor(source string, id identity.ID) (identity.ID, error) {
	v, err := e.normalizeID(source, identity.Type(strings.TrimSpace(string(id.Type))), id.Value)
	if err != nil {
		return id, err
	}
	return identity.ID{Type: id.Type, Value: v}, nil
}

func stripCardSeparators(s string) string {
	if !strings.ContainsAny(s, " -") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' && s[i] != '-' {
			b = append(b, s[i])
		}
	}
	return string(b)
}

// Limits on the parts of a record that become store keys: a store has a
// key size limit, and nobody's record ID is a kilobyte long.
const (
	MaxSourceLen = 128
	MaxIDLen     = 512
	MaxTypeLen   = 64
)

// ErrTooLong: a record's source, ID or identifier type is over its limit.
var ErrTooLong = errors.New("unify: too long")

func checkLengths(r *profile.Record) error {
	if len(r.Source) > MaxSourceLen {
		return &profile.FieldError{Field: "source", Offset: -1, Err: fmt.Errorf("%w: %d bytes, at most %d", ErrTooLong, len(r.Source), MaxSourceLen)}
	}
	if len(r.ID) > MaxIDLen {
		return &profile.FieldError{Field: "id", Offset: -1, Err: fmt.Errorf("%w: %d bytes, at most %d", ErrTooLong, len(r.ID), MaxIDLen)}
	}
	for i, id := range r.Identifiers {
		if len(id.Type) > MaxTypeLen {
			return &profile.FieldError{Field: fmt.Sprintf("identifiers[%d].type", i), Offset: -1,
				Err: fmt.Errorf("%w: %d bytes, at most %d", ErrTooLong, len(id.Type), MaxTypeLen)}
		}
	}
	return nil
}
