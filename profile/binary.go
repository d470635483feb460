package profile

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"time"

	"github.com/unifycdp/unify/consent"
	"github.com/unifycdp/unify/identity"
)

// Binary format versions: the first byte of an encoding.
//
// Version 2 writes times as one varint (seconds, shifted left by one, the
// low bit telling whether nanoseconds follow) and, in profiles, strings as
// references into a table of distinct strings stored after the body.
const (
	recordFormat  byte = 2
	profileFormat byte = 2
)

// writer appends the binary encoding: uvarint lengths and counts, zig-zag
// varints for signed numbers, strings as length and bytes. (The profile
// encoding writes strings as references: see pwriter.)
type writer struct{ b []byte }

func (w *writer) uvarint(u uint64) {
	if u < 0x80 {
		w.b = append(w.b, byte(u))
		return
	}
	w.b = binary.AppendUvarint(w.b, u)
}

func (w *writer) varint(i int64) { w.uvarint(uint64(i<<1) ^ uint64(i>>63)) }
func (w *writer) int(i int)      { w.varint(int64(i)) }
func (w *writer) money(m Money)  { w.varint(int64(m)) }

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

// time writes zig-zag Unix seconds shifted left by one, the low bit set when
// a uvarint of nanoseconds follows. The zero Time round trips.
func (w *writer) time(t time.Time) {
	sec, nsec := t.Unix(), t.Nanosecond()
	// Times beyond the years 0 to 9999 stay beyond them without overflow,
	// so that decoding rejects them.
	sec = min(max(sec, minTime-1), maxTime+1)
	u := (uint64(sec<<1) ^ uint64(sec>>63)) << 1
	if nsec == 0 {
		w.uvarint(u)
		return
	}
	w.uvarint(u | 1)
	w.uvarint(uint64(nsec))
}

func (w *writer) value(v Value) { w.valueWith(v, w.str) }

// valueWith writes a Value, a string with str.
func (w *writer) valueWith(v Value, str func(string)) {
	w.b = append(w.b, byte(v.kind))
	switch v.kind {
	case ValueString:
		str(v.s)
	case ValueNumber:
		w.b = binary.LittleEndian.AppendUint64(w.b, math.Float64bits(v.n))
	case ValueBool:
		w.bool(v.n != 0)
	}
}

func (w *writer) consent(c *consent.Consent) { w.consentWith(c, w.str) }

// consentWith writes a consent, its strings with str.
func (w *writer) consentWith(c *consent.Consent, str func(string)) {
	str(string(c.Purpose))
	str(string(c.Status))
	w.time(c.Time)
	str(c.Source)
	str(c.RecordID)
	w.bool(c.Scope != nil)
	if c.Scope != nil {
		str(string(c.Scope.Type))
		str(c.Scope.Value)
	}
}

// sortedEntries returns the keys and values of m in ascending key order, in
// kbuf and vbuf when they are large enough.
func sortedEntries[K ~string, V any](m map[K]V, kbuf []K, vbuf []V) ([]K, []V) {
	keys, vals := kbuf[:0], vbuf[:0]
	for k, v := range m {
		keys = append(keys, k)
		vals = append(vals, v)
	}
	if len(keys) > 24 {
		slices.Sort(keys)
		for i, k := range keys {
			vals[i] = m[k]
		}
		return keys, vals
	}
	for i := 1; i < len(keys); i++ { // insertion sort
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
			vals[j], vals[j-1] = vals[j-1], vals[j]
		}
	}
	return keys, vals
}

// reader decodes what writer wrote. The first error sticks: it cuts the
// data at the failing offset, so that every read after it finds the end and
// returns a zero value. Strings are cut from one copy of the input. (The
// profile encoding reads strings as references: see preader.)
type reader struct {
	b   []byte
	s   string // string(b), so that strings share one allocation
	off int
	err error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = &FieldError{Offset: int64(r.off), Err: fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)}
	}
	if r.off > len(r.b) {
		r.off = len(r.b)
	}
	r.b = r.b[:r.off]
}

func (r *reader) byte() byte {
	if r.off < len(r.b) {
		c := r.b[r.off]
		r.off++
		return c
	}
	r.fail("unexpected end of data")
	return 0
}

func (r *reader) uvarint() uint64 {
	if r.off < len(r.b) && r.b[r.off] < 0x80 {
		c := r.b[r.off]
		r.off++
		return uint64(c)
	}
	return r.uvarintSlow()
}

// uvarintSlow reads a uvarint of more than one byte (times take five or
// six), or fails. It is binary.Uvarint unrolled: that loop costs a good
// part of decoding a profile.
func (r *reader) uvarintSlow() uint64 {
	b := r.b[r.off:]
	if len(b) >= 6 && b[5] < 0x80 && b[1]&b[2]&b[3]&b[4] >= 0x80 && b[0] >= 0x80 {
		r.off += 6
		return uint64(b[0]&0x7f) | uint64(b[1]&0x7f)<<7 | uint64(b[2]&0x7f)<<14 |
			uint64(b[3]&0x7f)<<21 | uint64(b[4]&0x7f)<<28 | uint64(b[5])<<35
	}
	if len(b) >= 5 && b[4] < 0x80 && b[0]&b[1]&b[2]&b[3] >= 0x80 {
		r.off += 5
		return uint64(b[0]&0x7f) | uint64(b[1]&0x7f)<<7 | uint64(b[2]&0x7f)<<14 |
			uint64(b[3]&0x7f)<<21 | uint64(b[4])<<28
	}
	v, n := binary.Uvarint(b)
	if n <= 0 {
		r.fail("bad varint")
		return 0
	}
	r.off += n
	return v
}

func (r *reader) varint() int64 {
	u := r.uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

func (r *reader) int() int {
	i := r.varint()
	if bits.UintSize == 32 && int64(int(i)) != i {
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
	if n == 0 {
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
	u := r.uvarint()
	sec := int64(u>>2) ^ -int64(u>>1&1)
	var nsec uint64
	if u&1 != 0 {
		if nsec = r.uvarint(); nsec == 0 || nsec >= 1e9 {
			r.fail("bad nanoseconds")
			return time.Time{}
		}
	}
	if sec < minTime || sec > maxTime {
		r.fail("time out of range")
		return time.Time{}
	}
	return time.Unix(sec, int64(nsec)).UTC()
}

func (r *reader) value() Value { return r.valueWith(r.str) }

// valueWith reads a Value, a string with str.
func (r *reader) valueWith(str func() string) Value {
	k := ValueKind(r.byte())
	switch k {
	case ValueString:
		return Value{kind: ValueString, s: str()}
	case ValueNull:
		return Value{}
	case ValueNumber:
		if len(r.b)-r.off < 8 {
			r.fail("unexpected end of data")
			return Value{}
		}
		f := math.Float64frombits(binary.LittleEndian.Uint64(r.b[r.off:]))
		r.off += 8
		if math.IsNaN(f) || math.IsInf(f, 0) {
			r.fail("number not finite")
		}
		return Value{kind: ValueNumber, n: f}
	case ValueBool:
		return BoolValue(r.bool())
	}
	r.fail("bad value kind %d", k)
	return Value{}
}

func (r *reader) consent(c *consent.Consent) { r.consentWith(c, r.str) }

// consentWith reads a consent, its strings with str.
func (r *reader) consentWith(c *consent.Consent, str func() string) {
	c.Purpose = consent.Purpose(str())
	c.Status = consent.Status(str())
	c.Time = r.time()
	c.Source = str()
	c.RecordID = str()
	if r.bool() {
		scope := new(identity.ID)
		scope.Type = identity.Type(str())
		scope.Value = str()
		c.Scope = scope
	}
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
		r.b = r.b[:0]
		r.off = 0
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
	w := writer{b: append(dst, recordFormat)}
	w.str(r.Source)
	w.str(r.ID)
	w.str(string(r.Kind))
	w.time(r.Time)
	w.uvarint(uint64(len(r.Identifiers)))
	for i := range r.Identifiers {
		id := &r.Identifiers[i]
		w.str(string(id.Type))
		w.str(id.Raw)
		w.str(id.Value)
		w.str(id.Problem)
	}
	var flags byte
	if r.Customer != nil {
		flags |= hasCustomer
	}
	if r.Order != nil {
		flags |= hasOrder
	}
	if r.Event != nil {
		flags |= hasEvent
	}
	if r.Ticket != nil {
		flags |= hasTicket
	}
	w.b = append(w.b, flags)
	if c := r.Customer; c != nil {
		w.str(c.FirstName)
		w.str(c.LastName)
		w.str(c.Birthdate)
		w.str(c.Language)
		w.str(c.Gender)
		w.bool(c.Address != nil)
		if a := c.Address; a != nil {
			w.str(a.Street)
			w.str(a.PostalCode)
			w.str(a.City)
			w.str(a.Region)
			w.str(a.Country)
		}
		writeMap(&w, w.str, c.Attributes, w.value)
	}
	if o := r.Order; o != nil {
		w.str(o.OrderID)
		w.str(o.Store)
		w.str(o.Channel)
		w.str(o.Currency)
		w.str(o.Coupon)
		w.money(o.Total)
		w.money(o.Discount)
		w.bool(o.Return)
		w.uvarint(uint64(len(o.Lines)))
		for i := range o.Lines {
			l := &o.Lines[i]
			w.str(l.SKU)
			w.str(l.Name)
			w.str(l.Category)
			w.int(l.Quantity)
			w.money(l.UnitPrice)
			w.money(l.Total)
		}
	}
	if e := r.Event; e != nil {
		w.str(e.Name)
		w.str(e.Channel)
		w.str(e.URL)
		w.str(e.Category)
		w.str(e.Query)
		w.str(e.Campaign)
	}
	if t := r.Ticket; t != nil {
		w.str(t.Reason)
		w.str(t.Priority)
		w.str(t.Channel)
		w.str(t.Status)
	}
	w.uvarint(uint64(len(r.Consents)))
	for i := range r.Consents {
		w.consent(&r.Consents[i])
	}
	writeMap(&w, w.str, r.Properties, w.value)
	return w.b, nil
}

// writeMap writes m with its keys, written by str, in ascending order, and
// each value written by write.
func writeMap[K ~string, V any](w *writer, str func(string), m map[K]V, write func(V)) {
	w.uvarint(uint64(len(m)))
	if len(m) == 0 {
		return
	}
	var kbuf [24]K
	var vbuf [24]V
	keys, vals := sortedEntries(m, kbuf[:], vbuf[:])
	for i, k := range keys {
		str(string(k))
		write(vals[i])
	}
}

// MarshalBinary returns the encoding of AppendBinary.
func (r *Record) MarshalBinary() ([]byte, error) { return r.AppendBinary(nil) }

// orderParts holds an order and its first lines, allocated together.
type orderParts struct {
	order Order
	lines [2]OrderLine
}

// UnmarshalBinary decodes what AppendBinary wrote, replacing all of r. It
// returns a *FieldError wrapping ErrCorrupt or ErrVersion for data it cannot
// read; it never panics. The decoded strings share one copy of b.
func (r *Record) UnmarshalBinary(b []byte) error {
	*r = Record{}
	rd := reader{b: b}
	rd.version(recordFormat)
	if rd.err == nil {
		rd.s = string(b)
	}
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
		flags = 0
	}
	if flags&hasCustomer != 0 {
		c := new(Customer)
		r.Customer = c
		c.FirstName = rd.str()
		c.LastName = rd.str()
		c.Birthdate = rd.str()
		c.Language = rd.str()
		c.Gender = rd.str()
		if rd.bool() {
			a := new(Address)
			c.Address = a
			a.Street = rd.str()
			a.PostalCode = rd.str()
			a.City = rd.str()
			a.Region = rd.str()
			a.Country = rd.str()
		}
		c.Attributes = readMap[string](&rd, rd.str, rd.value)
	}
	if flags&hasOrder != 0 {
		parts := new(orderParts)
		o := &parts.order
		r.Order = o
		o.OrderID = rd.str()
		o.Store = rd.str()
		o.Channel = rd.str()
		o.Currency = rd.str()
		o.Coupon = rd.str()
		o.Total = rd.money()
		o.Discount = rd.money()
		o.Return = rd.bool()
		if n := rd.count(); n > 0 {
			if n <= len(parts.lines) {
				o.Lines = parts.lines[:n:n]
			} else {
				o.Lines = make([]OrderLine, n)
			}
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
	if flags&hasEvent != 0 {
		e := new(Event)
		r.Event = e
		e.Name = rd.str()
		e.Channel = rd.str()
		e.URL = rd.str()
		e.Category = rd.str()
		e.Query = rd.str()
		e.Campaign = rd.str()
	}
	if flags&hasTicket != 0 {
		t := new(Ticket)
		r.Ticket = t
		t.Reason = rd.str()
		t.Priority = rd.str()
		t.Channel = rd.str()
		t.Status = rd.str()
	}
	if n := rd.count(); n > 0 {
		r.Consents = make([]consent.Consent, n)
		for i := range r.Consents {
			rd.consent(&r.Consents[i])
		}
	}
	r.Properties = readMap[string](&rd, rd.str, rd.value)
	if err := rd.done(); err != nil {
		*r = Record{}
		return err
	}
	return nil
}

// readMap reads a map written by writeMap, its keys read by str and its
// values by read; nil when empty.
func readMap[K ~string, V any](r *reader, str func() string, read func() V) map[K]V {
	n := r.count()
	if n == 0 {
		return nil
	}
	m := make(map[K]V, n)
	prev := ""
	for i := range n {
		k := str()
		if i > 0 && k <= prev {
			r.fail("map keys not in ascending order")
		}
		if r.err != nil {
			return nil
		}
		prev = k
		m[K(k)] = read()
	}
	return m
}
