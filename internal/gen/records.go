package gen

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/unifycdp/unify/consent"
	"github.com/unifycdp/unify/identity"
	"github.com/unifycdp/unify/profile"
)

// builder makes the records of one person.
type builder struct {
	g    *Generator
	p    *person
	rng  *rand.Rand
	tag  string // the person's part of record IDs
	seq  int
	left int
	recs []*profile.Record

	// Slabs the person's records are cut from: one allocation each
	// instead of one per record.
	slab   []profile.Record
	ids    []profile.Identifier
	events []profile.Event
}

// idsPerRecord is the identifier capacity reserved for each record.
const idsPerRecord = 3

// records returns the records of person i in canonical order.
func (g *Generator) records(i int) []*profile.Record {
	p := g.person(i)
	b := &builder{g: g, p: p, rng: p.rng, tag: strconv.FormatUint(uint64(i), 36), left: p.head.n}
	n := p.head.n
	b.recs = make([]*profile.Record, 0, n)
	b.slab = make([]profile.Record, n)
	b.ids = make([]profile.Identifier, idsPerRecord*n)
	b.fixed()
	for b.left > 0 {
		b.session()
	}
	slices.SortFunc(b.recs, profile.Compare)
	b.bridge()
	return b.recs
}

// fixed adds the records every person of the kind has: sign-ups, the card
// replacement and the consent withdrawal, as far as the record budget goes.
func (b *builder) fixed() {
	p := b.p
	switch {
	case p.customerID != "":
		b.webSignup(p.join)
		if p.head.card && b.left > 1 {
			b.posSignup(p.at(b.rng.Float64()*0.3), p.cards[0], false)
		}
	case p.head.card:
		b.posSignup(p.join, p.cards[0], false)
	}
	if p.head.replaced {
		b.posSignup(p.replacedAt, p.cards[1], true)
	}
	if !p.withdrawAt.IsZero() && b.left > 1 {
		b.withdrawal(p.withdrawAt)
	}
}

// session adds one visit: a few records close in time.
func (b *builder) session() {
	p := b.p
	t := p.at(b.rng.Float64())
	if h := (t.Hour() + 2) % 24; h < 7 { // few visit at night
		t = t.Add(time.Duration(7+b.rng.IntN(14)) * time.Hour)
	}
	web, order, app, pos, mail, service := 10, 0, 0, 0, 0, 2
	if p.webUser {
		web = 35
	}
	if p.webOrders {
		order = 9
	}
	if len(p.devices) > 0 {
		app = 15
	}
	if p.storeUser {
		pos = 20
		if !p.webUser {
			pos = 40
		}
	}
	if p.emailConsent && (p.withdrawAt.IsZero() || t.Before(p.withdrawAt)) {
		mail = 10
	}
	switch weighted(b.rng, web, order, app, pos, mail, service) {
	case 0:
		b.webSession(t, false)
	case 1:
		b.webSession(t, true)
	case 2:
		b.appSession(t)
	case 3:
		b.posOrder(b.storeHours(t))
	case 4:
		b.emailSession(t)
	default:
		b.ticket(t)
	}
}

// record starts a record of person's next sequence number, or returns nil
// when the person's budget is spent. IDs are prefix + person + "-" + seq.
func (b *builder) record(source, prefix string, kind profile.Kind, t time.Time) *profile.Record {
	if b.left <= 0 {
		return nil
	}
	b.left--
	b.seq++
	id := make([]byte, 0, 16)
	id = append(id, prefix...)
	id = append(id, b.tag...)
	id = append(id, '-')
	id = strconv.AppendInt(id, int64(b.seq), 10)
	k := len(b.recs)
	r := &b.slab[k]
	*r = profile.Record{Source: source, ID: string(id), Kind: kind, Time: b.clamp(t),
		Identifiers: b.ids[idsPerRecord*k : idsPerRecord*k : idsPerRecord*(k+1)]}
	b.recs = append(b.recs, r)
	return r
}

// event returns a new event from the person's slab.
func (b *builder) event(name, channel string) *profile.Event {
	if len(b.events) == 0 {
		b.events = make([]profile.Event, min(b.left+1, 64))
	}
	e := &b.events[0]
	b.events = b.events[1:]
	e.Name, e.Channel = name, channel
	return e
}

// clamp keeps t within [Start, Start+Span), rounded to the millisecond.
func (b *builder) clamp(t time.Time) time.Time {
	g := b.g
	if t.Before(g.opts.Start) {
		t = g.opts.Start
	}
	if !t.Before(g.end) {
		t = g.end.Add(-time.Millisecond)
	}
	return t.Truncate(time.Millisecond)
}

// storeHours moves t into shop opening hours, 10-20 Finnish time (UTC+2
// or +3; the hours are approximate).
func (b *builder) storeHours(t time.Time) time.Time {
	if h := (t.Hour() + 2) % 24; h >= 10 && h < 20 {
		return t
	}
	d := t.Truncate(24 * time.Hour)
	return d.Add(8*time.Hour + time.Duration(b.rng.Float64()*float64(10*time.Hour)))
}

func add(r *profile.Record, t identity.Type, raw string) {
	r.Identifiers = append(r.Identifiers, profile.Identifier{Type: t, Raw: raw})
}

// after returns a time a little after t: the next step of a session.
func (b *builder) after(t time.Time) time.Time {
	return t.Add(time.Duration(15+b.rng.IntN(300)) * time.Second)
}

// email returns how the person types mailbox addr this time.
func (b *builder) email(addr string) string {
	u := b.rng.Float64()
	switch {
	case u < 0.72:
		return addr
	case u < 0.85:
		return capitalize(addr)
	case u < 0.88:
		return strings.ToUpper(addr)
	case u < 0.96 && b.p.gmailAlt != "" && addr == b.p.gmailBase:
		return b.p.gmailAlt
	case u < 0.98:
		return " " + addr + " "
	}
	return addr
}

// capitalize writes "anna.virtanen@gmail.com" as "Anna.Virtanen@Gmail.com".
func capitalize(s string) string {
	out := []byte(s)
	up := true
	for k, c := range out {
		if up && 'a' <= c && c <= 'z' {
			out[k] = c - 'a' + 'A'
		}
		up = c == '.' || c == '@' || c == '_' || c == '-'
	}
	return string(out)
}

// phone returns how a cashier or a web form writes p this time.
func (b *builder) phone(p phone) string {
	d := p.digits
	if p.swedish { // Finnish systems get Swedish numbers in international form
		switch b.rng.IntN(4) {
		case 0:
			return "+46 " + d[:2] + " " + d[2:5] + " " + d[5:7] + " " + d[7:]
		case 1:
			return "+46" + d
		case 2:
			return "0046" + d
		}
		return "+46 (0)" + d[:2] + "-" + d[2:5] + " " + d[5:7] + " " + d[7:]
	}
	switch weighted(b.rng, 25, 25, 12, 5, 15, 5, 8, 5) {
	case 0:
		return "0" + d[:2] + " " + d[2:5] + " " + d[5:]
	case 1:
		return "0" + d
	case 2:
		return "+358 " + d[:2] + " " + d[2:5] + " " + d[5:]
	case 3:
		return "00358" + d
	case 4:
		return "+358" + d
	case 5:
		return "(0" + d[:2] + ") " + d[2:5] + " " + d[5:]
	case 6:
		return "0" + d[:2] + "-" + d[2:5] + " " + d[5:]
	}
	return "0" + d[:2] + "-" + d[2:]
}

// placeholder adds, at PlaceholderRate, a placeholder e-mail or phone.
func (b *builder) placeholder(r *profile.Record) {
	if b.rng.Float64() >= b.g.rate.placeholder {
		return
	}
	if b.rng.IntN(2) == 0 {
		add(r, identity.TypeEmail, placeholderEmails[b.rng.IntN(len(placeholderEmails))])
	} else {
		add(r, identity.TypePhone, placeholderPhones[b.rng.IntN(len(placeholderPhones))])
	}
}

// consents returns the marketing consents given at a sign-up.
func (b *builder) consents(r *profile.Record, withEmail bool) []consent.Consent {
	var cs []consent.Consent
	grant := func(p consent.Purpose, scope *identity.ID) {
		cs = append(cs, consent.Consent{Purpose: p, Status: consent.Granted, Time: r.Time, Source: r.Source, RecordID: r.ID, Scope: scope})
	}
	if b.p.emailConsent && withEmail {
		grant(consent.EmailMarketing, nil)
	}
	if b.p.smsConsent {
		grant(consent.SMSMarketing, &identity.ID{Type: identity.TypePhone, Value: b.p.phones[0].e164()})
	}
	return cs
}

// customer returns the person's master data as a source holds it.
func (b *builder) customer(upper bool, full bool) *profile.Customer {
	p := b.p
	c := &profile.Customer{FirstName: p.first.name, LastName: p.last.name, Language: p.lang}
	if upper {
		c.FirstName, c.LastName = strings.ToUpper(c.FirstName), strings.ToUpper(c.LastName)
	}
	if full || b.rng.Float64() < 0.8 {
		c.Birthdate = p.birth
	}
	if full || b.rng.Float64() < 0.5 {
		c.Gender = "male"
		if p.first.female {
			c.Gender = "female"
		}
	}
	a := p.addr
	if !full && b.rng.Float64() < 0.3 {
		a.Street, a.Region = "", ""
	}
	c.Address = &a
	return c
}

// webSignup is the webstore account: customer number, e-mail, maybe phone.
func (b *builder) webSignup(t time.Time) {
	p := b.p
	r := b.record(SourceWebstore, "C", profile.KindCustomer, t)
	r.ID = "C" + p.customerID
	add(r, identity.TypeCustomerID, p.customerID)
	add(r, identity.TypeEmail, b.email(p.emails[0]))
	if len(p.phones) > 0 && b.rng.Float64() < 0.6 {
		add(r, identity.TypePhone, b.phone(p.phones[0]))
	}
	add(r, identity.TypeCookie, p.cookieAt(t))
	r.Customer = b.customer(false, true)
	r.Customer.Attributes = map[string]profile.Value{"account_type": profile.StringValue("registered")}
	r.Consents = b.consents(r, true)
}

// posSignup is a loyalty card sign-up at a till, or with replacement the
// new card of a person who lost theirs (the old card is not on it: only
// the e-mail and phone tie the new card to the person).
func (b *builder) posSignup(t time.Time, card string, replacement bool) {
	p := b.p
	r := b.record(SourcePOS, "L", profile.KindCustomer, b.storeHours(t))
	if r == nil {
		return
	}
	r.ID = "L" + card
	add(r, identity.TypeLoyaltyCard, card)
	if len(p.phones) > 0 && (replacement || b.rng.Float64() < 0.9) {
		add(r, identity.TypePhone, b.phone(p.phones[0]))
	}
	withEmail := replacement || len(p.phones) == 0 || b.rng.Float64() < 0.75
	if withEmail {
		add(r, identity.TypeEmail, b.email(p.emails[0]))
	}
	b.placeholder(r)
	r.Customer = b.customer(b.rng.Float64() < 0.1, false)
	store := p.store
	if b.rng.Float64() < 0.15 {
		store = b.rng.IntN(len(stores))
	}
	attrs := map[string]profile.Value{"signup_store": profile.StringValue(stores[store])}
	if replacement {
		attrs["card_status"] = profile.StringValue("replacement")
	} else {
		r.Consents = b.consents(r, withEmail)
	}
	r.Customer.Attributes = attrs
}

// withdrawal is an unsubscribe in the webstore's preference centre.
func (b *builder) withdrawal(t time.Time) {
	p := b.p
	r := b.record(SourceWebstore, "U", profile.KindConsent, t)
	if p.customerID != "" {
		add(r, identity.TypeCustomerID, p.customerID)
	}
	add(r, identity.TypeEmail, p.emails[0])
	w := func(pur consent.Purpose, scope *identity.ID) {
		r.Consents = append(r.Consents, consent.Consent{Purpose: pur, Status: consent.Withdrawn, Time: r.Time, Source: r.Source, RecordID: r.ID, Scope: scope})
	}
	if p.emailConsent {
		w(consent.EmailMarketing, nil)
	}
	if p.smsConsent && (!p.emailConsent || b.rng.IntN(2) == 0) {
		w(consent.SMSMarketing, &identity.ID{Type: identity.TypePhone, Value: p.phones[0].e164()})
	}
}

// product picks a product, mostly from the person's favourite categories.
func (b *builder) product() product {
	cat := b.rng.IntN(len(categories))
	if b.rng.Float64() < 0.6 {
		cat = b.p.favCats[b.rng.IntN(len(b.p.favCats))]
	}
	list := byCategory[cat]
	return catalogue[list[b.rng.IntN(len(list))]]
}

const shopURL = "https://www.kotikauppa.fi"

// visitEvent adds an event of a web or app visit, by the anonymous
// identifier and, when logged in, the account's e-mail. The caller names
// the event. It returns nil when the person's budget is spent.
func (b *builder) visitEvent(source, prefix string, t time.Time, anon identity.Type, id string, loggedIn bool) *profile.Event {
	r := b.record(source, prefix, profile.KindEvent, t)
	if r == nil {
		return nil
	}
	add(r, anon, id)
	if loggedIn {
		add(r, identity.TypeEmail, b.p.emails[0])
	}
	r.Event = b.event("", source)
	return r.Event
}

// webSession is a visit to the webstore, with an order at the end when
// order is set.
func (b *builder) webSession(t time.Time, order bool) {
	p := b.p
	cookie := p.cookieAt(t)
	loggedIn := p.customerID != "" && b.rng.Float64() < 0.4
	n := 1 + b.rng.IntN(4)
	if order {
		n = b.rng.IntN(4)
	}
	for k := range n {
		e := b.visitEvent(SourceWeb, "E", t, identity.TypeCookie, cookie, loggedIn)
		if e == nil {
			return
		}
		pr := b.product()
		switch u := b.rng.IntN(10); {
		case k == 0 && u < 4:
			e.Name, e.URL = "page_view", webPages[b.rng.IntN(len(webPages))]
		case k == 0 && u < 6:
			q := searches[pr.cat]
			e.Name, e.Query = "search", q[b.rng.IntN(len(q))]
		case u < 8 || k == 0:
			e.Name, e.Category, e.URL = "product_view", categories[pr.cat], pr.url
		default:
			e.Name, e.Category, e.URL = "add_to_cart", categories[pr.cat], pr.url
		}
		t = b.after(t)
	}
	if order {
		b.webOrder(t, cookie, loggedIn)
	}
}

// webOrder is a webstore checkout: by an account holder with the customer
// number, or as a guest with a typed e-mail address.
func (b *builder) webOrder(t time.Time, cookie string, loggedIn bool) {
	p := b.p
	r := b.record(SourceWebstore, "W", profile.KindOrder, t)
	if r == nil {
		return
	}
	if loggedIn || p.customerID != "" && b.rng.Float64() < 0.7 {
		add(r, identity.TypeCustomerID, p.customerID)
		if b.rng.IntN(2) == 0 {
			add(r, identity.TypeEmail, p.emails[0])
		}
	} else {
		add(r, identity.TypeEmail, b.email(p.emails[b.rng.IntN(len(p.emails))]))
	}
	add(r, identity.TypeCookie, cookie)
	r.Order = b.order(r.ID, "verkkokauppa", "web", 0.12)
}

// order fills an order's lines and amounts.
func (b *builder) order(id, store, channel string, couponRate float64) *profile.Order {
	o := &profile.Order{OrderID: id, Store: store, Channel: channel, Currency: "EUR"}
	n := 1 + weighted(b.rng, 45, 25, 15, 10, 5)
	o.Lines = make([]profile.OrderLine, n)
	for k := range o.Lines {
		pr := b.product()
		q := 1 + weighted(b.rng, 80, 15, 3, 2)
		price := pr.price
		if b.rng.Float64() < 0.15 { // on sale: -30 %, rounded to x.90
			price = (price*7/10)/100*100 + 90
		}
		o.Lines[k] = profile.OrderLine{SKU: pr.sku, Name: pr.name, Category: categories[pr.cat], Quantity: q, UnitPrice: price, Total: price * profile.Money(q)}
		o.Total += o.Lines[k].Total
	}
	if b.rng.Float64() < couponRate {
		c := coupons[b.rng.IntN(len(coupons))]
		o.Coupon = c.code
		o.Discount = o.Total * profile.Money(c.pct) / 100
		o.Total -= o.Discount
	}
	return o
}

// posOrder is a purchase, or now and then a return, at a till.
func (b *builder) posOrder(t time.Time) {
	p := b.p
	r := b.record(SourcePOS, "R", profile.KindOrder, t)
	if r == nil {
		return
	}
	if p.head.card && b.rng.Float64() < 0.92 {
		add(r, identity.TypeLoyaltyCard, p.cardAt(t))
	}
	if len(p.phones) > 0 && (len(r.Identifiers) == 0 || b.rng.Float64() < 0.15) {
		add(r, identity.TypePhone, b.phone(p.phones[b.rng.IntN(len(p.phones))]))
	}
	if len(r.Identifiers) == 0 { // an e-receipt
		add(r, identity.TypeEmail, b.email(p.emails[0]))
	}
	b.placeholder(r)
	store := p.store
	if b.rng.Float64() < 0.2 {
		store = b.rng.IntN(len(stores))
	}
	ret := b.rng.Float64() < 0.03
	coupon := 0.05
	if ret {
		coupon = 0
	}
	r.Order = b.order(r.ID, stores[store], "pos", coupon)
	if ret {
		r.Order.Return = true
		r.Order.Lines = r.Order.Lines[:1]
		r.Order.Total = r.Order.Lines[0].Total
	}
}

// appSession is a visit in the mobile app.
func (b *builder) appSession(t time.Time) {
	p := b.p
	dev := p.deviceAt(t)
	loggedIn := b.rng.Float64() < 0.5
	n := 1 + b.rng.IntN(4)
	for k := range n {
		e := b.visitEvent(SourceApp, "A", t, identity.TypeDeviceID, dev, loggedIn)
		if e == nil {
			return
		}
		pr := b.product()
		switch {
		case k == 0:
			e.Name = "app_open"
		case b.rng.IntN(4) == 0:
			q := searches[pr.cat]
			e.Name, e.Query = "search", q[b.rng.IntN(len(q))]
		case b.rng.IntN(3) == 0:
			e.Name, e.Category = "add_to_cart", categories[pr.cat]
		default:
			e.Name, e.Category = "product_view", categories[pr.cat]
		}
		t = b.after(t)
	}
}

// emailSession is a newsletter opened, maybe clicked through to the shop.
func (b *builder) emailSession(t time.Time) {
	p := b.p
	camp := campaigns[t.Month()-1] + "-" + strconv.Itoa(t.Year())
	mailbox := p.emails[0]
	r := b.record(SourceWeb, "E", profile.KindEvent, t)
	add(r, identity.TypeEmail, mailbox)
	r.Event = b.event("email_open", "email")
	r.Event.Campaign = camp
	if b.rng.Float64() >= 0.45 {
		return
	}
	t = b.after(t)
	if r = b.record(SourceWeb, "E", profile.KindEvent, t); r == nil {
		return
	}
	add(r, identity.TypeEmail, mailbox)
	r.Event = b.event("email_click", "email")
	r.Event.Campaign = camp
	if b.rng.Float64() >= 0.7 {
		return
	}
	t = t.Add(2 * time.Second)
	if r = b.record(SourceWeb, "E", profile.KindEvent, t); r == nil {
		return
	}
	add(r, identity.TypeCookie, p.cookieAt(t))
	r.Event = b.event("campaign_click", "web")
	r.Event.Campaign = camp
	r.Event.URL = shopURL + "/kampanjat?utm_source=newsletter&utm_campaign=" + camp
}

// ticket is a customer-service case, by phone or e-mail.
func (b *builder) ticket(t time.Time) {
	p := b.p
	r := b.record(SourceService, "T", profile.KindTicket, b.storeHours(t))
	reason := ticketReasons[b.rng.IntN(len(ticketReasons))]
	tk := &profile.Ticket{Reason: reason, Priority: [...]string{"low", "normal", "normal", "high"}[b.rng.IntN(4)], Status: "closed"}
	if b.rng.Float64() < 0.1 {
		tk.Status = "open"
	}
	if len(p.phones) > 0 && b.rng.Float64() < 0.7 {
		tk.Channel = "phone"
		add(r, identity.TypePhone, b.phone(p.phones[0]))
	} else {
		tk.Channel = [...]string{"email", "chat"}[b.rng.IntN(2)]
	}
	if tk.Channel != "phone" || b.rng.Float64() < 0.4 {
		add(r, identity.TypeEmail, b.email(p.emails[b.rng.IntN(len(p.emails))]))
	}
	if reason == "loyalty_card" && p.head.card {
		add(r, identity.TypeLoyaltyCard, p.cardAt(r.Time))
	}
	b.placeholder(r)
	r.Ticket = tk
}
