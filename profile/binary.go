package profile

import (
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/unifycdp/unify/consent"
	"github.com/unifycdp/unify/identity"
)

// Binary format versions: the first byte of an encoding.
const (
	recordFormatV1  byte = 1
	profileFormatV1 byte = 1
)

// writer appends the binary encoding: uvarint lengths and counts, zig-zag
// varints for signed numbers, strings as length and bytes.
type writer struct{ b []byte }

func (w *writer) uvarint(u uint64) { w.b = binary.AppendUvarint(w.b, u) }
func (w *writer) varint(i int64)   { w.b = binary.AppendVarint(w.b, i) }
func (w *writer) int(i int)        { w.varint(int64(i)) }
func (w *writer) money(m Money)    { w.varint(int64(m)) }

func (w *writer) str(s string) {
	w.uvarint(uint64(len(s)))
	w.b = append(w.b, s...)
}

func (w *writer) bool(b bool) {
	if b {
		w.b = append(w.b, 1)
	} else {
		w.b = append(w.b, 0)
	}
}

// time writes Unix seconds and nanoseconds; the zero Time round trips.
func (w *writer) time(t time.Time) {
	w.varint(t.Unix())
	w.uvarint(uint64(t.Nanosecond()))
}

func (w *writer) strs(s []string) {
	w.uvarint(uint64(len(s)))
	for _, v := range s {
		w.str(v)
	}
}

func (w *writer) value(v Value) {
	w.b = append(w.b, byte(v.kind))
	switch v.kind {
	case ValueString:
		w.str(v.s)
	case ValueNumber:
		w.b = binary.LittleEndian.AppendUint64(w.b, math.Float64bits(v.n))
	case ValueBool:
		w.bool(v.n != 0)
	}
}

func (w *writer) id(id identity.ID) {
	w.str(string(id.Type))
	w.str(id.Value)
}

func (w *writer) consents(cs []consent.Consent) {
	w.uvarint(uint64(len(cs)))
	for _, c := range cs {
		w.str(string(c.Purpose))
		w.str(string(c.Status))
		w.time(c.Time)
		w.str(c.Source)
		w.str(c.RecordID)
		w.bool(c.Scope != nil)
		if c.Scope != nil {
			w.id(*c.Scope)
		}
	}
}

// writeMap writes m with its keys in ascending order.
func writeMap[K ~string, V any](w *writer, m map[K]V, f func(V)) {
	w.uvarint(uint64(len(m)))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		w.str(string(k))
		f(m[k])
	}
}

// reader decodes what writer wrote. The first error sticks, and every read
// after it returns a zero value. Strings are cut from one copy of the input.
type reader struct {
	b   []byte
	s   string // string(b), so that strings share one allocation
	off int
	err error
}

func newReader(b []byte) *reader { return &reader{b: b, s: string(b)} }

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = &FieldError{Offset: int64(r.off), Err: fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)}
	}
}

func (r *reader) byte() byte {
	if r.err != nil {
		return 0
	}
	if r.off >= len(r.b) {
		r.fail("unexpected end of data")
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

func (r *reader) uvarint() uint64 { return readVarint(r, binary.Uvarint) }
func (r *reader) varint() int64   { return readVarint(r, binary.Varint) }

func readVarint[T uint64 | int64](r *reader, decode func([]byte) (T, int)) T {
	if r.err != nil {
		return 0
	}
	v, n := decode(r.b[r.off:])
	if n <= 0 {
		r.fail("bad varint")
		return 0
	}
	r.off += n
	return v
}

func (r *reader) int() int {
	i := r.varint()
	if int64(int(i)) != i {
		r.fail("integer out of range")
		return 0
	}
	return int(i)
}

func (r *reader) money() Money { return Money(r.varint()) }

// count reads a length or element count, which cannot exceed the bytes left.
func (r *reader) count() int {
	u := r.uvarint()
	if u > uint64(len(r.b)-r.off) {
		r.fail("count %d exceeds the data left", u)
		return 0
	}
	return int(u)
}

func (r *reader) str() string {
	n := r.count()
	if r.err != nil || n == 0 {
		return ""
	}
	s := r.s[r.off : r.off+n]
	r.off += n
	return s
}

func (r *reader) bool() bool {
	switch r.byte() {
	case 0:
		return false
	case 1:
		return true
	}
	r.fail("bad bool")
	return false
}

// Bounds of the times the encodings hold: years 0 to 9999.
var (
	minTime = time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	maxTime = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).Unix()
)

func (r *reader) time() time.Time {
	sec := r.varint()
	nsec := r.uvarint()
	if r.err != nil {
		return time.Time{}
	}
	if sec < minTime || sec > maxTime || nsec >= 1e9 {
		r.fail("time out of range")
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).UTC()
}

// strs reads a list of strings; sorted demands a strictly ascending list.
func (r *reader) strs(sorted bool) []string {
	n := r.count()
	if n == 0 {
		return nil
	}
	s := make([]string, n)
	for i := range s {
		s[i] = r.str()
		if sorted && i > 0 && s[i] <= s[i-1] {
			r.fail("set not in ascending order")
		}
	}
	return s
}

func (r *reader) value() Value {
	k := ValueKind(r.byte())
	switch k {
	case ValueNull:
		return Value{}
	case ValueString:
		return StringValue(r.str())
	case ValueNumber:
		if r.err != nil || len(r.b)-r.off < 8 {
			r.fail("unexpected end of data")
			return Value{}
		}
		f := math.Float64frombits(binary.LittleEndian.Uint64(r.b[r.off:]))
		r.off += 8
		if math.IsNaN(f) || math.IsInf(f, 0) {
			r.fail("number not finite")
		}
		return NumberValue(f)
	case ValueBool:
		return BoolValue(r.bool())
	}
	r.fail("bad value kind %d", k)
	return Value{}
}

func (r *reader) id() identity.ID {
	return identity.ID{Type: identity.Type(r.str()), Value: r.str()}
}

func (r *reader) consents() []consent.Consent {
	n := r.count()
	if n == 0 {
		return nil
	}
	cs := make([]consent.Consent, n)
	for i := range cs {
		c := &cs[i]
		c.Purpose = consent.Purpose(r.str())
		c.Status = consent.Status(r.str())
		c.Time = r.time()
		c.Source = r.str()
		c.RecordID = r.str()
		if r.bool() {
			id := r.id()
			c.Scope = &id
		}
	}
	return cs
}

// readMap reads a map written by writeMap; keys must ascend strictly. It
// returns nil for an empty map.
func readMap[K ~string, V any](r *reader, f func() V) map[K]V {
	n := r.count()
	if n == 0 {
		return nil
	}
	m := make(map[K]V, n)
	prev := ""
	for i := range n {
		k := r.str()
		if i > 0 && k <= prev {
			r.fail("map keys not in ascending order")
		}
		if r.err != nil {
			return nil
		}
		prev = k
		m[K(k)] = f()
	}
	return m
}

// done checks that all input was read.
func (r *reader) done() error {
	if r.err == nil && r.off != len(r.b) {
		r.fail("%d bytes after the end", len(r.b)-r.off)
	}
	return r.err
}

func (r *reader) version(want byte) {
	if v := r.byte(); r.err == nil && v != want {
		r.err = &FieldError{Offset: 0, Err: fmt.Errorf("%w %d", ErrVersion, v)}
	}
}

// Payload flags of the record encoding.
const (
	hasCustomer = 1 << iota
	hasOrder
	hasEvent
	hasTicket
	hasAll = hasCustomer | hasOrder | hasEvent | hasTicket
)

// AppendBinary appends the compact binary encoding of r to dst (a format
// version byte, then the fields with uvarint lengths). UnmarshalBinary of the
// result equals r, with nil for empty slices and maps and times in UTC. The
// encoding is deterministic: equal records give equal bytes.
func (r *Record) AppendBinary(dst []byte) ([]byte, error) {
	w := writer{b: append(dst, recordFormatV1)}
	w.str(r.Source)
	w.str(r.ID)
	w.str(string(r.Kind))
	w.time(r.Time)
	w.uvarint(uint64(len(r.Identifiers)))
	for _, id := range r.Identifiers {
		w.str(string(id.Type))
		w.str(id.Raw)
		w.str(id.Value)
		w.str(id.Problem)
	}
	var flags byte
	for i, p := range [...]bool{r.Customer != nil, r.Order != nil, r.Event != nil, r.Ticket != nil} {
		if p {
			flags |= 1 << i
		}
	}
	w.b = append(w.b, flags)
	if c := r.Customer; c != nil {
		for _, s := range [...]string{c.FirstName, c.LastName, c.Birthdate, c.Language, c.Gender} {
			w.str(s)
		}
		w.bool(c.Address != nil)
		if a := c.Address; a != nil {
			for _, s := range [...]string{a.Street, a.PostalCode, a.City, a.Region, a.Country} {
				w.str(s)
			}
		}
		writeMap(&w, c.Attributes, w.value)
	}
	if o := r.Order; o != nil {
		for _, s := range [...]string{o.OrderID, o.Store, o.Channel, o.Currency, o.Coupon} {
			w.str(s)
		}
		w.money(o.Total)
		w.money(o.Discount)
		w.bool(o.Return)
		w.uvarint(uint64(len(o.Lines)))
		for _, l := range o.Lines {
			w.str(l.SKU)
			w.str(l.Name)
			w.str(l.Category)
			w.int(l.Quantity)
			w.money(l.UnitPrice)
			w.money(l.Total)
		}
	}
	if e := r.Event; e != nil {
		for _, s := range [...]string{e.Name, e.Channel, e.URL, e.Category, e.Query, e.Campaign} {
			w.str(s)
		}
	}
	if t := r.Ticket; t != nil {
		for _, s := range [...]string{t.Reason, t.Priority, t.Channel, t.Status} {
			w.str(s)
		}
	}
	w.consents(r.Consents)
	writeMap(&w, r.Properties, w.value)
	return w.b, nil
}

// MarshalBinary returns the encoding of AppendBinary.
func (r *Record) MarshalBinary() ([]byte, error) { return r.AppendBinary(nil) }

// UnmarshalBinary decodes what AppendBinary wrote, replacing all of r. It
// returns a *FieldError wrapping ErrCorrupt or ErrVersion for data it cannot
// read; it never panics. The decoded strings share one copy of b.
func (r *Record) UnmarshalBinary(b []byte) error {
	*r = Record{}
	rd := newReader(b)
	rd.version(recordFormatV1)
	r.Source = rd.str()
	r.ID = rd.str()
	r.Kind = Kind(rd.str())
	r.Time = rd.time()
	if n := rd.count(); n > 0 {
		r.Identifiers = make([]Identifier, n)
		for i := range r.Identifiers {
			id := &r.Identifiers[i]
			id.Type = identity.Type(rd.str())
			id.Raw = rd.str()
			id.Value = rd.str()
			id.Problem = rd.str()
		}
	}
	flags := rd.byte()
	if flags&^hasAll != 0 {
		rd.fail("bad payload flags %#x", flags)
	}
	if flags&hasCustomer != 0 && rd.err == nil {
		c := new(Customer)
		r.Customer = c
		for _, p := range [...]*string{&c.FirstName, &c.LastName, &c.Birthdate, &c.Language, &c.Gender} {
			*p = rd.str()
		}
		if rd.bool() {
			a := new(Address)
			c.Address = a
			for _, p := range [...]*string{&a.Street, &a.PostalCode, &a.City, &a.Region, &a.Country} {
				*p = rd.str()
			}
		}
		c.Attributes = readMap[string](rd, rd.value)
	}
	if flags&hasOrder != 0 && rd.err == nil {
		o := new(Order)
		r.Order = o
		for _, p := range [...]*string{&o.OrderID, &o.Store, &o.Channel, &o.Currency, &o.Coupon} {
			*p = rd.str()
		}
		o.Total = rd.money()
		o.Discount = rd.money()
		o.Return = rd.bool()
		if n := rd.count(); n > 0 {
			o.Lines = make([]OrderLine, n)
			for i := range o.Lines {
				l := &o.Lines[i]
				l.SKU = rd.str()
				l.Name = rd.str()
				l.Category = rd.str()
				l.Quantity = rd.int()
				l.UnitPrice = rd.money()
				l.Total = rd.money()
			}
		}
	}
	if flags&hasEvent != 0 && rd.err == nil {
		e := new(Event)
		r.Event = e
		for _, p := range [...]*string{&e.Name, &e.Channel, &e.URL, &e.Category, &e.Query, &e.Campaign} {
			*p = rd.str()
		}
	}
	if flags&hasTicket != 0 && rd.err == nil {
		t := new(Ticket)
		r.Ticket = t
		for _, p := range [...]*string{&t.Reason, &t.Priority, &t.Channel, &t.Status} {
			*p = rd.str()
		}
	}
	r.Consents = rd.consents()
	r.Properties = readMap[string](rd, rd.value)
	if err := rd.done(); err != nil {
		*r = Record{}
		return err
	}
	return nil
}
