package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/unifycdp/unify/consent"
	"github.com/unifycdp/unify/identity"
	"github.com/unifycdp/unify/profile"
)

// Sources of the records this service makes.
const (
	sourceWeb      = "web"      // behavioural events
	sourceWebstore = "webstore" // orders and customer accounts
)

// maxKey caps the length in bytes of what the engine keeps in its keys:
// the id and order_id of a request, and a full record's source, id and
// identifier types. (The store cannot hold longer keys, and the engine
// fails on them rather than refusing the record.)
const maxKey = 256

// checkKey refuses a value of field longer than maxKey.
func checkKey(field, v string) error {
	if len(v) > maxKey {
		return badRequest(field, "%s: longer than %d bytes", field, maxKey)
	}
	return nil
}

// eventRequest is the body of POST /events.
type eventRequest struct {
	ID         string `json:"id"`
	Cookie     string `json:"cookie"`
	CustomerID string `json:"customer_id"`
	Email      string `json:"email"`
	Name       string `json:"name"`
	Category   string `json:"category"`
	URL        string `json:"url"`
	Query      string `json:"query"`
	Campaign   string `json:"campaign"`
	Time       string `json:"time"`
}

// orderRequest is the body of POST /orders.
type orderRequest struct {
	OrderID    string          `json:"order_id"`
	CustomerID string          `json:"customer_id"`
	Email      string          `json:"email"`
	Phone      string          `json:"phone"`
	Cookie     string          `json:"cookie"`
	Time       string          `json:"time"`
	Currency   string          `json:"currency"`
	Total      json.RawMessage `json:"total"`
	Discount   json.RawMessage `json:"discount"`
	Coupon     string          `json:"coupon"`
	Lines      []struct {
		SKU       string          `json:"sku"`
		Name      string          `json:"name"`
		Category  string          `json:"category"`
		Quantity  int             `json:"quantity"`
		UnitPrice json.RawMessage `json:"unit_price"`
		Total     json.RawMessage `json:"total"`
	} `json:"lines"`
	Consents map[string]bool `json:"consents"`
}

// customerRequest is the body of POST /customers.
type customerRequest struct {
	ID          string           `json:"id"`
	CustomerID  string           `json:"customer_id"`
	Email       string           `json:"email"`
	Phone       string           `json:"phone"`
	LoyaltyCard string           `json:"loyalty_card"`
	Cookie      string           `json:"cookie"`
	FirstName   string           `json:"first_name"`
	LastName    string           `json:"last_name"`
	Birthdate   string           `json:"birthdate"`
	Language    string           `json:"language"`
	Address     *profile.Address `json:"address"`
	Consents    map[string]bool  `json:"consents"`
	Time        string           `json:"time"`
}

func (s *server) eventRecord(body []byte) (*profile.Record, error) {
	var q eventRequest
	if err := decodeBody(body, &q); err != nil {
		return nil, err
	}
	if strings.TrimSpace(q.Name) == "" {
		return nil, badRequest("name", "name is required (product_view, page_view, search, add_to_cart, ...)")
	}
	if err := checkKey("id", q.ID); err != nil {
		return nil, err
	}
	t, err := s.recordTime(&q.Time)
	if err != nil {
		return nil, err
	}
	ids, err := s.identifiers("at least one of cookie, customer_id and email is required",
		idField{"cookie", identity.TypeCookie, q.Cookie},
		idField{"customer_id", identity.TypeCustomerID, q.CustomerID},
		idField{"email", identity.TypeEmail, q.Email})
	if err != nil {
		return nil, err
	}
	return &profile.Record{
		Source: sourceWeb, ID: "ev-" + recordID(q.ID, q), Kind: profile.KindEvent, Time: t,
		Identifiers: ids,
		Event: &profile.Event{Name: q.Name, Channel: "web", URL: q.URL, Category: q.Category,
			Query: q.Query, Campaign: q.Campaign},
	}, nil
}

func (s *server) orderRecord(body []byte) (*profile.Record, error) {
	var q orderRequest
	if err := decodeBody(body, &q); err != nil {
		return nil, err
	}
	if strings.TrimSpace(q.OrderID) == "" {
		return nil, badRequest("order_id", "order_id is required")
	}
	if err := checkKey("order_id", q.OrderID); err != nil {
		return nil, err
	}
	t, err := s.recordTime(&q.Time)
	if err != nil {
		return nil, err
	}
	if q.CustomerID == "" && q.Email == "" {
		return nil, badRequest("email", "a customer_id, or an email for a guest order, is required")
	}
	ids, err := s.identifiers("",
		idField{"customer_id", identity.TypeCustomerID, q.CustomerID},
		idField{"email", identity.TypeEmail, q.Email},
		idField{"phone", identity.TypePhone, q.Phone},
		idField{"cookie", identity.TypeCookie, q.Cookie})
	if err != nil {
		return nil, err
	}
	o := &profile.Order{OrderID: q.OrderID, Store: "webstore", Channel: "web",
		Currency: strings.ToUpper(q.Currency), Coupon: q.Coupon}
	if o.Currency == "" {
		o.Currency = "EUR"
	}
	if len(o.Currency) != 3 || strings.Trim(o.Currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		return nil, badRequest("currency", "currency must be an ISO 4217 code like EUR")
	}
	// The sums are checked: amounts are int64 cents, and a total that
	// overflows would be stored wrapped around.
	var sum profile.Money
	sumOK := true
	for i, l := range q.Lines {
		f := "lines[" + strconv.Itoa(i) + "]"
		if l.Quantity < 0 {
			return nil, badRequest(f+".quantity", "quantity must not be negative")
		}
		line := profile.OrderLine{SKU: l.SKU, Name: l.Name, Category: l.Category, Quantity: l.Quantity}
		if line.UnitPrice, err = money(f+".unit_price", l.UnitPrice); err != nil {
			return nil, err
		}
		if l.Total == nil {
			line.Total = line.UnitPrice * profile.Money(l.Quantity)
			if l.Quantity != 0 && line.Total/profile.Money(l.Quantity) != line.UnitPrice {
				return nil, badRequest(f+".quantity", "%s: quantity × unit_price is out of range", f)
			}
		} else if line.Total, err = money(f+".total", l.Total); err != nil {
			return nil, err
		}
		var ok bool
		sum, ok = addMoney(sum, line.Total)
		sumOK = sumOK && ok
		o.Lines = append(o.Lines, line)
	}
	if o.Discount, err = money("discount", q.Discount); err != nil {
		return nil, err
	}
	if q.Total == nil {
		var ok bool
		o.Total, ok = addMoney(sum, -o.Discount)
		if !ok || !sumOK || o.Discount == math.MinInt64 {
			return nil, badRequest("total", "total: the sum of the lines less the discount is out of range")
		}
	} else if o.Total, err = money("total", q.Total); err != nil {
		return nil, err
	}
	cs, err := consents(q.Consents)
	if err != nil {
		return nil, err
	}
	return &profile.Record{
		Source: sourceWebstore, ID: "order-" + q.OrderID, Kind: profile.KindOrder, Time: t,
		Identifiers: ids, Order: o, Consents: cs,
	}, nil
}

func (s *server) customerRecord(body []byte) (*profile.Record, error) {
	var q customerRequest
	if err := decodeBody(body, &q); err != nil {
		return nil, err
	}
	if err := checkKey("id", q.ID); err != nil {
		return nil, err
	}
	t, err := s.recordTime(&q.Time)
	if err != nil {
		return nil, err
	}
	ids, err := s.identifiers("at least one identifier is required: customer_id, email, phone, loyalty_card or cookie",
		idField{"customer_id", identity.TypeCustomerID, q.CustomerID},
		idField{"email", identity.TypeEmail, q.Email},
		idField{"phone", identity.TypePhone, q.Phone},
		idField{"loyalty_card", identity.TypeLoyaltyCard, q.LoyaltyCard},
		idField{"cookie", identity.TypeCookie, q.Cookie})
	if err != nil {
		return nil, err
	}
	if q.Birthdate != "" {
		if _, err := time.Parse(time.DateOnly, q.Birthdate); err != nil {
			return nil, badRequest("birthdate", "birthdate must be a date like 1988-04-12")
		}
	}
	cs, err := consents(q.Consents)
	if err != nil {
		return nil, err
	}
	return &profile.Record{
		Source: sourceWebstore, ID: "customer-" + recordID(q.ID, q), Kind: profile.KindCustomer, Time: t,
		Identifiers: ids,
		Customer: &profile.Customer{FirstName: q.FirstName, LastName: q.LastName, Birthdate: q.Birthdate,
			Language: q.Language, Address: q.Address},
		Consents: cs,
	}, nil
}

// recordTime parses an RFC 3339 time, or fills *s with now when it is
// empty (so that recordID sees the time).
func (s *server) recordTime(v *string) (time.Time, error) {
	if *v == "" {
		t := s.now().UTC()
		*v = t.Format(time.RFC3339Nano)
		return t, nil
	}
	t, err := time.Parse(time.RFC3339Nano, *v)
	if err != nil {
		return time.Time{}, badRequest("time", "time must be RFC 3339, like 2026-03-02T09:00:00Z")
	}
	return t.UTC(), nil
}

type idField struct {
	field string
	typ   identity.Type
	value string
}

// identifiers returns the non-empty identifiers among fs, refusing one that
// does not normalize (the engine would keep the record and drop it), and,
// when missing is not "", a request without any.
func (s *server) identifiers(missing string, fs ...idField) ([]profile.Identifier, error) {
	var out []profile.Identifier
	for _, f := range fs {
		if strings.TrimSpace(f.value) == "" {
			continue
		}
		if _, err := s.eng.NormalizeID(identity.ID{Type: f.typ, Value: f.value}); err != nil {
			return nil, badRequest(f.field, "%s: %v", f.field, err)
		}
		out = append(out, profile.Identifier{Type: f.typ, Raw: f.value})
	}
	if len(out) == 0 && missing != "" {
		return nil, badRequest(fs[0].field, "%s", missing)
	}
	return out, nil
}

// addMoney returns a+b, and false when the sum overflows.
func addMoney(a, b profile.Money) (profile.Money, bool) {
	s := a + b
	return s, (b >= 0) == (s >= a)
}

// money parses an amount written as a JSON number or string; absent is 0.
func money(field string, raw json.RawMessage) (profile.Money, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	s := string(raw)
	if s[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, badRequest(field, "%s: not a string", field)
		}
	}
	m, err := profile.ParseMoney(strings.TrimSpace(s))
	if err != nil {
		return 0, badRequest(field, "%s: want an amount like 59.90: %v", field, err)
	}
	return m, nil
}

// consents turns {"purpose": granted} into consent events in purpose order;
// their time, source and record are the record's.
func consents(m map[string]bool) ([]consent.Consent, error) {
	var out []consent.Consent
	for _, p := range slices.Sorted(maps.Keys(m)) {
		if !consent.Purpose(p).Valid() {
			return nil, badRequest("consents."+p, "not a purpose name (email_marketing, sms_marketing, push, profiling, ...)")
		}
		st := consent.Withdrawn
		if m[p] {
			st = consent.Granted
		}
		out = append(out, consent.Consent{Purpose: consent.Purpose(p), Status: st})
	}
	return out, nil
}

// recordID returns id, or one derived from the request's content (with its
// time filled in), so that a retried request makes the same record.
func recordID(id string, req any) string {
	if id != "" {
		return id
	}
	b, err := json.Marshal(req)
	if err != nil {
		panic(fmt.Sprintf("webstore: encode request: %v", err))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:12])
}
