package profile

import "github.com/unifycdp/unify/consent"

// AppendBinary appends the compact binary encoding of p to dst, for storage.
// It holds everything Apply needs to continue, so a stored profile can be
// loaded, updated with one more record and stored again. The encoding is
// deterministic.
func (p *Profile) AppendBinary(dst []byte) ([]byte, error) {
	w := writer{b: append(dst, profileFormatV1)}
	w.str(p.ID)
	w.strs(p.Aliases)
	w.int(p.Records)
	w.time(p.FirstSeen)
	w.time(p.LastSeen)
	w.uvarint(uint64(len(p.Identifiers)))
	for _, info := range p.Identifiers {
		w.id(info.ID)
		w.strs(info.Sources)
		w.time(info.FirstSeen)
		w.time(info.LastSeen)
		w.int(info.Records)
	}
	writeMap(&w, p.Attributes, func(a Attribute) {
		w.value(a.Value)
		w.str(a.Source)
		w.str(a.RecordID)
		w.time(a.Time)
	})
	w.consents(p.Consents.Slice())
	t := &p.Traits
	w.int(t.OrderCount)
	w.int(t.Returns)
	writeMap(&w, t.SpendByCurrency, func(cs CurrencySpend) {
		w.int(cs.Orders)
		w.int(cs.Returns)
		w.money(cs.Net)
		writeMap(&w, cs.ByChannel, w.money)
	})
	writeMap(&w, t.OrderCountByChannel, w.int)
	writeMap(&w, t.OrderCountByStore, w.int)
	w.time(t.FirstOrder)
	w.time(t.LastOrder)
	w.time(t.LastSeen)
	for _, s := range [...][]string{t.Channels, t.CategoriesBought, t.CategoriesBrowsed, t.Coupons} {
		w.strs(s)
	}
	writeMap(&w, t.EventCounts, w.int)
	w.int(t.Tickets)
	writeMap(&w, t.RecordsByKind, w.int)
	w.strs(p.Segments)
	return w.b, nil
}

// MarshalBinary returns the encoding of AppendBinary.
func (p *Profile) MarshalBinary() ([]byte, error) { return p.AppendBinary(nil) }

// UnmarshalBinary decodes what AppendBinary wrote, replacing all of p. It
// returns a *FieldError wrapping ErrCorrupt or ErrVersion for data it cannot
// read; it never panics.
func (p *Profile) UnmarshalBinary(b []byte) error {
	*p = Profile{}
	r := newReader(b)
	r.version(profileFormatV1)
	p.ID = r.str()
	p.Aliases = r.strs(false)
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
			info.Sources = r.strs(true)
			info.FirstSeen = r.time()
			info.LastSeen = r.time()
			info.Records = r.int()
		}
	}
	p.Attributes = readMap[string](r, func() Attribute {
		return Attribute{Value: r.value(), Source: r.str(), RecordID: r.str(), Time: r.time()}
	})
	p.Consents = consent.Resolve(r.consents())
	t := &p.Traits
	t.OrderCount = r.int()
	t.Returns = r.int()
	t.SpendByCurrency = readMap[string](r, func() CurrencySpend {
		return CurrencySpend{Orders: r.int(), Returns: r.int(), Net: r.money(), ByChannel: readMap[string](r, r.money)}
	})
	t.OrderCountByChannel = readMap[string](r, r.int)
	t.OrderCountByStore = readMap[string](r, r.int)
	t.FirstOrder = r.time()
	t.LastOrder = r.time()
	t.LastSeen = r.time()
	for _, s := range [...]*[]string{&t.Channels, &t.CategoriesBought, &t.CategoriesBrowsed, &t.Coupons} {
		*s = r.strs(true)
	}
	t.EventCounts = readMap[string](r, r.int)
	t.Tickets = r.int()
	t.RecordsByKind = readMap[Kind](r, r.int)
	p.Segments = r.strs(false)
	if err := r.done(); err != nil {
		*p = Profile{}
		return err
	}
	t.summarize()
	return nil
}
