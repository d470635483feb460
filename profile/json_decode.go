package profile

import (
	"cmp"
	"fmt"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/unifycdp/unify/consent"
	"github.com/unifycdp/unify/identity"
)

// DecodeJSON decodes one record from its JSON form (one line of a JSON lines
// import; surrounding white space is ignored). See the package documentation
// for the format. Errors are *FieldError values naming the field (as a JSON
// path) and the byte offset, wrapping ErrSyntax, ErrUnknownField,
// ErrDuplicateField or ErrInvalid.
//
// DecodeJSON checks the shape of the input, not the meaning of the record:
// call Validate for that. Times are converted to UTC. Consents without a
// time, source or record_id get the record's. A null field is the same as an
// absent one; empty arrays and objects decode to nil slices and maps.
func DecodeJSON(line []byte) (*Record, error) {
	r := new(Record)
	if err := r.UnmarshalJSON(line); err != nil {
		return nil, err
	}
	return r, nil
}

// UnmarshalJSON decodes r from JSON as DecodeJSON does, replacing all of r.
func (r *Record) UnmarshalJSON(data []byte) error {
	*r = Record{}
	d := decoder{data: data, text: string(data)}
	err := d.record(r)
	if err == nil {
		d.skipSpace()
		if d.pos != len(d.data) {
			err = d.errorf(ErrSyntax, "data after the record")
		}
	}
	if err != nil {
		fe := err.(*FieldError)
		src, id := r.Source, r.ID
		if src == "" || id == "" {
			psrc, pid := peekKey(data)
			src, id = cmp.Or(src, psrc), cmp.Or(id, pid)
		}
		if src != "" || id != "" {
			fe.Record = src + "/" + id
		}
		*r = Record{}
		return fe
	}
	for i := range r.Consents {
		r.Consents[i] = r.Consent(i)
	}
	return nil
}

// decoder reads JSON from data. Its methods return *FieldError values whose
// Field is relative to the value being decoded; callers prefix their path as
// the error goes up.
type decoder struct {
	data   []byte
	text   string // string(data) when set: strings without escapes are cut from it
	pos    int
	keyPos int    // offset of the last object key read
	buf    []byte // scratch for strings with escapes
}

func (d *decoder) errorf(sentinel error, format string, args ...any) *FieldError {
	return &FieldError{Offset: int64(d.pos), Err: fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)}
}

// within prefixes the field path of err with name.
func within(err error, name string) error {
	if fe, ok := err.(*FieldError); ok {
		fe.Field = joinPath(name, fe.Field)
	}
	return err
}

func (d *decoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// peek skips white space and returns the next byte, 0 at the end.
func (d *decoder) peek() byte {
	d.skipSpace()
	if d.pos < len(d.data) {
		return d.data[d.pos]
	}
	return 0
}

func (d *decoder) unexpected(want string) error {
	if d.pos >= len(d.data) {
		return d.errorf(ErrSyntax, "unexpected end of input, want %s", want)
	}
	return d.errorf(ErrSyntax, "unexpected %q, want %s", d.data[d.pos], want)
}

// literal consumes the literal lit (null, true, false).
func (d *decoder) literal(lit string) bool {
	if len(d.data)-d.pos >= len(lit) && string(d.data[d.pos:d.pos+len(lit)]) == lit {
		d.pos += len(lit)
		return true
	}
	return false
}

// object reads an object, calling f for each key with d positioned at the
// value. key is valid until f returns.
func (d *decoder) object(f func(key []byte) error) error {
	if d.peek() != '{' {
		return d.unexpected("object")
	}
	d.pos++
	if d.peek() == '}' {
		d.pos++
		return nil
	}
	for {
		if d.peek() != '"' {
			return d.unexpected("field name")
		}
		d.keyPos = d.pos
		key, err := d.strBytes()
		if err != nil {
			return err
		}
		if d.peek() != ':' {
			return d.unexpected("':'")
		}
		d.pos++
		d.skipSpace()
		if err := f(key); err != nil {
			return err
		}
		switch d.peek() {
		case ',':
			d.pos++
		case '}':
			d.pos++
			return nil
		default:
			return d.unexpected("',' or '}'")
		}
	}
}

// array reads an array, calling f with the index of each element, d
// positioned at the element. Errors are prefixed with the index.
func (d *decoder) array(f func(i int) error) error {
	if d.peek() != '[' {
		return d.unexpected("array")
	}
	d.pos++
	if d.peek() == ']' {
		d.pos++
		return nil
	}
	for i := 0; ; i++ {
		d.skipSpace()
		if err := f(i); err != nil {
			return within(err, "["+strconv.Itoa(i)+"]")
		}
		switch d.peek() {
		case ',':
			d.pos++
		case ']':
			d.pos++
			return nil
		default:
			return d.unexpected("',' or ']'")
		}
	}
}

// fields reads an object whose keys must be among names, calling f with the
// index of each key. It rejects unknown and repeated keys and skips nulls.
func (d *decoder) fields(names []string, f func(i int) error) error {
	var seen uint64
	return d.object(func(key []byte) error {
		i := 0
		for i < len(names) && !(len(names[i]) == len(key) && names[i][0] == key[0] && names[i] == string(key)) {
			i++
		}
		if i == len(names) {
			d.pos = d.keyPos
			fe := d.errorf(ErrUnknownField, "%q", key)
			fe.Field = string(key)
			return fe
		}
		if seen&(1<<i) != 0 {
			d.pos = d.keyPos
			return within(d.errorf(ErrDuplicateField, "%q", key), names[i])
		}
		seen |= 1 << i
		if d.literal("null") {
			return nil
		}
		if err := f(i); err != nil {
			return within(err, names[i])
		}
		return nil
	})
}

// stringFields reads an object of string fields: names[i] into *dst[i].
func (d *decoder) stringFields(names []string, dst []*string) error {
	return d.fields(names, func(i int) (err error) {
		*dst[i], err = d.str()
		return err
	})
}

// strBytes reads a string; the result aliases d.data or d.buf.
func (d *decoder) strBytes() ([]byte, error) {
	if d.pos >= len(d.data) || d.data[d.pos] != '"' {
		return nil, d.unexpected("string")
	}
	d.pos++
	start := d.pos
	ascii := true
	for {
		for d.pos < len(d.data) && plain[d.data[d.pos]] {
			d.pos++
		}
		if d.pos >= len(d.data) {
			return nil, d.unexpected("'\"'")
		}
		switch c := d.data[d.pos]; {
		case c == '"':
			s := d.data[start:d.pos]
			if !ascii && !utf8.Valid(s) {
				return nil, d.errorf(ErrSyntax, "invalid UTF-8 in string")
			}
			d.pos++
			return s, nil
		case c == '\\':
			return d.escaped(start)
		case c < 0x20:
			return nil, d.errorf(ErrSyntax, "control character in string")
		}
		ascii = false // c >= 0x80
		d.pos++
	}
}

// plain marks the bytes a string holds as they are: ASCII but for quote,
// backslash and control characters.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// escaped continues reading a string that holds escapes, from start.
func (d *decoder) escaped(start int) ([]byte, error) {
	d.buf = append(d.buf[:0], d.data[start:d.pos]...)
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			if !utf8.Valid(d.buf) {
				return nil, d.errorf(ErrSyntax, "invalid UTF-8 in string")
			}
			return d.buf, nil
		case c < 0x20:
			return nil, d.errorf(ErrSyntax, "control character in string")
		case c != '\\':
			d.buf = append(d.buf, c)
			d.pos++
			continue
		}
		if d.pos+1 >= len(d.data) {
			break
		}
		e := d.data[d.pos+1]
		d.pos += 2
		switch e {
		case '"', '\\', '/':
			d.buf = append(d.buf, e)
		case 'b':
			d.buf = append(d.buf, '\b')
		case 'f':
			d.buf = append(d.buf, '\f')
		case 'n':
			d.buf = append(d.buf, '\n')
		case 'r':
			d.buf = append(d.buf, '\r')
		case 't':
			d.buf = append(d.buf, '\t')
		case 'u':
			r, ok := d.hex4()
			if !ok {
				return nil, d.errorf(ErrSyntax, "invalid \\u escape")
			}
			if utf16.IsSurrogate(r) {
				save := d.pos
				if d.literal(`\u`) {
					if r2, ok := d.hex4(); ok {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							d.buf = utf8.AppendRune(d.buf, dec)
							continue
						}
					}
				}
				d.pos = save
				r = utf8.RuneError // a lone surrogate, as encoding/json does
			}
			d.buf = utf8.AppendRune(d.buf, r)
		default:
			d.pos -= 2
			return nil, d.errorf(ErrSyntax, "invalid escape")
		}
	}
	return nil, d.unexpected("'\"'")
}

func (d *decoder) hex4() (rune, bool) {
	if len(d.data)-d.pos < 4 {
		return 0, false
	}
	var r rune
	for _, c := range d.data[d.pos : d.pos+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	d.pos += 4
	return r, true
}

// str reads a string value.
func (d *decoder) str() (string, error) {
	start := d.pos + 1
	b, err := d.strBytes()
	if err != nil || len(b) == 0 {
		return "", err
	}
	if d.text != "" && d.pos-1-start == len(b) { // no escapes: b aliases data
		return d.text[start : d.pos-1], nil
	}
	return string(b), nil
}

// number reads a JSON number and returns its text.
func (d *decoder) number() ([]byte, error) {
	start := d.pos
	i := d.pos
	n := len(d.data)
	digits := func() int {
		s := i
		for i < n && '0' <= d.data[i] && d.data[i] <= '9' {
			i++
		}
		return i - s
	}
	if i < n && d.data[i] == '-' {
		i++
	}
	if k := digits(); k == 0 || k > 1 && d.data[i-k] == '0' {
		return nil, d.unexpected("number")
	}
	if i < n && d.data[i] == '.' {
		i++
		if digits() == 0 {
			d.pos = i
			return nil, d.unexpected("digit")
		}
	}
	if i < n && (d.data[i] == 'e' || d.data[i] == 'E') {
		i++
		if i < n && (d.data[i] == '+' || d.data[i] == '-') {
			i++
		}
		if digits() == 0 {
			d.pos = i
			return nil, d.unexpected("digit")
		}
	}
	d.pos = i
	return d.data[start:i], nil
}

// integer reads a JSON number that must be an integer.
func (d *decoder) integer() (int, error) {
	start := d.pos
	b, err := d.number()
	if err != nil {
		return 0, err
	}
	if n, ok := smallInt(b); ok {
		return int(n), nil
	}
	n, err := strconv.ParseInt(string(b), 10, 0)
	if err != nil {
		d.pos = start
		return 0, d.errorf(ErrInvalid, "want an integer, got %s", b)
	}
	return int(n), nil
}

// smallInt parses a JSON number of at most 15 digits and no fraction or
// exponent; ok is false for any other.
func smallInt(b []byte) (n int64, ok bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 15 {
		return 0, false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// exact10 holds the powers of ten that float64 represents exactly.
var exact10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// fastFloat parses a JSON number without an exponent whose digits fit 15
// decimal digits: their value and the power of ten are exact, so one
// division rounds correctly, as strconv.ParseFloat does. ok is false for any
// other number.
func fastFloat(b []byte) (f float64, ok bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	var mant uint64
	digits, frac := 0, -1
	for i, c := range b {
		switch {
		case '0' <= c && c <= '9':
			mant = mant*10 + uint64(c-'0')
			digits++
		case c == '.' && frac < 0:
			frac = i
		default:
			return 0, false
		}
	}
	if digits == 0 || digits > 15 {
		return 0, false
	}
	f = float64(mant)
	if frac >= 0 {
		f /= exact10[len(b)-frac-1]
	}
	if neg {
		f = -f
	}
	return f, true
}

func (d *decoder) boolean() (bool, error) {
	switch {
	case d.literal("true"):
		return true, nil
	case d.literal("false"):
		return false, nil
	}
	return false, d.unexpected("true or false")
}

// money reads a number or a string holding a decimal amount.
func (d *decoder) money() (Money, error) {
	start := d.pos
	var b []byte
	var err error
	if d.peek() == '"' {
		b, err = d.strBytes()
	} else {
		b, err = d.number()
	}
	if err != nil {
		return 0, err
	}
	m, err := parseMoney(b)
	if err != nil {
		return 0, &FieldError{Offset: int64(start), Err: fmt.Errorf("%w: %q", err, b)}
	}
	return m, nil
}

// timestamp reads an RFC 3339 time string.
func (d *decoder) timestamp() (time.Time, error) {
	start := d.pos
	b, err := d.strBytes()
	if err != nil {
		return time.Time{}, err
	}
	t, ok := parseTime(b)
	if !ok {
		d.pos = start
		return time.Time{}, d.errorf(ErrInvalid, "not an RFC 3339 time: %q", b)
	}
	return t, nil
}

// value reads a scalar Value.
func (d *decoder) value() (Value, error) {
	switch c := d.peek(); {
	case c == '"':
		s, err := d.str()
		return StringValue(s), err
	case c == '-' || '0' <= c && c <= '9':
		start := d.pos
		b, err := d.number()
		if err != nil {
			return Value{}, err
		}
		if f, ok := fastFloat(b); ok {
			return NumberValue(f), nil
		}
		f, err := strconv.ParseFloat(string(b), 64)
		if err != nil {
			d.pos = start
			return Value{}, d.errorf(ErrInvalid, "number out of range: %s", b)
		}
		return NumberValue(f), nil
	case c == 't' || c == 'f':
		b, err := d.boolean()
		return BoolValue(b), err
	case c == 'n':
		if d.literal("null") {
			return Value{}, nil
		}
	case c == '{' || c == '[':
		return Value{}, d.errorf(ErrInvalid, "nested objects and arrays are not supported")
	}
	return Value{}, d.unexpected("value")
}

// values reads an object of Values; nil when empty.
func (d *decoder) values() (map[string]Value, error) {
	var m map[string]Value
	err := d.object(func(key []byte) error {
		if _, dup := m[string(key)]; dup {
			d.pos = d.keyPos
			return within(d.errorf(ErrDuplicateField, "%q", key), "["+strconv.Quote(string(key))+"]")
		}
		k := string(key)
		v, err := d.value()
		if err != nil {
			return within(err, "["+strconv.Quote(k)+"]")
		}
		if m == nil {
			m = make(map[string]Value)
		}
		m[k] = v
		return nil
	})
	return m, err
}

var recordFields = []string{"source", "id", "kind", "time", "identifiers",
	"customer", "order", "event", "ticket", "consents", "properties"}

func (d *decoder) record(r *Record) error {
	return d.fields(recordFields, func(i int) (err error) {
		switch i {
		case 0:
			r.Source, err = d.str()
		case 1:
			r.ID, err = d.str()
		case 2:
			var s string
			s, err = d.str()
			r.Kind = Kind(s)
		case 3:
			r.Time, err = d.timestamp()
		case 4:
			// Collect on the stack, then allocate once.
			var buf [8]Identifier
			ids := buf[:0]
			err = d.array(func(int) error {
				var id Identifier
				err := d.stringFields(identifierFields, []*string{(*string)(&id.Type), &id.Raw, &id.Value, &id.Problem})
				ids = append(ids, id)
				return err
			})
			if len(ids) > 0 {
				r.Identifiers = append([]Identifier(nil), ids...)
			}
		case 5:
			r.Customer = new(Customer)
			err = d.customer(r.Customer)
		case 6:
			parts := new(orderParts)
			r.Order = &parts.order
			err = d.order(&parts.order, parts.lines[:0])
		case 7:
			e := new(Event)
			r.Event = e
			err = d.stringFields(eventFields, []*string{&e.Name, &e.Channel, &e.URL, &e.Category, &e.Query, &e.Campaign})
		case 8:
			t := new(Ticket)
			r.Ticket = t
			err = d.stringFields(ticketFields, []*string{&t.Reason, &t.Priority, &t.Channel, &t.Status})
		case 9:
			var buf [8]consent.Consent
			cs := buf[:0]
			err = d.array(func(int) error {
				var c consent.Consent
				err := d.consent(&c)
				cs = append(cs, c)
				return err
			})
			if len(cs) > 0 {
				r.Consents = append([]consent.Consent(nil), cs...)
			}
		case 10:
			r.Properties, err = d.values()
		}
		return err
	})
}

var (
	identifierFields = []string{"type", "value", "normalized", "problem"}
	eventFields      = []string{"name", "channel", "url", "category", "query", "campaign"}
	ticketFields     = []string{"reason", "priority", "channel", "status"}
	addressFields    = []string{"street", "postal_code", "city", "region", "country"}
	scopeFields      = []string{"type", "value"}
	customerFields   = []string{"first_name", "last_name", "birthdate", "language", "gender", "address", "attributes"}
	orderFields      = []string{"order_id", "store", "channel", "currency", "total", "discount", "coupon", "return", "lines"}
	lineFields       = []string{"sku", "name", "category", "quantity", "unit_price", "total"}
	consentFields    = []string{"purpose", "status", "time", "source", "record_id", "scope"}
)

func (d *decoder) customer(c *Customer) error {
	return d.fields(customerFields, func(i int) (err error) {
		switch i {
		case 5:
			a := new(Address)
			c.Address = a
			return d.stringFields(addressFields, []*string{&a.Street, &a.PostalCode, &a.City, &a.Region, &a.Country})
		case 6:
			c.Attributes, err = d.values()
			return err
		}
		p := [...]*string{&c.FirstName, &c.LastName, &c.Birthdate, &c.Language, &c.Gender}[i]
		*p, err = d.str()
		return err
	})
}

// order decodes o; its lines go to the end of lines, which has room for a
// few (see orderParts).
func (d *decoder) order(o *Order, lines []OrderLine) error {
	return d.fields(orderFields, func(i int) (err error) {
		switch i {
		case 4:
			o.Total, err = d.money()
		case 5:
			o.Discount, err = d.money()
		case 7:
			o.Return, err = d.boolean()
		case 8:
			err = d.array(func(int) error {
				var l OrderLine
				err := d.line(&l)
				lines = append(lines, l)
				return err
			})
			if len(lines) > 0 {
				o.Lines = lines[:len(lines):len(lines)]
			}
		default:
			p := [...]*string{&o.OrderID, &o.Store, &o.Channel, &o.Currency, nil, nil, &o.Coupon}[i]
			*p, err = d.str()
		}
		return err
	})
}

func (d *decoder) line(l *OrderLine) error {
	return d.fields(lineFields, func(i int) (err error) {
		switch i {
		case 3:
			l.Quantity, err = d.integer()
		case 4:
			l.UnitPrice, err = d.money()
		case 5:
			l.Total, err = d.money()
		default:
			p := [...]*string{&l.SKU, &l.Name, &l.Category}[i]
			*p, err = d.str()
		}
		return err
	})
}

func (d *decoder) consent(c *consent.Consent) error {
	return d.fields(consentFields, func(i int) (err error) {
		var s string
		switch i {
		case 0:
			s, err = d.str()
			c.Purpose = consent.Purpose(s)
		case 1:
			s, err = d.str()
			c.Status = consent.Status(s)
		case 2:
			c.Time, err = d.timestamp()
		case 3:
			c.Source, err = d.str()
		case 4:
			c.RecordID, err = d.str()
		case 5:
			id := new(identity.ID)
			c.Scope = id
			err = d.stringFields(scopeFields, []*string{(*string)(&id.Type), &id.Value})
		}
		return err
	})
}

// skipValue skips one value without checking its structure closely; it
// serves peekKey only.
func (d *decoder) skipValue() error {
	depth := 0
	for {
		switch c := d.peek(); c {
		case 0:
			return d.unexpected("value")
		case '{', '[':
			depth++
			d.pos++
		case '}', ']':
			depth--
			d.pos++
		case '"':
			if _, err := d.strBytes(); err != nil {
				return err
			}
		case ',', ':':
			d.pos++
		default:
			for d.pos < len(d.data) && !isDelim(d.data[d.pos]) {
				d.pos++
			}
		}
		if depth <= 0 {
			return nil
		}
	}
}

func isDelim(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', ',', ':', '{', '}', '[', ']', '"':
		return true
	}
	return false
}

// peekKey finds the top-level "source" and "id" strings of a record that
// failed to decode, so that the error can name the record.
func peekKey(data []byte) (source, id string) {
	d := decoder{data: data}
	d.object(func(key []byte) error {
		k := string(key)
		if (k == "source" || k == "id") && d.peek() == '"' {
			s, err := d.str()
			if err != nil {
				return err
			}
			if k == "source" {
				source = s
			} else {
				id = s
			}
			return nil
		}
		return d.skipValue()
	})
	return source, id
}

// parseTime parses an RFC 3339 time (2006-01-02T15:04:05.999999999Z07:00)
// and returns it in UTC.
func parseTime(b []byte) (time.Time, bool) {
	num := func(s []byte) (int, bool) {
		n := 0
		for _, c := range s {
			if c < '0' || c > '9' {
				return 0, false
			}
			n = n*10 + int(c-'0')
		}
		return n, true
	}
	if len(b) < len("2006-01-02T15:04:05Z") || b[4] != '-' || b[7] != '-' ||
		(b[10] != 'T' && b[10] != 't') || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	year, ok1 := num(b[0:4])
	month, ok2 := num(b[5:7])
	day, ok3 := num(b[8:10])
	hour, ok4 := num(b[11:13])
	minute, ok5 := num(b[14:16])
	sec, ok6 := num(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 ||
		day > daysIn(time.Month(month), year) || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	b = b[19:]
	nsec := 0
	if b[0] == '.' {
		i := 1
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		if i == 1 || i > 10 {
			return time.Time{}, false
		}
		nsec, _ = num(b[1:i])
		for range 10 - i {
			nsec *= 10
		}
		b = b[i:]
	}
	var off int64
	switch {
	case len(b) == 1 && (b[0] == 'Z' || b[0] == 'z'):
	case len(b) == 6 && (b[0] == '+' || b[0] == '-') && b[3] == ':':
		h, ok1 := num(b[1:3])
		m, ok2 := num(b[4:6])
		if !ok1 || !ok2 || h > 23 || m > 59 {
			return time.Time{}, false
		}
		off = int64(h*60+m) * 60
		if b[0] == '-' {
			off = -off
		}
	default:
		return time.Time{}, false
	}
	unix := daysSinceEpoch(year, month, day)*86400 + int64(hour*3600+minute*60+sec) - off
	if unix < minTime || unix > maxTime {
		return time.Time{}, false // in UTC, outside what RFC 3339 can write
	}
	return time.Unix(unix, int64(nsec)).UTC(), true
}

// daysSinceEpoch returns the days from 1970-01-01 to the given date of the
// proleptic Gregorian calendar (year 0 is 1 BC).
func daysSinceEpoch(year, month, day int) int64 {
	y := int64(year)
	if month <= 2 {
		y--
	}
	era := y
	if era < 0 {
		era -= 399
	}
	era /= 400
	yoe := y - era*400 // [0, 399]
	mp := int64(month+9) % 12
	doy := (153*mp+2)/5 + int64(day) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func daysIn(m time.Month, year int) int {
	if m == time.February {
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	}
	return 30 + int((m+m/8)%2)
}
