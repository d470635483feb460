package profile

import (
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/unifycdp/unify/consent"
	"github.com/unifycdp/unify/identity"
)

// The profile encoding is the format version byte, the offset of the string
// table as a 4-byte little-endian number, the body, and the string table
// (see strTable.appendTo). Strings in the body are references into the
// table, so that a source, record ID or key that recurs is stored once and
// decoding copies only the distinct string bytes.
const profileHeader = 5

// AppendBinary appends the compact binary encoding of p to dst, for storage.
// It holds everything Apply needs to continue, so a stored profile can be
// loaded, updated with one more record and stored again. The encoding is
// deterministic.
func (p *Profile) AppendBinary(dst []byte) ([]byte, error) {
	start := len(dst)
	var w pwriter
	w.b = append(dst, profileFormat, 0, 0, 0, 0)
	t := &p.Traits
	w.str(p.ID)
	lists := len(p.Aliases) + len(t.Channels) + len(t.CategoriesBought) + len(t.CategoriesBrowsed) + len(t.Coupons) + len(p.Segments)
	for i := range p.Identifiers {
		lists += len(p.Identifiers[i].Sources)
	}
	w.uvarint(uint64(lists))
	w.strs(p.Aliases)
	w.int(p.Records)
	w.time(p.FirstSeen)
	w.time(p.LastSeen)
	w.uvarint(uint64(len(p.Identifiers)))
	for i := range p.Identifiers {
		info := &p.Identifiers[i]
		w.id(info.ID)
		w.strs(info.Sources)
		w.time(info.FirstSeen)
		w.time(info.LastSeen)
		w.int(info.Records)
	}
	w.uvarint(uint64(len(p.Attributes)))
	for i := range p.Attributes {
		e := &p.Attributes[i]
		w.key(e.Key, i > 0 && e.Key <= p.Attributes[i-1].Key, "attributes")
		w.value(e.Value.Value)
		w.str(e.Value.Source)
		w.str(e.Value.RecordID)
		w.time(e.Value.Time)
	}
	w.uvarint(uint64(p.Consents.Len()))
	for c := range p.Consents.All() {
		w.consent(&c)
	}
	w.int(t.OrderCount)
	w.int(t.Returns)
	w.uvarint(uint64(len(t.SpendByCurrency)))
	for i := range t.SpendByCurrency {
		e := &t.SpendByCurrency[i]
		w.key(e.Key, i > 0 && e.Key <= t.SpendByCurrency[i-1].Key, "traits.spend_by_currency")
		w.int(e.Value.Orders)
		w.int(e.Value.Returns)
		w.money(e.Value.Net)
		writeNumbers(&w, e.Value.ByChannel, "traits.spend_by_currency.by_channel")
	}
	writeNumbers(&w, t.OrderCountByChannel, "traits.order_count_by_channel")
	writeNumbers(&w, t.OrderCountByStore, "traits.order_count_by_store")
	w.time(t.FirstOrder)
	w.time(t.LastOrder)
	w.time(t.LastSeen)
	w.strs(t.Channels)
	w.strs(t.CategoriesBought)
	w.strs(t.CategoriesBrowsed)
	w.strs(t.Coupons)
	writeNumbers(&w, t.EventCounts, "traits.event_counts")
	w.int(t.Tickets)
	writeNumbers(&w, t.RecordsByKind, "traits.records_by_kind")
	w.strs(p.Segments)
	if w.unsorted != "" {
		return dst[:start], &FieldError{Field: w.unsorted, Err: fmt.Errorf("%w: table keys not in strictly ascending order", ErrInvalid)}
	}
	binary.LittleEndian.PutUint32(w.b[start+1:], uint32(len(w.b)-start))
	w.tab.appendTo(&w.writer)
	return w.b, nil
}

// key writes the key of a table entry; unsorted reports that it does not
// follow the key before it, and field names the table for the error.
func (w *pwriter) key(k string, unsorted bool, field string) {
	if unsorted && w.unsorted == "" {
		w.unsorted = field
	}
	w.str(k)
}

// writeNumbers writes a table of numbers.
func writeNumbers[K ~string, V int | Money](w *pwriter, t Table[K, V], field string) {
	w.uvarint(uint64(len(t)))
	for i := range t {
		w.key(string(t[i].Key), i > 0 && t[i].Key <= t[i-1].Key, field)
		w.varint(int64(t[i].Value))
	}
}

// MarshalBinary returns the encoding of AppendBinary.
func (p *Profile) MarshalBinary() ([]byte, error) { return p.AppendBinary(nil) }

// UnmarshalBinary decodes what AppendBinary wrote, replacing all of p. It
// returns a *FieldError wrapping ErrCorrupt or ErrVersion for data it cannot
// read; it never panics. The decoded strings share one copy of the distinct
// strings of b.
func (p *Profile) UnmarshalBinary(b []byte) error {
	*p = Profile{}
	var r preader
	r.b = b
	r.version(profileFormat)
	r.table()
	t := &p.Traits
	p.ID = r.str()
	var pool []string // the string lists, one allocation
	if n := r.count(); n > 0 {
		pool = make([]string, n)
	}
	p.Aliases = r.strs(&pool, false)
	p.Records = r.int()
	p.FirstSeen = r.time()
	p.LastSeen = r.time()
	if n := r.count(); n > 0 {
		p.Identifiers = make([]IdentifierInfo, n)
		for i := range p.Identifiers {
			info := &p.Identifiers[i]
			info.ID = r.id()
			if i > 0 && info.ID.Compare(p.Identifiers[i-1].ID) <= 0 {
				r.fail("identifiers not in ascending order")
			}
			info.Sources = r.strs(&pool, true)
			info.FirstSeen = r.time()
			info.LastSeen = r.time()
			info.Records = r.int()
		}
	}
	p.Attributes = r.attributes()
	p.Consents = r.consents()
	t.OrderCount = r.int()
	t.Returns = r.int()
	r.spend(t)
	occ, _ := readNumbers(&r, &r.intBuf, &t.OrderCountByChannel)
	ocs, stores := readNumbers(&r, &r.intBuf, &t.OrderCountByStore)
	t.FavouriteStore = favourite(stores)
	t.FirstOrder = r.time()
	t.LastOrder = r.time()
	t.LastSeen = r.time()
	t.Channels = r.strs(&pool, true)
	t.CategoriesBought = r.strs(&pool, true)
	t.CategoriesBrowsed = r.strs(&pool, true)
	t.Coupons = r.strs(&pool, true)
	ev, _ := readNumbers(&r, &r.intBuf, &t.EventCounts)
	t.Tickets = r.int()
	t.RecordsByKind = readKinds(&r)
	p.Segments = r.strs(&pool, false)
	if len(pool) != 0 {
		r.fail("%d strings of lists left over", len(pool))
	}
	if err := r.done(); err != nil {
		*p = Profile{}
		return err
	}
	if ints := r.intBuf.flush(); ints != nil {
		setSpan(&t.OrderCountByChannel, occ, ints)
		setSpan(&t.OrderCountByStore, ocs, ints)
		setSpan(&t.EventCounts, ev, ints)
	}
	if money := r.moneyBuf.flush(); money != nil {
		for i, sp := range r.byChannel[:min(len(t.SpendByCurrency), len(r.byChannel))] {
			setSpan(&t.SpendByCurrency[i].Value.ByChannel, sp, money)
		}
		setSpan(&t.SpendByChannel, r.spendByChannel, money)
	}
	return nil
}

// key reads the key of entry i of a table, given the key before it.
func (r *preader) key(i int, prev string) string {
	k := r.str()
	if i > 0 && k <= prev {
		r.fail("table keys not in ascending order")
	}
	return k
}

// attributes reads the attributes table; nil when empty. Like the readers
// below, it is written out for its types, because calls through function
// values cost a good part of decoding a profile.
func (r *preader) attributes() Table[string, Attribute] {
	n := r.count()
	if n == 0 {
		return nil
	}
	t := make(Table[string, Attribute], n)
	k := ""
	for i := range t {
		if k = r.key(i, k); r.err != nil {
			return nil
		}
		t[i] = Entry[string, Attribute]{Key: k, Value: Attribute{Value: r.value(), Source: r.str(), RecordID: r.str(), Time: r.time()}}
	}
	return t
}

// consents reads the consents of a Set, which AppendBinary wrote in the
// Set's order, into one slice that the Set takes over.
func (r *preader) consents() consent.Set {
	n := r.count()
	if n == 0 {
		return consent.Set{}
	}
	cs := make([]consent.Consent, n)
	var scopes []identity.ID // allocated at the first scope, for all that may follow
	for i := range cs {
		c := &cs[i]
		c.Purpose = consent.Purpose(r.str())
		c.Status = consent.Status(r.str())
		c.Time = r.time()
		c.Source = r.str()
		c.RecordID = r.str()
		if r.bool() {
			if len(scopes) == 0 {
				scopes = make([]identity.ID, n-i)
			}
			scope := &scopes[0]
			scopes = scopes[1:]
			*scope = r.id()
			c.Scope = scope
		}
	}
	if r.err != nil {
		return consent.Set{}
	}
	set, ok := consent.FromSorted(cs)
	if !ok {
		r.fail("consents not in ascending order")
	}
	return set
}

// spend reads SpendByCurrency and sets the summary traits that depend on
// it: the keys come in ascending order, so the first currency of the most
// orders is the primary one, and SpendByChannel is a copy of its ByChannel.
// The ByChannel tables and SpendByChannel are gathered in r.moneyBuf, their
// places in r.byChannel and r.spendByChannel.
func (r *preader) spend(t *Traits) {
	n := r.count()
	if n == 0 {
		return
	}
	s := make(Table[string, CurrencySpend], n)
	k := ""
	var primary CurrencySpend
	var primaryByChannel []Entry[string, Money]
	best := -1
	for i := range s {
		if k = r.key(i, k); r.err != nil {
			return
		}
		cs := &s[i].Value
		s[i].Key = k
		cs.Orders = r.int()
		cs.Returns = r.int()
		cs.Net = r.money()
		var sp span
		var byChannel []Entry[string, Money]
		if i < len(r.byChannel) {
			sp, byChannel = readNumbers(r, &r.moneyBuf, &cs.ByChannel)
			r.byChannel[i] = sp
		} else {
			_, byChannel = readNumbers(r, nil, &cs.ByChannel)
		}
		if cs.Orders > best {
			t.Currency, primary, best = k, *cs, cs.Orders
			primaryByChannel = byChannel
		}
	}
	t.SpendByCurrency = s
	t.TotalSpend = primary.Net
	if primary.Orders > 0 {
		t.AverageOrderValue = divRound(primary.Net, Money(primary.Orders))
	}
	if best < 0 && s[0].Key == "" {
		// No currency has a count of orders >= 0 (the data is odd, but
		// readable): Currency is "", whose ByChannel Apply would copy.
		primaryByChannel = s[0].Value.ByChannel
		if sp := r.byChannel[0]; sp.n > 0 {
			primaryByChannel = r.moneyBuf.entries[sp.off : sp.off+sp.n]
		}
	}
	if len(primaryByChannel) > 0 {
		var dst []Entry[string, Money]
		r.spendByChannel, dst = r.moneyBuf.take(&t.SpendByChannel, len(primaryByChannel))
		copy(dst, primaryByChannel)
	}
}

// favourite returns the store of the most orders in OrderCountByStore, the
// first of them: the keys come in ascending order.
func favourite(stores []Entry[string, int]) string {
	fav, best := "", 0
	for _, e := range stores {
		if e.Value > best {
			fav, best = e.Key, e.Value
		}
	}
	return fav
}

// readNumbers reads a table written by writeNumbers, into b if it has room
// (b may be nil), else into a new slice that *dst takes at once. It returns
// the place of the entries in b, if there, and the entries.
func readNumbers[V int | Money](r *preader, b *tableBuf[V], dst *Table[string, V]) (span, []Entry[string, V]) {
	n := r.count()
	if n == 0 {
		return span{}, nil
	}
	sp, t := b.take(dst, n)
	k := ""
	for i := range t {
		if k = r.key(i, k); r.err != nil {
			return span{}, nil
		}
		x := r.varint()
		if int64(V(x)) != x {
			r.fail("number out of range")
		}
		t[i] = Entry[string, V]{Key: k, Value: V(x)}
	}
	return sp, t
}

// readKinds reads RecordsByKind; nil when empty.
func readKinds(r *preader) Table[Kind, int] {
	n := r.count()
	if n == 0 {
		return nil
	}
	t := make(Table[Kind, int], n)
	k := ""
	for i := range t {
		if k = r.key(i, k); r.err != nil {
			return nil
		}
		t[i] = Entry[Kind, int]{Key: Kind(k), Value: r.int()}
	}
	return t
}

// tableBuf gathers the entries of a profile's small tables of one type as
// they are decoded, so that they end up in one allocation (flush) rather
// than one a table. The decoder keeps the span of each table's entries and
// points the table into the allocation when decoding succeeded. (Pointers
// to the tables kept here would move the Profile to the heap.)
type tableBuf[V int | Money] struct {
	entries [24]Entry[string, V]
	n       int // entries used
}

// span is where a table's entries are in a tableBuf; n == 0 when the
// table is empty or has its own allocation.
type span struct{ off, n int }

// take returns room for n entries of table *dst: in b, and their place,
// or, when b is nil or full, in a new slice that *dst holds at once.
func (b *tableBuf[V]) take(dst *Table[string, V], n int) (span, []Entry[string, V]) {
	if b == nil || b.n+n > len(b.entries) {
		*dst = make(Table[string, V], n)
		return span{}, *dst
	}
	b.n += n
	return span{b.n - n, n}, b.entries[b.n-n : b.n : b.n]
}

// flush returns a copy of the gathered entries, nil if there are none.
func (b *tableBuf[V]) flush() []Entry[string, V] {
	if b.n == 0 {
		return nil
	}
	return append([]Entry[string, V](nil), b.entries[:b.n]...)
}

// setSpan points *t at its entries in all, which flush returned, with their
// number as capacity, so that adding to one table never writes into
// another.
func setSpan[V int | Money](t *Table[string, V], sp span, all []Entry[string, V]) {
	if sp.n > 0 {
		*t = all[sp.off : sp.off+sp.n : sp.off+sp.n]
	}
}

// preader reads the profile encoding: a reader whose strings are references
// into the string table. Like strTable, the table lives inside it.
type preader struct {
	reader
	n    int         // strings in the table
	arr  [128]string // the first strings
	more []string    // the others
	// The small tables of numbers, gathered (see tableBuf).
	intBuf         tableBuf[int]
	moneyBuf       tableBuf[Money]
	byChannel      [8]span // the ByChannel of the first currencies
	spendByChannel span
}

// table reads the string table and limits the reader to the body.
func (r *preader) table() {
	if r.err != nil {
		return
	}
	if len(r.b) < profileHeader {
		r.off = len(r.b)
		r.fail("unexpected end of data")
		return
	}
	off := binary.LittleEndian.Uint32(r.b[1:])
	if off < profileHeader || uint64(off) > uint64(len(r.b)) {
		r.fail("bad string table offset %d", off)
		return
	}
	t := reader{b: r.b, off: int(off)}
	n := t.count()
	total := t.count()
	blob := t.off
	t.off += total
	if n > total {
		t.fail("%d strings in %d bytes", n, total)
		n = 0
	}
	if n > len(r.arr) {
		r.more = make([]string, n-len(r.arr))
	}
	var s string
	if t.err == nil {
		s = string(t.b[blob : blob+total])
	}
	pos := 0
	for i := range n {
		l := t.uvarint()
		if l == 0 || l > uint64(total-pos) {
			t.fail("bad string length %d", l)
			break
		}
		if i < len(r.arr) {
			r.arr[i] = s[pos : pos+int(l)]
		} else {
			r.more[i-len(r.arr)] = s[pos : pos+int(l)]
		}
		pos += int(l)
	}
	if pos != total {
		t.fail("%d bytes of strings left over", total-pos)
	}
	if err := t.done(); err != nil {
		r.err = err
		r.b = r.b[:1]
		return
	}
	r.n = n
	r.b = r.b[:off]
	r.off = profileHeader
}

// str reads a reference into the string table.
func (r *preader) str() string {
	u := r.uvarint()
	switch {
	case u == 0:
		return ""
	case u <= uint64(len(r.arr)) && int(u) <= r.n:
		return r.arr[u-1]
	case u > uint64(r.n):
		r.fail("string reference %d out of range", u)
		return ""
	}
	return r.more[u-1-uint64(len(r.arr))]
}

// strs reads a list of strings into the front of *pool, which the caller
// sized; sorted demands a strictly ascending list. The result's capacity is
// its length, so that appending to it never writes into the pool.
func (r *preader) strs(pool *[]string, sorted bool) []string {
	n := r.count()
	if n == 0 {
		return nil
	}
	if n > len(*pool) {
		r.fail("string lists exceed their count")
		return nil
	}
	s := (*pool)[:n:n]
	*pool = (*pool)[n:]
	for i := range s {
		s[i] = r.str()
		if sorted && i > 0 && s[i] <= s[i-1] {
			r.fail("set not in ascending order")
		}
	}
	return s
}

// value reads a Value: valueWith written out, without the call through
// a function value for the string.
func (r *preader) value() Value {
	if r.off < len(r.b) && r.b[r.off] == byte(ValueString) {
		r.off++
		return Value{kind: ValueString, s: r.str()}
	}
	return r.valueWith(r.str)
}

func (r *preader) id() identity.ID {
	return identity.ID{Type: identity.Type(r.str()), Value: r.str()}
}

func (r *preader) consent(c *consent.Consent) { r.consentWith(c, r.str) }

// pwriter writes the profile encoding: a writer whose strings are
// references into the string table.
type pwriter struct {
	writer
	tab      strTable
	unsorted string // the first table whose keys are out of order
}

func (w *pwriter) str(s string) { w.uvarint(uint64(w.tab.ref(s))) }

func (w *pwriter) strs(s []string) {
	w.uvarint(uint64(len(s)))
	for _, v := range s {
		w.str(v)
	}
}

func (w *pwriter) value(v Value) { w.valueWith(v, w.str) }

func (w *pwriter) id(id identity.ID) {
	w.str(string(id.Type))
	w.str(id.Value)
}

func (w *pwriter) consent(c *consent.Consent) { w.consentWith(c, w.str) }

// strTable collects the distinct strings of an encoding in the order of
// first use; reference i+1 names the i'th, 0 the empty string. A small
// direct-mapped cache finds repeats: a string whose slot another string took
// is stored again, which costs bytes, not correctness.
//
// The table lives inside the writer, by value: a pointer to it or into it
// from the writer would make the compiler move it to the heap.
type strTable struct {
	n     int         // strings in the table
	arr   [128]string // the first strings
	more  []string    // the others
	slots [256]uint16 // reference of the string last seen with this hash
}

func (t *strTable) at(i int) string {
	if i < len(t.arr) {
		return t.arr[i]
	}
	return t.more[i-len(t.arr)]
}

// ref returns the reference of s, adding it to the table if need be.
func (t *strTable) ref(s string) int {
	n := len(s)
	if n == 0 {
		return 0
	}
	h := uint(n)*0x9E37 ^ uint(s[0])*0x45 ^ uint(s[n-1])*0x3B1 ^ uint(s[n/2])*0x11
	h = (h ^ h>>8) & 255
	if r := int(t.slots[h]); r != 0 && t.at(r-1) == s {
		return r
	}
	if t.n < len(t.arr) {
		t.arr[t.n] = s
	} else {
		t.more = append(t.more, s)
	}
	t.n++
	if t.n <= math.MaxUint16 {
		t.slots[h] = uint16(t.n)
	}
	return t.n
}

// appendTo appends the table: the count, the total length, the bytes of all
// strings, then the length of each.
func (t *strTable) appendTo(w *writer) {
	list := t.arr[:min(t.n, len(t.arr))]
	w.uvarint(uint64(t.n))
	total := 0
	for _, s := range list {
		total += len(s)
	}
	for _, s := range t.more {
		total += len(s)
	}
	w.uvarint(uint64(total))
	w.b = slices.Grow(w.b, total+t.n)
	for _, s := range list {
		w.b = append(w.b, s...)
	}
	for _, s := range t.more {
		w.b = append(w.b, s...)
	}
	for _, s := range list {
		w.uvarint(uint64(len(s)))
	}
	for _, s := range t.more {
		w.uvarint(uint64(len(s)))
	}
}
