package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/unifycdp/unify/consent"
	"github.com/unifycdp/unify/identity"
	"github.com/unifycdp/unify/profile"
)

// Mapping is the JSON mapping of CSV columns to record fields (see the
// package documentation). Every value is a column name or, starting with
// "=", a constant in which {column} stands for the column's value.
type Mapping struct {
	Source      string             `json:"source"`
	Kind        string             `json:"kind"`
	ID          string             `json:"id"`
	Time        string             `json:"time"`
	TimeFormat  string             `json:"time_format"`
	TimeZone    string             `json:"time_zone"`
	Comma       string             `json:"comma"`
	Identifiers map[string]columns `json:"identifiers"`
	Customer    map[string]string  `json:"customer"`
	Attributes  map[string]string  `json:"attributes"`
	Order       map[string]string  `json:"order"`
	Line        map[string]string  `json:"line"`
	Event       map[string]string  `json:"event"`
	Ticket      map[string]string  `json:"ticket"`
	Consents    map[string]string  `json:"consents"`
	Properties  map[string]string  `json:"properties"`
}

// columns is one column name or a list of them.
type columns []string

func (c *columns) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*c = columns{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("want a column name or a list of them")
	}
	*c = many
	return nil
}

// The field names each section of a mapping knows.
var mappingFields = map[string][]string{
	"customer": {"first_name", "last_name", "birthdate", "language", "gender", "street", "postal_code", "city", "region", "country"},
	"order":    {"order_id", "store", "channel", "currency", "total", "discount", "coupon", "return"},
	"line":     {"sku", "name", "category", "quantity", "unit_price", "total"},
	"event":    {"name", "channel", "url", "category", "query", "campaign"},
	"ticket":   {"reason", "priority", "channel", "status"},
}

// readMapping reads and checks a mapping file.
func readMapping(path string) (*Mapping, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := parseMapping(b)
	if err != nil {
		return nil, fmt.Errorf("mapping %s: %w", path, err)
	}
	return m, nil
}

// parseMapping decodes and checks the JSON of a mapping file.
func parseMapping(b []byte) (*Mapping, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	var m Mapping
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("data after the mapping object")
	}
	if err := m.check(); err != nil {
		return nil, err
	}
	return &m, nil
}

func (m *Mapping) check() error {
	var errs []error
	for _, f := range []struct{ name, v string }{{"source", m.Source}, {"kind", m.Kind}, {"id", m.ID}, {"time", m.Time}} {
		if f.v == "" {
			errs = append(errs, fmt.Errorf("%q is required", f.name))
		}
	}
	sections := map[string]map[string]string{"customer": m.Customer, "order": m.Order, "line": m.Line, "event": m.Event, "ticket": m.Ticket}
	for _, name := range slices.Sorted(maps.Keys(sections)) {
		for _, k := range slices.Sorted(maps.Keys(sections[name])) {
			if !slices.Contains(mappingFields[name], k) {
				errs = append(errs, fmt.Errorf("%s: unknown field %q (known: %s)", name, k, strings.Join(mappingFields[name], ", ")))
			}
		}
	}
	for p := range m.Consents {
		if !consent.Purpose(p).Valid() {
			errs = append(errs, fmt.Errorf("consents: %q is not a purpose name", p))
		}
	}
	if m.Comma != "" {
		r, _ := utf8.DecodeRuneInString(m.Comma)
		switch {
		case utf8.RuneCountInString(m.Comma) != 1:
			errs = append(errs, fmt.Errorf("comma: want one character, got %q", m.Comma))
		case r == '"' || r == '\r' || r == '\n' || r == 0 || r == utf8.RuneError:
			// encoding/csv refuses these as separators.
			errs = append(errs, fmt.Errorf("comma: %q cannot separate fields", m.Comma))
		}
	}
	return errors.Join(errs...)
}

// field is a compiled mapping value: a column, or a constant template.
type field struct {
	parts []part
}

// part is literal text (col < 0) or a column's value.
type part struct {
	lit string
	col int
}

// compileField compiles a mapping value against the CSV header.
func compileField(spec string, header map[string]int) (*field, error) {
	if spec == "" {
		return nil, nil
	}
	if t, ok := strings.CutPrefix(spec, "="); ok {
		f := &field{}
		for t != "" {
			i := strings.IndexAny(t, "{}")
			if i < 0 {
				f.parts = append(f.parts, part{lit: t, col: -1})
				break
			}
			if i > 0 {
				f.parts = append(f.parts, part{lit: t[:i], col: -1})
			}
			if t[i] == '}' || strings.HasPrefix(t[i:], "{{") {
				if len(t) > i+1 && t[i+1] == t[i] {
					f.parts = append(f.parts, part{lit: t[i : i+1], col: -1})
					t = t[i+2:]
					continue
				}
				return nil, fmt.Errorf("%q: a lone %q (write %s%s for the character)", spec, t[i], t[i:i+1], t[i:i+1])
			}
			j := strings.IndexByte(t[i:], '}')
			if j < 0 {
				return nil, fmt.Errorf("%q: unclosed {", spec)
			}
			name := t[i+1 : i+j]
			c, ok := header[name]
			if !ok {
				return nil, fmt.Errorf("%q: no column %q in the header", spec, name)
			}
			f.parts = append(f.parts, part{col: c})
			t = t[i+j+1:]
		}
		return f, nil
	}
	c, ok := header[spec]
	if !ok {
		return nil, fmt.Errorf("no column %q in the header", spec)
	}
	return &field{parts: []part{{col: c}}}, nil
}

// value returns the field's value in row, trimmed; "" for a nil field.
func (f *field) value(row []string) string {
	if f == nil {
		return ""
	}
	if len(f.parts) == 1 && f.parts[0].col >= 0 {
		return strings.TrimSpace(row[f.parts[0].col])
	}
	var b strings.Builder
	for _, p := range f.parts {
		if p.col < 0 {
			b.WriteString(p.lit)
		} else {
			b.WriteString(strings.TrimSpace(row[p.col]))
		}
	}
	return strings.TrimSpace(b.String())
}

// section is a compiled mapping section: field name -> field.
type section map[string]*field

func (s section) get(name string, row []string) string { return s[name].value(row) }

// any reports whether any field of s has a value in row.
func (s section) any(row []string) bool {
	for _, f := range s {
		if f.value(row) != "" {
			return true
		}
	}
	return false
}

// csvConverter turns the rows of one CSV file into records.
type csvConverter struct {
	source, kind, id, time *field
	timeLayout             string
	loc                    *time.Location
	identifiers            []idField
	customer, order, line  section
	event, ticket          section
	attributes, properties section
	consents               section
}

type idField struct {
	typ identity.Type
	f   *field
}

// newCSVConverter compiles m against a header row.
func newCSVConverter(m *Mapping, headerRow []string) (*csvConverter, error) {
	header := make(map[string]int, len(headerRow))
	for i, h := range headerRow {
		if i == 0 {
			h = strings.TrimPrefix(h, "\ufeff") // a spreadsheet's byte order mark
		}
		header[strings.TrimSpace(h)] = i
	}
	c := &csvConverter{timeLayout: m.TimeFormat, loc: time.UTC}
	if m.TimeZone != "" {
		loc, err := time.LoadLocation(m.TimeZone)
		if err != nil {
			return nil, fmt.Errorf("time_zone: %w", err)
		}
		c.loc = loc
	}
	var errs []error
	compile := func(where, spec string) *field {
		f, err := compileField(spec, header)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", where, err))
		}
		return f
	}
	compileSection := func(name string, specs map[string]string) section {
		if len(specs) == 0 {
			return nil
		}
		s := section{}
		for _, k := range slices.Sorted(maps.Keys(specs)) {
			s[k] = compile(name+"."+k, specs[k])
		}
		return s
	}
	c.source = compile("source", m.Source)
	c.kind = compile("kind", m.Kind)
	c.id = compile("id", m.ID)
	c.time = compile("time", m.Time)
	for _, t := range slices.Sorted(maps.Keys(m.Identifiers)) {
		for _, col := range m.Identifiers[t] {
			c.identifiers = append(c.identifiers, idField{identity.Type(t), compile("identifiers."+t, col)})
		}
	}
	c.customer = compileSection("customer", m.Customer)
	c.attributes = compileSection("attributes", m.Attributes)
	c.order = compileSection("order", m.Order)
	c.line = compileSection("line", m.Line)
	c.event = compileSection("event", m.Event)
	c.ticket = compileSection("ticket", m.Ticket)
	c.consents = compileSection("consents", m.Consents)
	c.properties = compileSection("properties", m.Properties)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return c, nil
}

// fieldError is a row that does not convert: Field names the mapping field
// at fault, like "order.total" or "consents.sms_marketing".
type fieldError struct {
	Field string
	Err   error
}

func (e *fieldError) Error() string { return e.Field + ": " + e.Err.Error() }
func (e *fieldError) Unwrap() error { return e.Err }

// record converts one row. The error, a *fieldError, names the mapping
// field at fault; the record may still be invalid (the engine validates it).
func (c *csvConverter) record(row []string) (*profile.Record, error) {
	r := &profile.Record{
		Source: c.source.value(row),
		ID:     c.id.value(row),
		Kind:   profile.Kind(c.kind.value(row)),
	}
	if ts := c.time.value(row); ts != "" {
		t, err := parseTime(ts, c.timeLayout, c.loc)
		if err != nil {
			return r, &fieldError{"time", err}
		}
		r.Time = t
	}
	for _, idf := range c.identifiers {
		if v := idf.f.value(row); v != "" {
			r.Identifiers = append(r.Identifiers, profile.Identifier{Type: idf.typ, Raw: v})
		}
	}
	if c.customer.any(row) || c.attributes.any(row) || r.Kind == profile.KindCustomer && c.customer != nil {
		cu := &profile.Customer{
			FirstName: c.customer.get("first_name", row),
			LastName:  c.customer.get("last_name", row),
			Birthdate: c.customer.get("birthdate", row),
			Language:  c.customer.get("language", row),
			Gender:    c.customer.get("gender", row),
		}
		a := profile.Address{
			Street:     c.customer.get("street", row),
			PostalCode: c.customer.get("postal_code", row),
			City:       c.customer.get("city", row),
			Region:     c.customer.get("region", row),
			Country:    c.customer.get("country", row),
		}
		if !a.IsZero() {
			cu.Address = &a
		}
		cu.Attributes = values(c.attributes, row)
		r.Customer = cu
	}
	if c.order.any(row) || c.line.any(row) || r.Kind == profile.KindOrder && c.order != nil {
		o, err := c.orderOf(row)
		if err != nil {
			return r, err
		}
		r.Order = o
	}
	if c.event.any(row) || r.Kind == profile.KindEvent && c.event != nil {
		r.Event = &profile.Event{
			Name:     c.event.get("name", row),
			Channel:  c.event.get("channel", row),
			URL:      c.event.get("url", row),
			Category: c.event.get("category", row),
			Query:    c.event.get("query", row),
			Campaign: c.event.get("campaign", row),
		}
	}
	if c.ticket.any(row) || r.Kind == profile.KindTicket && c.ticket != nil {
		r.Ticket = &profile.Ticket{
			Reason:   c.ticket.get("reason", row),
			Priority: c.ticket.get("priority", row),
			Channel:  c.ticket.get("channel", row),
			Status:   c.ticket.get("status", row),
		}
	}
	for _, p := range slices.Sorted(maps.Keys(c.consents)) {
		v := c.consents.get(p, row)
		if v == "" {
			continue
		}
		st, err := consentStatus(v)
		if err != nil {
			return r, &fieldError{"consents." + p, err}
		}
		r.Consents = append(r.Consents, consent.Consent{Purpose: consent.Purpose(p), Status: st, Time: r.Time, Source: r.Source, RecordID: r.ID})
	}
	r.Properties = values(c.properties, row)
	return r, nil
}

func (c *csvConverter) orderOf(row []string) (*profile.Order, error) {
	o := &profile.Order{
		OrderID:  c.order.get("order_id", row),
		Store:    c.order.get("store", row),
		Channel:  c.order.get("channel", row),
		Currency: c.order.get("currency", row),
		Coupon:   c.order.get("coupon", row),
	}
	var err error
	if o.Total, err = money(c.order.get("total", row)); err != nil {
		return nil, &fieldError{"order.total", err}
	}
	if o.Discount, err = money(c.order.get("discount", row)); err != nil {
		return nil, &fieldError{"order.discount", err}
	}
	if v := c.order.get("return", row); v != "" {
		if o.Return, err = parseBool(v); err != nil {
			return nil, &fieldError{"order.return", err}
		}
	}
	if c.line.any(row) {
		l := profile.OrderLine{
			SKU:      c.line.get("sku", row),
			Name:     c.line.get("name", row),
			Category: c.line.get("category", row),
			Quantity: 1,
		}
		if q := c.line.get("quantity", row); q != "" {
			if l.Quantity, err = strconv.Atoi(q); err != nil {
				return nil, &fieldError{"line.quantity", fmt.Errorf("not a whole number: %q", q)}
			}
		}
		if l.UnitPrice, err = money(c.line.get("unit_price", row)); err != nil {
			return nil, &fieldError{"line.unit_price", err}
		}
		if l.Total, err = money(c.line.get("total", row)); err != nil {
			return nil, &fieldError{"line.total", err}
		}
		o.Lines = []profile.OrderLine{l}
	}
	return o, nil
}

// values returns the non-empty string values of a section, nil if none.
func values(s section, row []string) map[string]profile.Value {
	var m map[string]profile.Value
	for k, f := range s {
		if v := f.value(row); v != "" {
			if m == nil {
				m = map[string]profile.Value{}
			}
			m[k] = profile.StringValue(v)
		}
	}
	return m
}

// money parses an amount, with a decimal point or a decimal comma; "" is 0.
func money(s string) (profile.Money, error) {
	if s == "" {
		return 0, nil
	}
	s = strings.ReplaceAll(s, " ", "")
	if !strings.Contains(s, ".") {
		s = strings.Replace(s, ",", ".", 1)
	}
	m, err := profile.ParseMoney(s)
	if err != nil {
		return 0, fmt.Errorf("%q: %w", s, err)
	}
	return m, nil
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "1", "y", "yes", "true", "t", "x":
		return true, nil
	case "0", "n", "no", "false", "f":
		return false, nil
	}
	return false, fmt.Errorf("not a yes/no value: %q", s)
}

func consentStatus(s string) (consent.Status, error) {
	switch strings.ToLower(s) {
	case "granted", "grant":
		return consent.Granted, nil
	case "withdrawn", "withdraw", "revoked":
		return consent.Withdrawn, nil
	}
	b, err := parseBool(s)
	if err != nil {
		return "", fmt.Errorf("not granted/withdrawn or yes/no: %q", s)
	}
	if b {
		return consent.Granted, nil
	}
	return consent.Withdrawn, nil
}

// parseTime parses a time with a Go layout, "unix", "unix_ms", or, with no
// layout, RFC 3339 and its common relatives; times without an offset are in
// loc.
func parseTime(s, layout string, loc *time.Location) (time.Time, error) {
	switch layout {
	case "unix", "unix_ms":
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, fmt.Errorf("not a Unix time: %q", s)
		}
		if layout == "unix_ms" {
			return time.UnixMilli(n).UTC(), nil
		}
		return time.Unix(n, 0).UTC(), nil
	case "":
		for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"} {
			if t, err := time.ParseInLocation(l, s, loc); err == nil {
				return t.UTC(), nil
			}
		}
		return time.Time{}, fmt.Errorf("not an RFC 3339 time (set time_format in the mapping): %q", s)
	}
	t, err := time.ParseInLocation(layout, s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q does not match the time_format %q", s, layout)
	}
	return t.UTC(), nil
}

// csvRows reads a CSV file and yields its rows as records. yield gets the
// row's first line, its original text and the record or the error.
func csvRows(r io.Reader, m *Mapping, yield func(line int64, input []byte, rec *profile.Record, err error) bool) error {
	rec := &recorder{r: r}
	cr := csv.NewReader(rec)
	if m.Comma != "" {
		cr.Comma, _ = utf8.DecodeRuneInString(m.Comma)
	}
	cr.FieldsPerRecord = 0 // every row as long as the header
	header, err := cr.Read()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return fmt.Errorf("header: %w", err)
	}
	conv, err := newCSVConverter(m, header)
	if err != nil {
		return err
	}
	start := cr.InputOffset()
	rec.drop(start)
	for {
		row, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		end := cr.InputOffset()
		input := bytes.TrimRight(rec.slice(start, end), "\r\n")
		var pe *csv.ParseError
		switch {
		case errors.As(err, &pe):
			// FieldPos is only for a row that was read: it panics after
			// an error.
			line := pe.StartLine
			err = fmt.Errorf("csv: %w", pe.Err)
			if errors.Is(pe.Err, csv.ErrFieldCount) {
				err = fmt.Errorf("csv: %d fields, the header has %d", len(row), len(header))
			}
			if !yield(int64(line), input, nil, err) {
				return nil
			}
		case err != nil:
			return err
		default:
			line, _ := cr.FieldPos(0)
			r, err := conv.record(row)
			if !yield(int64(line), input, r, err) {
				return nil
			}
		}
		rec.drop(end)
		start = end
	}
}

// recorder is a reader that keeps what was read from an offset on, so that
// the original text of a row or an element can be cut from it by the
// offsets its decoder reports.
type recorder struct {
	r    io.Reader
	base int64  // offset of buf[0]
	buf  []byte // input read from base on
	err  error  // the reader's error, but io.EOF
}

func (r *recorder) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.buf = append(r.buf, p[:n]...)
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}

// slice returns a copy of the input between two offsets.
func (r *recorder) slice(from, to int64) []byte {
	if from < r.base || to > r.base+int64(len(r.buf)) || from > to {
		return nil
	}
	return bytes.Clone(r.buf[from-r.base : to-r.base])
}

// drop forgets the input before offset off.
func (r *recorder) drop(off int64) {
	if off <= r.base {
		return
	}
	k := min(off-r.base, int64(len(r.buf)))
	r.buf = append(r.buf[:0], r.buf[k:]...)
	r.base += k
}
