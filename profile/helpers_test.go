package profile

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/unifycdp/unify/consent"
	"github.com/unifycdp/unify/identity"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// loadRecords reads testdata/records.jsonl.
func loadRecords(t testing.TB) []*Record {
	t.Helper()
	f, err := os.Open("testdata/records.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rs []*Record
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		r, err := DecodeJSON(sc.Bytes())
		if err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
		if err := r.Validate(); err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
		rs = append(rs, r)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rs
}

// randomRecords draws n valid records with distinct keys and many
// collisions of time, source, identifiers and values, to exercise the
// tie-breaks.
func randomRecords(rng *rand.Rand, n int) []*Record {
	pick := func(s ...string) string { return s[rng.IntN(len(s))] }
	rs := make([]*Record, n)
	for i := range rs {
		r := &Record{
			Source: pick("crm", "webstore", "pos"),
			ID:     fmt.Sprint(i),
			Time:   t0.Add(time.Duration(rng.IntN(5)) * time.Hour),
		}
		for range 1 + rng.IntN(3) {
			typ := identity.Type(pick("email", "phone", "cookie"))
			v := pick("x1", "x2", "x3")
			id := Identifier{Type: typ, Raw: " " + v, Value: v}
			if rng.IntN(6) == 0 {
				id.Value, id.Problem = "", "rejected"
			}
			r.Identifiers = append(r.Identifiers, id)
		}
		switch rng.IntN(6) {
		case 0:
			r.Kind = KindCustomer
			r.Customer = &Customer{FirstName: pick("", "Ann", "Bo"), LastName: pick("", "Lee"), Language: pick("", "fi", "sv")}
			if rng.IntN(2) == 0 {
				r.Customer.Address = &Address{Street: pick("", "Main 1", "Side 2"), City: pick("", "Turku", "Oulu")}
			}
			if rng.IntN(2) == 0 {
				r.Customer.Attributes = map[string]Value{"tier": StringValue(pick("", "gold", "silver")), "vip": BoolValue(rng.IntN(2) == 0)}
			}
		case 1:
			r.Kind = KindOrder
			o := &Order{
				Store: pick("", "s1", "s2", "s3"), Channel: pick("web", "pos", "app"),
				Currency: pick("EUR", "EUR", "SEK", ""), Total: Money(rng.IntN(10000)),
				Coupon: pick("", "", "C1", "C2"), Return: rng.IntN(5) == 0,
			}
			for range rng.IntN(3) {
				o.Lines = append(o.Lines, OrderLine{SKU: "k", Category: pick("", "shoes", "bags"), Quantity: 1 + rng.IntN(3), UnitPrice: 100, Total: 100})
			}
			r.Order = o
		case 2:
			r.Kind = KindEvent
			r.Event = &Event{Name: pick("page_view", "search", "email_open"), Channel: pick("", "web", "email"), Category: pick("", "shoes", "hats")}
		case 3:
			r.Kind = KindTicket
			r.Ticket = &Ticket{Reason: "x", Channel: pick("", "phone", "chat")}
		case 4:
			r.Kind = KindEnrichment
			r.Properties = map[string]Value{"score": NumberValue(float64(rng.IntN(3))), "tier": StringValue(pick("", "bronze"))}
		case 5:
			r.Kind = KindConsent
		}
		if r.Kind == KindConsent || rng.IntN(4) == 0 {
			c := consent.Consent{Purpose: consent.Purpose(pick("email_marketing", "sms_marketing")), Status: consent.Status(pick("granted", "withdrawn"))}
			if rng.IntN(2) == 0 {
				c.Scope = &identity.ID{Type: identity.TypePhone, Value: pick("x1", "x2")}
			}
			r.Consents = append(r.Consents, c)
		}
		rs[i] = r
	}
	return rs
}

func shuffle[T any](rng *rand.Rand, s []T) {
	rng.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
}

func nan() float64 { var z float64; return z / z }
