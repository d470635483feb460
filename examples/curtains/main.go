// Command curtains tells the story Unify was made for, end to end, on the
// embedded Badger store: a shopper browses curtains anonymously on the
// website, joins the loyalty programme in a store with phone and email,
// gets a coupon by email, buys in the webstore as a guest with the coupon,
// and calls customer service. After each record it prints what the engine
// knew; at the end, the one unified profile.
//
// Usage:
//
//	go run ./examples/curtains [-dir data]
//
// Without -dir the store lives in a temporary directory that is removed at
// exit.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/unifycdp/unify"
	"github.com/unifycdp/unify/consent"
	"github.com/unifycdp/unify/identity"
	"github.com/unifycdp/unify/profile"
	"github.com/unifycdp/unify/segment"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "curtains:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("curtains", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", "", "data directory of the Badger store (default: a temporary directory, removed at exit)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: curtains [-dir data]\n\nRuns the seed story (anonymous browsing, loyalty signup in a store, coupon email,\nguest order, service call) through the engine and prints the unified profile.\n\nFlags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		tmp, err := os.MkdirTemp("", "unify-curtains-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		*dir = tmp
	}
	eng, err := unify.Open(ctx, unify.Options{Dir: *dir, PhoneRegion: "FI", Segments: []segment.Segment{
		{Name: "curtain_browsers", Expr: `"curtains" in categories_browsed and orders == 0`},
		{Name: "sms_reachable", Expr: `has(phone) and consent(sms_marketing)`},
		{Name: "curtain_buyers", Expr: `"curtains" in categories_bought`},
	}})
	if err != nil {
		return err
	}
	defer eng.Close()

	for i, st := range story() {
		res, err := eng.Ingest(ctx, st.rec)
		if err != nil {
			return fmt.Errorf("step %d: %w", i+1, err)
		}
		p, err := eng.ProfileByID(ctx, res.Profile)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d. %s\n   %s/%s (%s) -> profile %s", i+1, st.say, st.rec.Source, st.rec.ID, st.rec.Kind, short(res.Profile))
		for _, c := range res.Changes {
			switch c.Kind {
			case unify.ProfileUpdated:
			case unify.SegmentEntered, unify.SegmentExited:
				fmt.Fprintf(stdout, ", %s %s", strings.TrimPrefix(string(c.Kind), "segment_"), c.Segment)
			default:
				fmt.Fprintf(stdout, ", %s", strings.TrimPrefix(string(c.Kind), "profile_"))
				for _, f := range c.From {
					fmt.Fprintf(stdout, " %s", short(f))
				}
			}
		}
		fmt.Fprintf(stdout, "\n   knows: %s\n", knows(p))
	}

	p, err := eng.Profile(ctx, identity.Phone("+358 40 123 4567"))
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nThe unified profile %s (aliases %s)\n", p.ID, strings.Join(p.Aliases, ", "))
	fmt.Fprintf(stdout, "  name: %s %s\n", p.Attr("first_name"), p.Attr("last_name"))
	fmt.Fprintln(stdout, "  identifiers:")
	for _, id := range p.Identifiers {
		fmt.Fprintf(stdout, "    %-13s %-22s seen in %s\n", id.ID.Type, id.ID.Value, strings.Join(id.Sources, ", "))
	}
	fmt.Fprintln(stdout, "  timeline (newest first):")
	page, err := eng.Timeline(ctx, p.ID, "", 20)
	if err != nil {
		return err
	}
	for _, r := range page.Records {
		fmt.Fprintf(stdout, "    %s  %-9s %-8s %s\n", r.Time.Format("2006-01-02 15:04"), r.Source, r.Kind, describe(r))
	}
	t := p.Traits
	fmt.Fprintln(stdout, "  traits:")
	fmt.Fprintf(stdout, "    orders %d, spend %s %s, channels %s\n", t.OrderCount, t.TotalSpend, t.Currency, strings.Join(t.Channels, ", "))
	fmt.Fprintf(stdout, "    browsed %s, bought %s, coupons %s, tickets %d\n",
		strings.Join(t.CategoriesBrowsed, ", "), strings.Join(t.CategoriesBought, ", "), strings.Join(t.Coupons, ", "), t.Tickets)
	fmt.Fprintln(stdout, "  segments:", strings.Join(p.Segments, ", "))
	fmt.Fprintln(stdout, "  consents:")
	for c := range p.Consents.All() {
		fmt.Fprintf(stdout, "    %-16s %-9s since %s (%s)\n", c.Purpose, c.Status, c.Time.Format("2006-01-02"), c.Source)
	}
	return nil
}

type step struct {
	say string
	rec *profile.Record
}

func story() []step {
	day := time.Date(2026, 3, 2, 18, 30, 0, 0, time.UTC)
	id := func(t identity.Type, v string) profile.Identifier { return profile.Identifier{Type: t, Raw: v} }
	return []step{
		{"An anonymous visitor looks at linen curtains on the website.", &profile.Record{
			Source: "web", ID: "ev-1001", Kind: profile.KindEvent, Time: day,
			Identifiers: []profile.Identifier{id(identity.TypeCookie, "ck-3f9a")},
			Event:       &profile.Event{Name: "product_view", Channel: "web", Category: "curtains", URL: "/curtains/linen-white"}}},
		{"The same browser searches for blackout curtains.", &profile.Record{
			Source: "web", ID: "ev-1002", Kind: profile.KindEvent, Time: day.Add(4 * time.Minute),
			Identifiers: []profile.Identifier{id(identity.TypeCookie, "ck-3f9a")},
			Event:       &profile.Event{Name: "search", Channel: "web", Category: "curtains", Query: "blackout curtains"}}},
		{"In the Tampere store she joins the loyalty programme with phone and email, and allows SMS.", &profile.Record{
			Source: "pos", ID: "signup-tre-0042", Kind: profile.KindCustomer, Time: day.Add(2*24*time.Hour + 17*time.Hour),
			Identifiers: []profile.Identifier{id(identity.TypeLoyaltyCard, "7001 2345 6789"),
				id(identity.TypePhone, "040 123 4567"), id(identity.TypeEmail, "Aino.Virtanen@Posti.fi")},
			Customer: &profile.Customer{FirstName: "Aino", LastName: "Virtanen", Language: "fi",
				Address: &profile.Address{PostalCode: "33100", City: "Tampere", Country: "Suomi"}},
			Consents: []consent.Consent{{Purpose: consent.SMSMarketing, Status: consent.Granted}}}},
		{"A coupon email arrives; she opens it and clicks through.", &profile.Record{
			Source: "esp", ID: "click-555", Kind: profile.KindEvent, Time: day.Add(3*24*time.Hour + 2*time.Hour),
			Identifiers: []profile.Identifier{id(identity.TypeEmail, "aino.virtanen@posti.fi")},
			Event:       &profile.Event{Name: "email_click", Channel: "email", Campaign: "curtains-20"}}},
		{"She buys two curtains in the webstore as a guest with the coupon, and allows email marketing.", &profile.Record{
			Source: "webstore", ID: "order-1001", Kind: profile.KindOrder, Time: day.Add(3*24*time.Hour + 2*time.Hour + 9*time.Minute),
			Identifiers: []profile.Identifier{id(identity.TypeEmail, "AINO.VIRTANEN@posti.fi"), id(identity.TypeCookie, "ck-3f9a")},
			Order: &profile.Order{OrderID: "1001", Channel: "web", Currency: "EUR", Total: 7192, Discount: 1798, Coupon: "CURTAINS20",
				Lines: []profile.OrderLine{{SKU: "CUR-LIN-140", Name: "Linen curtain 140x250", Category: "curtains", Quantity: 2, UnitPrice: 4495, Total: 8990}}},
			Consents: []consent.Consent{{Purpose: consent.EmailMarketing, Status: consent.Granted}}}},
		{"She calls customer service about the delivery.", &profile.Record{
			Source: "service", ID: "ticket-77", Kind: profile.KindTicket, Time: day.Add(5*24*time.Hour + 9*time.Hour),
			Identifiers: []profile.Identifier{id(identity.TypePhone, "+358 40 123 4567")},
			Ticket:      &profile.Ticket{Reason: "delivery time", Priority: "normal", Channel: "phone", Status: "solved"}}},
	}
}

func short(pid string) string {
	if len(pid) > 8 {
		return pid[:8]
	}
	return pid
}

func knows(p *profile.Profile) string {
	var parts []string
	for _, id := range p.Identifiers {
		parts = append(parts, string(id.ID.Type))
	}
	s := fmt.Sprintf("%d records, identifiers [%s]", p.Records, strings.Join(parts, " "))
	if n := p.Attr("first_name"); !n.IsEmpty() {
		s += ", name " + n.String()
	}
	if p.Traits.OrderCount > 0 {
		s += fmt.Sprintf(", %d order(s) %s %s", p.Traits.OrderCount, p.Traits.TotalSpend, p.Traits.Currency)
	}
	if p.Consents.Len() > 0 {
		s += fmt.Sprintf(", %d consent(s)", p.Consents.Len())
	}
	return s
}

func describe(r *profile.Record) string {
	switch {
	case r.Event != nil:
		return strings.TrimSpace(fmt.Sprintf("%s %s %s %s", r.Event.Name, r.Event.Category, r.Event.Query, r.Event.Campaign))
	case r.Order != nil:
		return fmt.Sprintf("order %s, %s %s, coupon %s", r.Order.OrderID, r.Order.Total, r.Order.Currency, r.Order.Coupon)
	case r.Ticket != nil:
		return "ticket: " + r.Ticket.Reason
	case r.Customer != nil:
		return "loyalty signup: " + r.Customer.FirstName + " " + r.Customer.LastName
	}
	return ""
}
