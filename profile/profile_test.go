package profile

import (
	"bytes"
	"encoding/json"
	"flag"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/unifycdp/unify/consent"
	"github.com/unifycdp/unify/identity"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestApplyEqualsDerive checks that Apply over the records one by one, in
// any order, gives what Derive gives, and Derive does not depend on order.
func TestApplyEqualsDerive(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	optss := []Options{
		{},
		{Survivorship: Survivorship{Default: RuleFirst}},
		{Survivorship: Survivorship{Default: RuleSourcePriority, SourcePriority: []string{"pos", "crm"},
			PerAttribute: map[string]Rule{"tier": RuleLatest, "address": RuleFirst}}},
		{Linked: func(id identity.ID) bool { return id.Value != "x2" }},
	}
	sets := [][]*Record{loadRecords(t)}
	for range 40 {
		sets = append(sets, randomRecords(rng, 1+rng.IntN(40)))
	}
	// Invalid records must not break order independence either.
	odd := randomRecords(rng, 12)
	for _, r := range odd[:4] {
		r.Time = time.Time{}
	}
	odder := randomRecords(rng, 12)
	odder[5].Time = time.Date(0, 6, 1, 0, 0, 0, 0, time.UTC)
	sets = append(sets, odd, odder)
	for i, rs := range sets {
		for j, opts := range optss {
			want := Derive("p", rs, opts)
			for range 4 {
				shuffle(rng, rs)
				if diff := cmp.Diff(want, Derive("p", rs, opts)); diff != "" {
					t.Fatalf("set %d, options %d: Derive depends on order (-want +got):\n%s", i, j, diff)
				}
				got := &Profile{ID: "p"}
				for _, r := range rs {
					got.Apply(r, opts)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("set %d, options %d: Apply differs from Derive (-want +got):\n%s", i, j, diff)
				}
				// Apply keeps the summary traits up to date incrementally.
				fresh := got.Traits
				fresh.summarize()
				if diff := cmp.Diff(fresh, got.Traits); diff != "" {
					t.Fatalf("set %d, options %d: summary traits out of date (-want +got):\n%s", i, j, diff)
				}
			}
		}
	}
}

func TestDeriveGolden(t *testing.T) {
	rs := loadRecords(t)
	notLinked := identity.Phone("+358509990000") // with merge protection, in another profile
	p := Derive("prof-0001", rs, Options{
		Survivorship: Survivorship{PerAttribute: map[string]Rule{AttrBirthdate: RuleSourcePriority}, SourcePriority: []string{"crm"}},
		Linked:       func(id identity.ID) bool { return id != notLinked },
	})
	got, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	const golden = "testdata/profile.golden.json"
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("profile JSON (-want +got), run with -update if intended:\n%s", diff)
	}
}

func TestTraits(t *testing.T) {
	p := Derive("p", loadRecords(t), Options{})
	tr := p.Traits
	date := func(s string) time.Time { v, _ := time.Parse(time.RFC3339, s); return v }
	want := Traits{
		OrderCount:        4,
		Returns:           1,
		Currency:          "EUR",
		TotalSpend:        119_80 + 45_50 + 12_00 - 19_95,
		AverageOrderValue: 52_45, // 157.35 / 3 = 52.45
		SpendByChannel:    Table[string, Money]{{"pos", 57_50}, {"web", 99_85}},
		SpendByCurrency: Table[string, CurrencySpend]{
			{"EUR", CurrencySpend{Orders: 3, Returns: 1, Net: 157_35, ByChannel: Table[string, Money]{{"pos", 57_50}, {"web", 99_85}}}},
			{"SEK", CurrencySpend{Orders: 1, Net: 399_00, ByChannel: Table[string, Money]{{"pos", 399_00}}}},
		},
		OrderCountByChannel: Table[string, int]{{"pos", 3}, {"web", 1}},
		OrderCountByStore:   Table[string, int]{{"Helsinki Centre", 2}, {"Stockholm Drottninggatan", 1}, {"webstore", 1}},
		FirstOrder:          date("2026-01-12T20:40:00Z"),
		LastOrder:           date("2026-02-20T10:00:00Z"),
		LastSeen:            date("2026-03-03T09:30:00Z"),
		FavouriteStore:      "Helsinki Centre",
		Channels:            []string{"app", "email", "phone", "pos", "web"},
		CategoriesBought:    []string{"bags", "hats", "shoes", "socks"},
		CategoriesBrowsed:   []string{"jackets", "shoes"},
		Coupons:             []string{"WELCOME10"},
		EventCounts:         Table[string, int]{{"app_open", 1}, {"email_open", 1}, {"product_view", 2}, {"search", 1}},
		Tickets:             1,
		RecordsByKind: Table[Kind, int]{{KindConsent, 1}, {KindCustomer, 3}, {KindEnrichment, 1}, {KindEvent, 5},
			{KindFeedback, 1}, {KindOrder, 5}, {KindTicket, 1}},
	}
	if diff := cmp.Diff(want, tr); diff != "" {
		t.Errorf("traits (-want +got):\n%s", diff)
	}
}

func TestSurvivorship(t *testing.T) {
	rec := func(src, id string, hour int, c *Customer) *Record {
		return &Record{Source: src, ID: id, Kind: KindCustomer, Time: t0.Add(time.Duration(hour) * time.Hour), Customer: c}
	}
	addr := func(street, city string) *Address { return &Address{Street: street, City: city} }
	rs := []*Record{
		rec("crm", "1", 0, &Customer{FirstName: "Ann", Address: addr("Main 1", "Turku"), Attributes: map[string]Value{"tier": StringValue("gold")}}),
		rec("web", "2", 2, &Customer{FirstName: "Anna", Address: addr("", "Oulu")}),
		rec("pos", "3", 1, &Customer{FirstName: "Anne", LastName: "Lee"}),
		rec("web", "4", 3, &Customer{FirstName: "", Attributes: map[string]Value{"tier": StringValue(""), "vip": {}}}), // empty never wins
		rec("app", "5", 2, &Customer{FirstName: "Ana"}),                                                                // same time as web/2: "web" > "app"
	}
	type attrs map[string]string
	tests := []struct {
		name string
		s    Survivorship
		want attrs
	}{
		{"latest", Survivorship{}, attrs{"first_name": "Anna", "last_name": "Lee", "address.city": "Oulu", "tier": "gold"}},
		{"first", Survivorship{Default: RuleFirst}, attrs{"first_name": "Ann", "last_name": "Lee", "address.street": "Main 1", "address.city": "Turku", "tier": "gold"}},
		{"source priority", Survivorship{Default: RuleSourcePriority, SourcePriority: []string{"pos", "crm"}},
			attrs{"first_name": "Anne", "last_name": "Lee", "address.street": "Main 1", "address.city": "Turku", "tier": "gold"}},
		{"unlisted sources: latest", Survivorship{Default: RuleSourcePriority, SourcePriority: []string{"erp"}},
			attrs{"first_name": "Anna", "last_name": "Lee", "address.city": "Oulu", "tier": "gold"}},
		{"per attribute", Survivorship{PerAttribute: map[string]Rule{"first_name": RuleFirst, "address": RuleFirst}},
			attrs{"first_name": "Ann", "last_name": "Lee", "address.street": "Main 1", "address.city": "Turku", "tier": "gold"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Derive("p", rs, Options{Survivorship: tt.s})
			got := attrs{}
			for name, a := range p.Attributes.All() {
				got[name] = a.Value.String()
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("attributes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLinked(t *testing.T) {
	email, phone := identity.Email("a@b.c"), identity.Phone("+1")
	r := &Record{Source: "s", ID: "1", Kind: KindConsent, Time: t0,
		Identifiers: []Identifier{{Type: email.Type, Raw: "A@b.c", Value: email.Value}, {Type: phone.Type, Raw: "1", Value: phone.Value},
			{Type: email.Type, Raw: "A@B.C", Value: email.Value}, {Type: "cookie", Raw: "bad", Problem: "blocked"}},
		Consents: []consent.Consent{{Purpose: consent.SMSMarketing, Status: consent.Granted, Scope: &phone}, {Purpose: consent.Push, Status: consent.Granted}},
	}
	p := Derive("p", []*Record{r}, Options{Linked: func(id identity.ID) bool { return id != phone }})
	want := []IdentifierInfo{{ID: email, Sources: []string{"s"}, FirstSeen: t0, LastSeen: t0, Records: 1}}
	if diff := cmp.Diff(want, p.Identifiers); diff != "" {
		t.Errorf("identifiers (-want +got):\n%s", diff)
	}
	if p.Consents.Allowed(consent.SMSMarketing, &phone) || !p.Consents.Allowed(consent.Push, nil) {
		t.Errorf("consents: %v", p.Consents.Slice())
	}
	if _, ok := p.Identifier(email); !ok {
		t.Error("Identifier(email) not found")
	}
}

func TestRFM(t *testing.T) {
	now := t0
	day := 24 * time.Hour
	tests := []struct {
		name string
		tr   Traits
		th   RFMThresholds
		want RFM
	}{
		{"no orders", Traits{}, RFMThresholds{}, RFM{1, 1, 1}},
		{"recent big spender", Traits{LastOrder: now.Add(-day), OrderCount: 12, TotalSpend: 2000_00}, RFMThresholds{}, RFM{5, 5, 5}},
		{"bounds are inclusive", Traits{LastOrder: now.Add(-90 * day), OrderCount: 3, TotalSpend: 250_00}, RFMThresholds{}, RFM{4, 3, 3}},
		{"old", Traits{LastOrder: now.Add(-400 * day), OrderCount: 1, TotalSpend: 10_00}, RFMThresholds{}, RFM{1, 1, 1}},
		{"custom frequency", Traits{LastOrder: now.Add(-200 * day), OrderCount: 2, TotalSpend: 10_00},
			RFMThresholds{Frequency: [4]int{1, 2, 3, 4}}, RFM{2, 3, 1}},
	}
	for _, tt := range tests {
		if got := tt.tr.RFM(now, tt.th); got != tt.want {
			t.Errorf("%s: RFM = %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

func TestLogValueRedacts(t *testing.T) {
	p := Derive("prof-1", loadRecords(t), Options{})
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("updated", "profile", p)
	out := buf.String()
	for _, secret := range []string{"Jane", "Doe", "jane.doe", "358401234567", "Helsinki", "Mannerheim", "LC0099"} {
		if strings.Contains(out, secret) {
			t.Errorf("log output shows %q: %s", secret, out)
		}
	}
	if !strings.Contains(out, "prof-1") {
		t.Errorf("log output lacks the profile ID: %s", out)
	}
}

func TestApplyNilSafe(t *testing.T) {
	var p *Profile
	p.Apply(&Record{}, Options{})
	q := &Profile{}
	q.Apply(nil, Options{})
	if q.Records != 0 {
		t.Error("nil record counted")
	}
	if got := Derive("x", []*Record{nil}, Options{}); got.Records != 0 {
		t.Error("nil record counted by Derive")
	}
}
