package unify_test

import (
	"context"
	"fmt"
	"time"

	"github.com/unifycdp/unify"
	"github.com/unifycdp/unify/consent"
	"github.com/unifycdp/unify/identity"
	"github.com/unifycdp/unify/profile"
	"github.com/unifycdp/unify/store/memstore"
)

// The seed story: a shopper browses curtains anonymously, joins the loyalty
// programme in a store with phone and email, then buys in the webstore with
// a coupon as a guest. One profile holds it all.
func Example() {
	ctx := context.Background()
	eng, err := unify.Open(ctx, unify.Options{Store: memstore.New(), PhoneRegion: "FI"})
	if err != nil {
		panic(err)
	}
	defer eng.Close()
	day := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

	records := []*profile.Record{
		{Source: "web", ID: "ev-1", Kind: profile.KindEvent, Time: day,
			Identifiers: []profile.Identifier{{Type: identity.TypeCookie, Raw: "ck-3f9a"}},
			Event:       &profile.Event{Name: "product_view", Channel: "web", Category: "curtains"}},
		{Source: "pos", ID: "signup-88", Kind: profile.KindCustomer, Time: day.Add(50 * time.Hour),
			Identifiers: []profile.Identifier{
				{Type: identity.TypeLoyaltyCard, Raw: "7001 2345"},
				{Type: identity.TypePhone, Raw: "040 123 4567"},
				{Type: identity.TypeEmail, Raw: "Jane.Doe@Posti.fi"}},
			Customer: &profile.Customer{FirstName: "Jane", LastName: "Doe"},
			Consents: []consent.Consent{{Purpose: consent.SMSMarketing, Status: consent.Granted}}},
		{Source: "webstore", ID: "order-1001", Kind: profile.KindOrder, Time: day.Add(75 * time.Hour),
			Identifiers: []profile.Identifier{
				{Type: identity.TypeEmail, Raw: "jane.doe@posti.fi"},
				{Type: identity.TypeCookie, Raw: "ck-3f9a"}},
			Order: &profile.Order{OrderID: "1001", Channel: "web", Currency: "EUR", Total: 8990, Coupon: "CURTAINS20",
				Lines: []profile.OrderLine{{SKU: "C-200", Name: "Linen curtain", Category: "curtains", Quantity: 2, UnitPrice: 4495, Total: 8990}}},
			Consents: []consent.Consent{{Purpose: consent.EmailMarketing, Status: consent.Granted}}},
	}
	for _, r := range records {
		res, err := eng.Ingest(ctx, r)
		if err != nil {
			panic(err)
		}
		fmt.Printf("%s: %s", res.Record, res.Status)
		for _, c := range res.Changes {
			fmt.Printf(", %s (absorbed %d)", c.Kind, len(c.From))
		}
		fmt.Println()
	}

	p, err := eng.Profile(ctx, identity.Phone("+358 40 123 4567"))
	if err != nil {
		panic(err)
	}
	fmt.Println("identifiers:", len(p.Identifiers), "records:", p.Records, "aliases:", len(p.Aliases))
	fmt.Println("orders:", p.Traits.OrderCount, "spend:", p.Traits.TotalSpend, p.Traits.Currency)
	fmt.Println("browsed:", p.Traits.CategoriesBrowsed, "coupons:", p.Traits.Coupons)
	fmt.Println("name:", p.Attr("first_name"), p.Attr("last_name"))
	fmt.Println("sms:", p.Consents.Allowed(consent.SMSMarketing, nil), "email:", p.Consents.Allowed(consent.EmailMarketing, nil))
	// Output:
	// web/ev-1: added, profile_created (absorbed 0)
	// pos/signup-88: added, profile_created (absorbed 0)
	// webstore/order-1001: added, profile_merged (absorbed 1)
	// identifiers: 4 records: 3 aliases: 1
	// orders: 1 spend: 89.90 EUR
	// browsed: [curtains] coupons: [CURTAINS20]
	// name: Jane Doe
	// sms: true email: true
}
