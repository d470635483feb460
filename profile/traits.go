package profile

import (
	"slices"
	"time"
)

// Traits are computed from the payloads of a profile's records, whatever
// their kind.
//
// Orders and returns: a return (Order.Return) adds to Returns and subtracts
// its Total from spend; every other order adds to OrderCount and its Total
// to spend. Totals of different currencies are never added up: spend is kept
// per currency in SpendByCurrency, and TotalSpend, AverageOrderValue and
// SpendByChannel are in the profile's primary Currency, the currency of the
// most orders (ties: the alphabetically first). Orders without a currency
// count in OrderCount but in no spend.
type Traits struct {
	OrderCount          int                          `json:"order_count"`
	Returns             int                          `json:"returns"`
	Currency            string                       `json:"currency,omitempty"`
	TotalSpend          Money                        `json:"total_spend"`
	AverageOrderValue   Money                        `json:"average_order_value"` // TotalSpend / orders in Currency, rounded half away from zero
	SpendByChannel      Table[string, Money]         `json:"spend_by_channel,omitempty"`
	SpendByCurrency     Table[string, CurrencySpend] `json:"spend_by_currency,omitempty"`
	OrderCountByChannel Table[string, int]           `json:"order_count_by_channel,omitempty"`
	OrderCountByStore   Table[string, int]           `json:"order_count_by_store,omitempty"`
	FirstOrder          time.Time                    `json:"first_order,omitzero"`
	LastOrder           time.Time                    `json:"last_order,omitzero"`
	// LastSeen is the time of the latest order, event or ticket.
	LastSeen          time.Time          `json:"last_seen,omitzero"`
	FavouriteStore    string             `json:"favourite_store,omitempty"`    // most orders; ties: alphabetically first
	Channels          []string           `json:"channels,omitempty"`           // of orders, returns, events and tickets
	CategoriesBought  []string           `json:"categories_bought,omitempty"`  // categories of order lines, not of returns
	CategoriesBrowsed []string           `json:"categories_browsed,omitempty"` // categories of events
	Coupons           []string           `json:"coupons,omitempty"`
	EventCounts       Table[string, int] `json:"event_counts,omitempty"` // by event name
	Tickets           int                `json:"tickets"`
	RecordsByKind     Table[Kind, int]   `json:"records_by_kind,omitempty"`
}

// CurrencySpend is the spend of a profile in one currency.
type CurrencySpend struct {
	Orders    int                  `json:"orders"`
	Returns   int                  `json:"returns"`
	Net       Money                `json:"net"` // orders minus returns
	ByChannel Table[string, Money] `json:"by_channel,omitempty"`
}

func (t *Traits) apply(r *Record) {
	if r.Kind != "" {
		*t.RecordsByKind.Ref(r.Kind)++
	}
	if o := r.Order; o != nil {
		t.seen(r.Time, o.Channel)
		t.applyOrder(r.Time, o)
	}
	if e := r.Event; e != nil {
		t.seen(r.Time, e.Channel)
		if e.Name != "" {
			*t.EventCounts.Ref(e.Name)++
		}
		t.CategoriesBrowsed = addSorted(t.CategoriesBrowsed, e.Category)
	}
	if tk := r.Ticket; tk != nil {
		t.seen(r.Time, tk.Channel)
		t.Tickets++
	}
}

func (t *Traits) seen(at time.Time, channel string) {
	if at.After(t.LastSeen) {
		t.LastSeen = at
	}
	t.Channels = addSorted(t.Channels, channel)
}

func (t *Traits) applyOrder(at time.Time, o *Order) {
	sign := Money(1)
	if o.Return {
		t.Returns++
		sign = -1
	} else {
		t.OrderCount++
		if o.Channel != "" {
			*t.OrderCountByChannel.Ref(o.Channel)++
		}
		if o.Store != "" {
			*t.OrderCountByStore.Ref(o.Store)++
		}
		if t.OrderCount == 1 || at.Before(t.FirstOrder) {
			t.FirstOrder = at
		}
		if at.After(t.LastOrder) {
			t.LastOrder = at
		}
		for _, l := range o.Lines {
			t.CategoriesBought = addSorted(t.CategoriesBought, l.Category)
		}
		t.Coupons = addSorted(t.Coupons, o.Coupon)
	}
	if o.Currency != "" {
		cs := t.SpendByCurrency.Ref(o.Currency)
		if o.Return {
			cs.Returns++
		} else {
			cs.Orders++
		}
		cs.Net += sign * o.Total
		if o.Channel != "" {
			*cs.ByChannel.Ref(o.Channel) += sign * o.Total
		}
	}
	primary := t.Currency
	t.summarizeScalars()
	if t.Currency != primary {
		t.SpendByChannel = t.primaryByChannel()
	} else if o.Currency != "" && o.Currency == primary && o.Channel != "" {
		// SpendByChannel is a copy of the primary currency's ByChannel:
		// update it as that was, without copying it again.
		*t.SpendByChannel.Ref(o.Channel) += sign * o.Total
	}
}

// primaryByChannel returns a copy of the primary currency's ByChannel.
func (t *Traits) primaryByChannel() Table[string, Money] {
	cs, _ := t.SpendByCurrency.Get(t.Currency)
	return slices.Clone(cs.ByChannel)
}

// summarize recomputes the traits that are functions of other traits.
func (t *Traits) summarize() {
	t.summarizeScalars()
	t.SpendByChannel = t.primaryByChannel()
}

// summarizeScalars recomputes the traits that are functions of other traits
// but SpendByChannel. Tables are in key order, so the first of the most
// orders is the alphabetically first.
func (t *Traits) summarizeScalars() {
	t.Currency = ""
	var cs CurrencySpend
	best := -1
	for _, e := range t.SpendByCurrency {
		if e.Value.Orders > best {
			t.Currency, cs, best = e.Key, e.Value, e.Value.Orders
		}
	}
	t.TotalSpend = cs.Net
	t.AverageOrderValue = 0
	if cs.Orders > 0 {
		t.AverageOrderValue = divRound(cs.Net, Money(cs.Orders))
	}
	t.FavouriteStore = ""
	best = 0
	for _, e := range t.OrderCountByStore {
		if e.Value > best {
			t.FavouriteStore, best = e.Key, e.Value
		}
	}
}

// divRound divides, rounding half away from zero; d > 0.
func divRound(n, d Money) Money {
	q, r := n/d, n%d
	if r < 0 {
		r = -r
	}
	if 2*r >= d {
		if n < 0 {
			q--
		} else {
			q++
		}
	}
	return q
}

// RFM holds recency, frequency and monetary scores, each 1 (low) to 5 (high).
type RFM struct {
	Recency   int `json:"recency"`
	Frequency int `json:"frequency"`
	Monetary  int `json:"monetary"`
}

// RFMThresholds are the bounds between the scores, ascending: a profile
// scores 5 for recency if its last order is at most Recency[0] old, 4 if at
// most Recency[1], and so on, 1 beyond Recency[3] or without orders; it
// scores 2 for frequency with at least Frequency[0] orders, 3 with
// Frequency[1], up to 5 with Frequency[3]; monetary likewise on TotalSpend.
// A zero array means its default: DefaultRFMThresholds.
type RFMThresholds struct {
	Recency   [4]time.Duration
	Frequency [4]int
	Monetary  [4]Money
}

// DefaultRFMThresholds returns the defaults: recency 30, 90, 180 and 365
// days; frequency 2, 3, 5 and 10 orders; monetary 100, 250, 500 and 1000 in
// the primary currency.
func DefaultRFMThresholds() RFMThresholds {
	const day = 24 * time.Hour
	return RFMThresholds{
		Recency:   [4]time.Duration{30 * day, 90 * day, 180 * day, 365 * day},
		Frequency: [4]int{2, 3, 5, 10},
		Monetary:  [4]Money{100_00, 250_00, 500_00, 1000_00},
	}
}

// RFM scores the traits as of now. Scores depend on now, so profiles do not
// store them.
func (t *Traits) RFM(now time.Time, th RFMThresholds) RFM {
	def := DefaultRFMThresholds()
	if th.Recency == ([4]time.Duration{}) {
		th.Recency = def.Recency
	}
	if th.Frequency == ([4]int{}) {
		th.Frequency = def.Frequency
	}
	if th.Monetary == ([4]Money{}) {
		th.Monetary = def.Monetary
	}
	s := RFM{Recency: 1, Frequency: 1, Monetary: 1}
	if !t.LastOrder.IsZero() {
		age := now.Sub(t.LastOrder)
		for i := 3; i >= 0; i-- {
			if age <= th.Recency[i] {
				s.Recency = 5 - i
			}
		}
	}
	for i := range 4 {
		if t.OrderCount >= th.Frequency[i] {
			s.Frequency = i + 2
		}
		if t.TotalSpend >= th.Monetary[i] {
			s.Monetary = i + 2
		}
	}
	return s
}
