package identity_test

import (
	"context"
	"fmt"
	"time"

	"github.com/unifycdp/unify/identity"
	"github.com/unifycdp/unify/store"
	"github.com/unifycdp/unify/store/memstore"
)

func Example() {
	ctx := context.Background()
	s := memstore.New()
	defer s.Close()
	g := identity.New(identity.Options{})
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

	records := []struct {
		source, id string
		at         time.Time
		ids        []identity.ID
	}{
		{"web", "visit-1", day, []identity.ID{identity.Cookie("c-77")}},
		{"pos", "signup-9", day.Add(48 * time.Hour), []identity.ID{
			identity.LoyaltyCard("4000123"), identity.Phone("+358401234567"), identity.Email("jane@example.fi")}},
		{"webstore", "order-5", day.Add(72 * time.Hour), []identity.ID{
			identity.Email("jane@example.fi"), identity.Cookie("c-77")}},
		{"pos", "receipt-3", day.Add(96 * time.Hour), []identity.ID{
			identity.LoyaltyCard("9999"), identity.Email("test@test.com")}},
	}
	for _, r := range records {
		s.Update(ctx, func(tx store.Tx) error {
			res, err := g.Link(tx, identity.NewRecordKey(r.at, r.source, r.id), r.ids)
			if err != nil {
				return err
			}
			for _, c := range res.Changes {
				fmt.Printf("%s/%s: %s, absorbing %d\n", r.source, r.id, c.Kind, len(c.From))
			}
			return nil
		})
	}
	s.View(ctx, func(tx store.Tx) error {
		ex, _ := g.Explain(tx, identity.Cookie("c-77"), identity.Phone("+358401234567"))
		for _, st := range ex.Steps {
			fmt.Printf("%s -> %s via %s\n", st.From.Type, st.To.Type, st.Record)
		}
		why, _ := g.ExplainID(tx, identity.Email("test@test.com"))
		fmt.Println("test@test.com:", why.Blocked)
		return nil
	})
	// Output:
	// web/visit-1: created, absorbing 0
	// pos/signup-9: created, absorbing 0
	// webstore/order-5: merged, absorbing 1
	// pos/receipt-3: created, absorbing 0
	// cookie -> email via webstore/order-5
	// email -> loyalty_card via pos/signup-9
	// loyalty_card -> phone via pos/signup-9
	// test@test.com: placeholder email domain
}
