package profile

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/unifycdp/unify/consent"
)

// Validate checks the meaning of r and reports every problem found as a
// *ValidationError (which matches ErrInvalid). Each problem is a *FieldError
// naming the field by its JSON path and wrapping ErrMissing, ErrInvalid or a
// consent error (consent.ErrStatus, ...).
//
// It requires a source, an ID, a well-formed kind, a time and at least one
// identifier with a type and a raw or normalized value; the payload the
// kind calls for (customer, order, event, ticket, consents); order currency
// of three upper-case letters when any amount is non-zero, non-negative line
// quantities; a YYYY-MM-DD birthdate; valid consents; attribute and property
// names that are non-empty and, for customer attributes and enrichment
// properties, not a customer field's name; finite numbers; valid UTF-8.
func (r *Record) Validate() error {
	v := validator{}
	v.text("source", r.Source, true)
	v.text("id", r.ID, true)
	switch {
	case r.Kind == "":
		v.add("kind", ErrMissing, "")
	case !r.Kind.Valid():
		v.add("kind", ErrInvalid, "not a lower-case snake_case name: %q", r.Kind)
	}
	if r.Time.IsZero() {
		v.add("time", ErrMissing, "")
	} else if y := r.Time.UTC().Year(); y < 1 || y > 9999 {
		v.add("time", ErrInvalid, "year %d out of range", y)
	}
	if len(r.Identifiers) == 0 {
		v.add("identifiers", ErrMissing, "a record needs at least one identifier")
	}
	for i, id := range r.Identifiers {
		// Field names are built only for the errors: valid records are
		// validated on every ingest.
		f := func() string { return "identifiers[" + strconv.Itoa(i) + "]" }
		v.textAt(f, ".type", string(id.Type), true)
		if id.Raw == "" && id.Value == "" {
			v.add(f()+".value", ErrMissing, "")
		}
		v.textAt(f, ".value", id.Raw, false)
		v.textAt(f, ".normalized", id.Value, false)
		v.textAt(f, ".problem", id.Problem, false)
	}
	if field, missing := r.missingPayload(); missing {
		v.add(field, ErrMissing, "a record of kind %q needs it", r.Kind)
	}
	if c := r.Customer; c != nil {
		v.customer(c)
	}
	if o := r.Order; o != nil {
		v.order(o)
	}
	if e := r.Event; e != nil {
		v.text("event.name", e.Name, true)
	}
	for i := range r.Consents {
		if err := r.Consent(i).Validate(); err != nil {
			var ce *consent.Error
			f := "consents[" + strconv.Itoa(i) + "]"
			if errors.As(err, &ce) {
				f += "." + ce.Field
			}
			v.problems = append(v.problems, &FieldError{Field: f, Offset: -1, Err: err})
		}
	}
	v.values("properties", r.Properties, r.Kind == KindEnrichment)
	if v.problems == nil {
		return nil
	}
	return &ValidationError{Record: r.Key(), Problems: v.problems}
}

type validator struct {
	problems []*FieldError
}

func (v *validator) add(field string, sentinel error, format string, args ...any) {
	err := sentinel
	if format != "" {
		err = fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)
	}
	v.problems = append(v.problems, &FieldError{Field: field, Offset: -1, Err: err})
}

func (v *validator) text(field, s string, required bool) {
	switch {
	case required && s == "":
		v.add(field, ErrMissing, "")
	case !utf8.ValidString(s):
		v.add(field, ErrInvalid, "invalid UTF-8")
	}
}

// textAt is text for the field prefix()+suffix, whose name it builds only
// for an error.
func (v *validator) textAt(prefix func() string, suffix, s string, required bool) {
	if (required && s == "") || !utf8.ValidString(s) {
		v.text(prefix()+suffix, s, required)
	}
}

func customerField() string { return "customer." }
func addressField() string  { return "customer.address." }
func orderField() string    { return "order." }

func (v *validator) customer(c *Customer) {
	for _, f := range [...]struct{ name, s string }{
		{"first_name", c.FirstName}, {"last_name", c.LastName}, {"language", c.Language}, {"gender", c.Gender},
	} {
		v.textAt(customerField, f.name, f.s, false)
	}
	if c.Birthdate != "" {
		if _, err := time.Parse(time.DateOnly, c.Birthdate); err != nil {
			v.add("customer.birthdate", ErrInvalid, "not a YYYY-MM-DD date: %q", c.Birthdate)
		}
	}
	if a := c.Address; a != nil {
		for _, f := range [...]struct{ name, s string }{
			{"street", a.Street}, {"postal_code", a.PostalCode}, {"city", a.City}, {"region", a.Region}, {"country", a.Country},
		} {
			v.textAt(addressField, f.name, f.s, false)
		}
	}
	v.values("customer.attributes", c.Attributes, true)
}

func (v *validator) order(o *Order) {
	amounts := o.Total != 0 || o.Discount != 0
	for i, l := range o.Lines {
		f := func() string { return "order.lines[" + strconv.Itoa(i) + "]" }
		if l.Quantity < 0 {
			v.add(f()+".quantity", ErrInvalid, "negative quantity %d", l.Quantity)
		}
		amounts = amounts || l.UnitPrice != 0 || l.Total != 0
		v.textAt(f, ".sku", l.SKU, false)
		v.textAt(f, ".name", l.Name, false)
		v.textAt(f, ".category", l.Category, false)
	}
	switch {
	case o.Currency == "" && amounts:
		v.add("order.currency", ErrMissing, "an order with amounts needs a currency")
	case o.Currency != "" && !isCurrency(o.Currency):
		v.add("order.currency", ErrInvalid, "not three upper-case letters: %q", o.Currency)
	}
	for _, f := range [...]struct{ name, s string }{
		{"order_id", o.OrderID}, {"store", o.Store}, {"channel", o.Channel}, {"coupon", o.Coupon},
	} {
		v.textAt(orderField, f.name, f.s, false)
	}
}

func isCurrency(s string) bool {
	return len(s) == 3 && 'A' <= s[0] && s[0] <= 'Z' && 'A' <= s[1] && s[1] <= 'Z' && 'A' <= s[2] && s[2] <= 'Z'
}

// values checks a map of free values; attrs says its keys become attribute
// names and may not be reserved.
func (v *validator) values(field string, m map[string]Value, attrs bool) {
	if len(m) == 0 {
		return
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		x := m[k]
		f := func() string { return field + "[" + strconv.Quote(k) + "]" }
		switch {
		case k == "":
			v.add(f(), ErrMissing, "empty name")
		case !utf8.ValidString(k):
			v.add(f(), ErrInvalid, "invalid UTF-8 in name")
		case attrs && reservedAttribute(k):
			v.add(f(), ErrInvalid, "%q is the name of a customer field", k)
		case x.kind == ValueNumber && (math.IsNaN(x.n) || math.IsInf(x.n, 0)):
			v.add(f(), ErrInvalid, "number not finite")
		case !x.valid() || x.kind == ValueString && !utf8.ValidString(x.s):
			v.add(f(), ErrInvalid, "invalid value")
		}
	}
}

// missingPayload reports the payload field that r's kind calls for, if r
// lacks it.
func (r *Record) missingPayload() (field string, missing bool) {
	switch r.Kind {
	case KindCustomer:
		return "customer", r.Customer == nil
	case KindOrder:
		return "order", r.Order == nil
	case KindEvent:
		return "event", r.Event == nil
	case KindTicket:
		return "ticket", r.Ticket == nil
	case KindConsent:
		return "consents", len(r.Consents) == 0
	}
	return "", false
}
