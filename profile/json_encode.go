package profile

import (
	"maps"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/unifycdp/unify/identity"
)

// AppendJSON appends the JSON form of r (one line, no trailing newline) to
// dst. Empty fields are omitted; consents omit time, source and record_id
// when they equal the record's. DecodeJSON of the result equals r, provided
// r came from DecodeJSON or UnmarshalBinary or follows their conventions
// (nil for empty slices and maps, UTC times). It fails, with an error
// wrapping ErrInvalid, on invalid UTF-8 and on numbers JSON cannot hold.
func (r *Record) AppendJSON(dst []byte) ([]byte, error) {
	e := encoder{b: dst}
	e.b = append(e.b, '{')
	e.str("source", r.Source)
	e.str("id", r.ID)
	e.str("kind", string(r.Kind))
	e.time("time", r.Time)
	if r.Identifiers != nil {
		e.key("identifiers")
		e.b = append(e.b, '[')
		for i, id := range r.Identifiers {
			e.comma(i)
			e.b = append(e.b, '{')
			e.field("type", string(id.Type))
			e.field("value", id.Raw)
			e.str("normalized", id.Value)
			e.str("problem", id.Problem)
			e.b = append(e.b, '}')
		}
		e.b = append(e.b, ']')
	}
	if c := r.Customer; c != nil {
		e.key("customer")
		e.b = append(e.b, '{')
		e.str("first_name", c.FirstName)
		e.str("last_name", c.LastName)
		e.str("birthdate", c.Birthdate)
		e.str("language", c.Language)
		e.str("gender", c.Gender)
		if a := c.Address; a != nil {
			e.strings("address", addressFields, a.Street, a.PostalCode, a.City, a.Region, a.Country)
		}
		e.values("attributes", c.Attributes)
		e.b = append(e.b, '}')
	}
	if o := r.Order; o != nil {
		e.key("order")
		e.b = append(e.b, '{')
		e.str("order_id", o.OrderID)
		e.str("store", o.Store)
		e.str("channel", o.Channel)
		e.str("currency", o.Currency)
		e.money("total", o.Total)
		e.money("discount", o.Discount)
		e.str("coupon", o.Coupon)
		if o.Return {
			e.key("return")
			e.b = append(e.b, "true"...)
		}
		if o.Lines != nil {
			e.key("lines")
			e.b = append(e.b, '[')
			for i, l := range o.Lines {
				e.comma(i)
				e.b = append(e.b, '{')
				e.str("sku", l.SKU)
				e.str("name", l.Name)
				e.str("category", l.Category)
				e.key("quantity")
				e.b = strconv.AppendInt(e.b, int64(l.Quantity), 10)
				e.money("unit_price", l.UnitPrice)
				e.money("total", l.Total)
				e.b = append(e.b, '}')
			}
			e.b = append(e.b, ']')
		}
		e.b = append(e.b, '}')
	}
	if ev := r.Event; ev != nil {
		e.strings("event", eventFields, ev.Name, ev.Channel, ev.URL, ev.Category, ev.Query, ev.Campaign)
	}
	if t := r.Ticket; t != nil {
		e.strings("ticket", ticketFields, t.Reason, t.Priority, t.Channel, t.Status)
	}
	if r.Consents != nil {
		e.key("consents")
		e.b = append(e.b, '[')
		for i, c := range r.Consents {
			e.comma(i)
			e.b = append(e.b, '{')
			e.field("purpose", string(c.Purpose))
			e.field("status", string(c.Status))
			if !c.Time.Equal(r.Time) {
				e.time("time", c.Time)
			}
			if c.Source != r.Source {
				e.str("source", c.Source)
			}
			if c.RecordID != r.ID {
				e.str("record_id", c.RecordID)
			}
			if c.Scope != nil {
				e.scope(*c.Scope)
			}
			e.b = append(e.b, '}')
		}
		e.b = append(e.b, ']')
	}
	e.values("properties", r.Properties)
	e.b = append(e.b, '}')
	if e.err != nil {
		return dst, e.err
	}
	return e.b, nil
}

// MarshalJSON encodes r as AppendJSON does.
func (r *Record) MarshalJSON() ([]byte, error) { return r.AppendJSON(nil) }

// encoder writes JSON objects; the first error sticks.
type encoder struct {
	b   []byte
	err error
}

func (e *encoder) fail(field string) {
	if e.err == nil {
		e.err = &FieldError{Field: field, Offset: -1, Err: ErrInvalid}
	}
}

// key writes a field name, preceded by a comma unless it opens the object.
func (e *encoder) key(k string) {
	if c := e.b[len(e.b)-1]; c != '{' {
		e.b = append(e.b, ',')
	}
	e.b = appendString(e.b, k)
	e.b = append(e.b, ':')
}

func (e *encoder) comma(i int) {
	if i > 0 {
		e.b = append(e.b, ',')
	}
}

// field writes a string field, also when empty.
func (e *encoder) field(k, v string) {
	e.key(k)
	if !utf8.ValidString(v) {
		e.fail(k)
	}
	e.b = appendString(e.b, v)
}

// str writes a string field unless it is empty.
func (e *encoder) str(k, v string) {
	if v != "" {
		e.field(k, v)
	}
}

// strings writes field k as an object of the non-empty values, named by
// names (the tables the decoder reads with).
func (e *encoder) strings(k string, names []string, values ...string) {
	e.key(k)
	e.b = append(e.b, '{')
	for i, v := range values {
		e.str(names[i], v)
	}
	e.b = append(e.b, '}')
}

func (e *encoder) time(k string, t time.Time) {
	if !t.IsZero() {
		if y := t.UTC().Year(); y < 0 || y > 9999 {
			e.fail(k)
		}
		e.key(k)
		e.b = append(e.b, '"')
		e.b = t.UTC().AppendFormat(e.b, time.RFC3339Nano)
		e.b = append(e.b, '"')
	}
}

func (e *encoder) money(k string, m Money) {
	if m != 0 {
		e.key(k)
		e.b = appendMoney(e.b, m)
	}
}

func (e *encoder) scope(id identity.ID) {
	e.key("scope")
	e.b = append(e.b, '{')
	e.field("type", string(id.Type))
	e.field("value", id.Value)
	e.b = append(e.b, '}')
}

// values writes a map of Values with sorted keys, unless it is nil.
func (e *encoder) values(k string, m map[string]Value) {
	if m == nil {
		return
	}
	e.key(k)
	e.b = append(e.b, '{')
	for _, name := range slices.Sorted(maps.Keys(m)) {
		v := m[name]
		if !utf8.ValidString(name) {
			e.fail(k)
		}
		e.key(name)
		if !v.valid() || v.kind == ValueString && !utf8.ValidString(v.s) {
			e.fail(k)
		}
		e.b = v.appendJSON(e.b)
	}
	e.b = append(e.b, '}')
}

// safe marks the ASCII bytes appendString writes as they are.
var safe = func() (t [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendString appends s as a JSON string. It escapes what JSON requires,
// plus <, >, & and U+2028/U+2029 as encoding/json does.
func appendString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if safe[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xF])
			start = i + size
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
