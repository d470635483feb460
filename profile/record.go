package profile

import (
	"strings"
	"time"

	"github.com/unifycdp/unify/consent"
	"github.com/unifycdp/unify/identity"
)

// Kind names what a record is about. The constants below are built in; hosts
// may use any other lower-case snake_case name.
type Kind string

// Built-in record kinds.
const (
	KindCustomer   Kind = "customer"   // master data: names, address, attributes
	KindOrder      Kind = "order"      // a purchase or a return
	KindEvent      Kind = "event"      // a behavioural event: page view, email open...
	KindConsent    Kind = "consent"    // consent events only
	KindTicket     Kind = "ticket"     // a customer-service case
	KindFeedback   Kind = "feedback"   // survey answers, reviews (Properties)
	KindEntry      Kind = "entry"      // competition or event entries (Properties)
	KindEnrichment Kind = "enrichment" // scores from other systems; Properties become attributes
)

// Valid reports whether k is a well-formed kind name: a lower-case letter,
// then lower-case letters, digits and underscores, at most 64 bytes.
func (k Kind) Valid() bool { return validName(string(k)) }

// Record is one fact from one source system, kept as evidence. (Source, ID)
// identifies it: a record with the same key replaces the earlier version.
//
// Empty slices and maps are nil after decoding; the payload pointers are nil
// when absent. Consents with a zero Time, empty Source or empty RecordID
// inherit the record's Time, Source and ID (see Record.Consent).
type Record struct {
	Source      string       `json:"source"`
	ID          string       `json:"id"`
	Kind        Kind         `json:"kind"`
	Time        time.Time    `json:"time"` // event time, UTC
	Identifiers []Identifier `json:"identifiers,omitempty"`

	Customer *Customer `json:"customer,omitempty"`
	Order    *Order    `json:"order,omitempty"`
	Event    *Event    `json:"event,omitempty"`
	Ticket   *Ticket   `json:"ticket,omitempty"`

	Consents   []consent.Consent `json:"consents,omitempty"`
	Properties map[string]Value  `json:"properties,omitempty"`
}

// Key returns "source/id", the record's idempotency key as text.
func (r *Record) Key() string { return r.Source + "/" + r.ID }

// Consent returns the i'th consent with the record's defaults filled in: a
// zero Time becomes r.Time, an empty Source r.Source, an empty RecordID r.ID.
func (r *Record) Consent(i int) consent.Consent {
	c := r.Consents[i]
	if c.Time.IsZero() {
		c.Time = r.Time
	}
	if c.Source == "" {
		c.Source = r.Source
	}
	if c.RecordID == "" {
		c.RecordID = r.ID
	}
	return c
}

// Identifier is an identifier as a source wrote it (Raw) and as the engine
// normalized it (Value). Value is empty when normalization rejected it, and
// Problem then says why; only identifiers with a Value link records.
//
// In JSON, "value" carries Raw (what the source wrote: the import format),
// "normalized" carries Value and "problem" Problem.
type Identifier struct {
	Type    identity.Type `json:"type"`
	Raw     string        `json:"value"`
	Value   string        `json:"normalized,omitempty"`
	Problem string        `json:"problem,omitempty"`
}

// ID returns the normalized identifier; ok is false when Value is empty.
func (id Identifier) ID() (_ identity.ID, ok bool) {
	return identity.ID{Type: id.Type, Value: id.Value}, id.Value != ""
}

// Customer is customer master data. The named fields and Attributes become
// profile attributes: first_name, last_name, birthdate, language, gender,
// address.street, address.postal_code, address.city, address.region,
// address.country, and each attribute by its key.
type Customer struct {
	FirstName  string           `json:"first_name,omitempty"`
	LastName   string           `json:"last_name,omitempty"`
	Birthdate  string           `json:"birthdate,omitempty"` // YYYY-MM-DD
	Language   string           `json:"language,omitempty"`  // BCP 47 tag, e.g. "fi" or "en-GB"
	Gender     string           `json:"gender,omitempty"`
	Address    *Address         `json:"address,omitempty"`
	Attributes map[string]Value `json:"attributes,omitempty"`
}

// Address is a postal address.
type Address struct {
	Street     string `json:"street,omitempty"`
	PostalCode string `json:"postal_code,omitempty"`
	City       string `json:"city,omitempty"`
	Region     string `json:"region,omitempty"`
	Country    string `json:"country,omitempty"` // ISO 3166-1 alpha-2
}

// IsZero reports whether every field of a is empty.
func (a *Address) IsZero() bool { return a == nil || *a == Address{} }

// Order is a purchase, or with Return set a return: a return's amounts are
// positive and count against spend.
type Order struct {
	OrderID  string      `json:"order_id,omitempty"`
	Store    string      `json:"store,omitempty"`
	Channel  string      `json:"channel,omitempty"` // "web", "pos", "app", "phone", ...
	Currency string      `json:"currency,omitempty"`
	Total    Money       `json:"total"`
	Discount Money       `json:"discount,omitempty"`
	Coupon   string      `json:"coupon,omitempty"`
	Return   bool        `json:"return,omitempty"`
	Lines    []OrderLine `json:"lines,omitempty"`
}

// OrderLine is one line of an order.
type OrderLine struct {
	SKU       string `json:"sku,omitempty"`
	Name      string `json:"name,omitempty"`
	Category  string `json:"category,omitempty"`
	Quantity  int    `json:"quantity"`
	UnitPrice Money  `json:"unit_price,omitempty"`
	Total     Money  `json:"total,omitempty"`
}

// Event is a behavioural event. Name is one of the conventional names
// ("page_view", "product_view", "search", "add_to_cart", "app_open",
// "email_open", "email_click", "sms_delivered", "campaign_click") or any other.
type Event struct {
	Name     string `json:"name"`
	Channel  string `json:"channel,omitempty"`
	URL      string `json:"url,omitempty"`
	Category string `json:"category,omitempty"`
	Query    string `json:"query,omitempty"`
	Campaign string `json:"campaign,omitempty"`
}

// Ticket is a customer-service case.
type Ticket struct {
	Reason   string `json:"reason,omitempty"`
	Priority string `json:"priority,omitempty"`
	Channel  string `json:"channel,omitempty"`
	Status   string `json:"status,omitempty"`
}

// Compare orders records canonically: by Time, then Source, then ID. It
// returns -1, 0 or +1. Two records compare equal only when they have the
// same key and time.
func Compare(a, b *Record) int {
	if c := a.Time.Compare(b.Time); c != 0 {
		return c
	}
	if c := strings.Compare(a.Source, b.Source); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// CanonicalLess reports whether a sorts before b in canonical order.
func CanonicalLess(a, b *Record) bool { return Compare(a, b) < 0 }

// validName reports whether s is lower-case snake_case of at most 64 bytes:
// kinds follow the naming rule of consent purposes.
func validName(s string) bool { return consent.Purpose(s).Valid() }
