package profile_test

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/unifycdp/unify/consent"
	"github.com/unifycdp/unify/identity"
	"github.com/unifycdp/unify/profile"
)

func ExampleDecodeJSON() {
	line := []byte(`{"source":"webstore","id":"o-1001","kind":"order","time":"2026-03-01T12:00:00Z",
		"identifiers":[{"type":"email","value":"Jane@Example.com"}],
		"order":{"order_id":"1001","channel":"web","currency":"EUR","total":"59.90",
			"lines":[{"sku":"SH-1","category":"shoes","quantity":1,"unit_price":59.9,"total":59.9}]},
		"consents":[{"purpose":"email_marketing","status":"granted"}]}`)
	r, err := profile.DecodeJSON(line)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.Key(), r.Kind, r.Order.Total, r.Order.Currency)
	fmt.Println(r.Consents[0].Purpose, r.Consents[0].Status, r.Consents[0].RecordID)

	_, err = profile.DecodeJSON([]byte(`{"source":"pos","id":"r-9","order":{"lines":[{"quantity":"two"}]}}`))
	var fe *profile.FieldError
	if errors.As(err, &fe) && errors.Is(err, profile.ErrSyntax) {
		fmt.Println(fe.Record, fe.Field, fe.Offset)
	}
	// Output:
	// webstore/o-1001 order 59.90 EUR
	// email_marketing granted o-1001
	// pos/r-9 order.lines[0].quantity 57
}

func ExampleDerive() {
	lines := []string{
		`{"source":"crm","id":"c-1","kind":"customer","time":"2026-01-05T10:00:00Z","identifiers":[{"type":"email","value":"a@example.com","normalized":"a@example.com"}],"customer":{"first_name":"Ann","language":"fi"}}`,
		`{"source":"pos","id":"r-1","kind":"order","time":"2026-02-01T10:00:00Z","identifiers":[{"type":"loyalty_card","value":"L1","normalized":"L1"}],"order":{"store":"Turku","channel":"pos","currency":"EUR","total":40}}`,
		`{"source":"web","id":"o-1","kind":"order","time":"2026-02-10T10:00:00Z","identifiers":[{"type":"email","value":"a@example.com","normalized":"a@example.com"}],"customer":{"first_name":"Anna"},"order":{"channel":"web","currency":"EUR","total":"25.50"},"consents":[{"purpose":"email_marketing","status":"granted"}]}`,
	}
	var records []*profile.Record
	for _, l := range lines {
		r, err := profile.DecodeJSON([]byte(l))
		if err != nil {
			fmt.Println(err)
			return
		}
		records = append(records, r)
	}
	p := profile.Derive("p-1", records, profile.Options{})
	fmt.Println(p.Attr(profile.AttrFirstName), p.Attr(profile.AttrLanguage))
	fmt.Println(p.Traits.OrderCount, p.Traits.TotalSpend, p.Traits.Currency, p.Traits.Channels)
	fmt.Println(p.Consents.Allowed(consent.EmailMarketing, nil))
	_, ok := p.Identifier(identity.LoyaltyCard("L1"))
	fmt.Println(len(p.Identifiers), ok)
	// Output:
	// Anna fi
	// 2 65.50 EUR [pos web]
	// true
	// 2 true
}

func ExampleTable() {
	var events profile.Table[string, int] // the zero value is an empty table
	for _, name := range []string{"page_view", "add_to_cart", "page_view"} {
		*events.Ref(name)++
	}
	events.Set("purchase", 1)
	n, ok := events.Get("page_view")
	fmt.Println(n, ok, len(events))
	for name, n := range events.All() { // in key order
		fmt.Println(name, n)
	}
	b, _ := json.Marshal(events)
	fmt.Println(string(b))
	// Output:
	// 2 true 3
	// add_to_cart 1
	// page_view 2
	// purchase 1
	// {"add_to_cart":1,"page_view":2,"purchase":1}
}
