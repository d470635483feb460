package segment

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/unifycdp/unify/consent"
	"github.com/unifycdp/unify/identity"
	"github.com/unifycdp/unify/profile"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func daysAgo(d int) time.Time { return now.Add(-time.Duration(d) * 24 * time.Hour) }

// table returns a table of the entries of m.
func table[K ~string, V any](m map[K]V) profile.Table[K, V] {
	var t profile.Table[K, V]
	for k, v := range m {
		t.Set(k, v)
	}
	return t
}

// shopper is a known, active customer who buys home goods online and in
// store.
func shopper() *profile.Profile {
	return &profile.Profile{
		ID:        "p-1",
		Records:   42,
		FirstSeen: daysAgo(400),
		LastSeen:  daysAgo(2),
		Identifiers: []profile.IdentifierInfo{
			{ID: identity.Cookie("c-9"), Sources: []string{"web"}, FirstSeen: daysAgo(30), LastSeen: daysAgo(2), Records: 20},
			{ID: identity.Email("ann@example.com"), Sources: []string{"crm", "webstore"}, FirstSeen: daysAgo(400), LastSeen: daysAgo(10), Records: 12},
			{ID: identity.Phone("+358401234567"), Sources: []string{"crm"}, FirstSeen: daysAgo(400), LastSeen: daysAgo(400), Records: 1},
		},
		Attributes: table(map[string]profile.Attribute{
			"first_name":   {Value: profile.StringValue("Ann")},
			"address.city": {Value: profile.StringValue("Lyon")},
			"tier":         {Value: profile.StringValue("gold")},
			"vip":          {Value: profile.BoolValue(true)},
			"score":        {Value: profile.NumberValue(0.82)},
			"budget":       {Value: profile.NumberValue(120.5)},
			"signup":       {Value: profile.StringValue("2026-02-20")},
			"Shoe size":    {Value: profile.NumberValue(39)},
			"email":        {Value: profile.StringValue("ann@gmail.com")},
			"nickname":     {Value: profile.StringValue("")},
		}),
		Consents: consent.Resolve([]consent.Consent{
			{Purpose: consent.EmailMarketing, Status: consent.Granted, Time: daysAgo(300), Source: "crm", RecordID: "c1"},
			{Purpose: consent.SMSMarketing, Status: consent.Withdrawn, Time: daysAgo(100), Source: "crm", RecordID: "c2"},
		}),
		Traits: profile.Traits{
			OrderCount:          6,
			Returns:             1,
			Currency:            "EUR",
			TotalSpend:          612_40,
			AverageOrderValue:   102_07,
			SpendByChannel:      table(map[string]profile.Money{"web": 400_00, "in store": 212_40}),
			OrderCountByChannel: table(map[string]int{"web": 4, "pos": 2}),
			OrderCountByStore:   table(map[string]int{"lyon_1": 2}),
			FirstOrder:          daysAgo(380),
			LastOrder:           daysAgo(20),
			LastSeen:            daysAgo(2),
			FavouriteStore:      "Lyon 1",
			Channels:            []string{"app", "pos", "web"},
			CategoriesBought:    []string{"curtains", "lamps", "rugs"},
			CategoriesBrowsed:   []string{"curtains", "sofas"},
			Coupons:             []string{"SPRING10", "WELCOME"},
			EventCounts:         table(map[string]int{"page_view": 57, "Product Viewed": 9}),
			Tickets:             1,
			RecordsByKind:       table(map[profile.Kind]int{profile.KindOrder: 7, profile.KindTicket: 1}),
		},
	}
}

// anonymous is a cookie-only visitor without orders.
func anonymous() *profile.Profile {
	return &profile.Profile{
		ID:          "p-2",
		Records:     3,
		FirstSeen:   daysAgo(5),
		LastSeen:    daysAgo(1),
		Identifiers: []profile.IdentifierInfo{{ID: identity.Cookie("c-1")}},
		Traits: profile.Traits{
			CategoriesBrowsed: []string{"rugs"},
			EventCounts:       table(map[string]int{"page_view": 3}),
		},
	}
}

func TestEval(t *testing.T) {
	tests := []struct {
		expr             string
		shopper, visitor bool
	}{
		{`orders > 3 and "curtains" in categories_bought`, true, false},
		{`orders >= 3 and spend > 250 and within(last_order, 90d)`, true, false},
		{`records == 42`, true, false},
		{`spend == 612.40 and aov == 102.07 and spend > 612.39 and spend < 612.41`, true, false},
		{`spend >= 0 and aov == 0`, false, true},
		{`spend - 12.40 == 600`, true, false},
		{`spend / orders > 100 and aov * 6 > spend - 1`, true, false},
		{`spend / aov > 5.99`, true, false},
		{`currency == "EUR"`, true, false},
		{`last_order > now - 90d`, true, false},
		{`last_order < now - 90d`, false, false}, // null for the visitor
		{`last_order == null`, false, true},
		{`last_order != null and first_order != null`, true, false},
		{`first_order < now - 1y2d`[:0] + `first_order < now - 52w`, true, false},
		{`last_seen - first_seen > 365d`, true, false},
		{`(now - last_seen) / 1d < 3`, true, true},
		{`within(last_seen, 1d)`, false, true},
		{`within(last_seen, 36h)`, false, true},
		{`within(last_active, 3d)`, true, false},
		{`known`, true, false},
		{`not known`, false, true},
		{`has(email) and has(phone)`, true, false},
		{`has(cookie) and not has(loyalty_card)`, true, true},
		{`has(wechat)`, false, false},
		{`has(attr.tier) and not has(attr.nickname) and not has(attr.missing)`, true, false},
		{`consent(email_marketing) and not consent(sms_marketing) and not consent(push)`, true, false},
		{`rfm.recency == 5 and rfm.frequency == 4 and rfm.monetary == 4`, true, false},
		{`rfm.recency == 1 and rfm.frequency == 1 and rfm.monetary == 1`, false, true},
		{`rfm.frequency in [4, 5]`, true, false},
		{`events.page_view > 10 and events["Product Viewed"] >= 9 and events.missing == 0`, true, false},
		{`events.page_view >= 3`, true, true},
		{`spend_by_channel.web == 400 and spend_by_channel["in store"] > 200`, true, false},
		{`orders_by_channel.web == 4 and orders_by_store.lyon_1 == 2 and records_by_kind.order == 7`, true, false},
		{`tickets > 0 and returns == 1`, true, false},
		{`favourite_store == "Lyon 1" and startswith(lower(favourite_store), "lyon")`, true, false},
		{`favourite_store == ""`, false, true},
		{`"web" in channels and "email" not in channels`, true, false},
		{`"SPRING10" in coupons and len(coupons) == 2`, true, false},
		{`any(categories_browsed, ["rugs", "sofas"])`, true, true},
		{`any(["sofas", "beds"], categories_browsed)`, true, false},
		{`any(categories_browsed, categories_bought)`, true, false},
		{`not any(coupons, ["X"])`, true, true},
		{`first_seen <= last_seen and now > first_seen`, true, true},
		{`records > 10 or events.page_view > 2`, true, true},
		{`not (orders > 1 or returns > 0)`, false, true},
		// Attributes: dynamic.
		{`attr.tier in ["gold", "platinum"]`, true, false},
		{`attr.tier not in ["gold", "platinum"]`, false, true},
		{`attr.tier == "gold" and attr.tier != "silver"`, true, false},
		{`attr.tier != "gold"`, false, true},
		{`attr.vip`, true, false},
		{`not attr.vip`, false, true},
		{`attr.vip == true`, true, false},
		{`attr.tier`, false, false}, // a string as a condition
		{`attr.score > 0.5 and attr.score < 1`, true, false},
		{`attr.tier > 0.5`, false, false}, // type mismatch: false
		{`attr.tier != 0.5`, true, true},
		{`attr["Shoe size"] >= 39`, true, false},
		{`attr.address.city == "Lyon" and attr["address.city"] == "Lyon"`, true, false},
		{`attr.budget > 120.49 and attr.budget < 120.51 and attr.budget == 120.50`, true, false},
		{`spend > attr.budget`, true, false},
		{`attr.signup > now - 30d and attr.signup < now`, true, false},
		{`within(attr.signup, 10d)`, true, false},
		{`within(attr.tier, 10d)`, false, false},
		{`attr.nickname == ""`, true, false},
		{`attr.missing == null and attr.tier != null`, true, false},
		{`"gmail" in attr.email and endswith(attr.email, ".com")`, true, false},
		{`lower(attr.first_name) == "ann" and len(attr.first_name) == 3`, true, false},
		{`lower(attr.score) == "0.82"`, false, false},
		{`len(attr.score) > 0 or len(attr.score) <= 0`, false, false}, // null
		{`attr.score * 100 > 80 and attr.score + 1 > 1.8`, true, false},
		{`attr.tier * 2 == null`, true, true}, // null == null
		{`-attr.score < 0`, true, false},
		// Arithmetic corners.
		{`orders / 0 > 0 or orders / 0 <= 0`, false, false},
		{`orders / 0 != 1`, true, true},
		{`spend / 0 > 0 or spend / 0 <= 0`, false, false},
		{`- -3 < -orders and -3 <= -orders`, false, false},
		{`-orders <= 0 and - -orders == orders`, true, true},
		{`1 + 2 * 3 == 7 and (1 + 2) * 3 == 9 and 7 / 2 == 3.5`, true, true},
		{`2 * 12h == 1d and 1d / 2 == 12h and 1d / 12h == 2 and 90m == 1h30m`, true, true},
		{`now - 1w < now + -1d`, true, true},
		{`true and not false`, true, true},
	}
	progs := make([]*Program, len(tests))
	for i, tt := range tests {
		p, err := Compile(tt.expr, Options{})
		if err != nil {
			t.Fatalf("Compile(%q): %v", tt.expr, err)
		}
		progs[i] = p
	}
	for _, pr := range []struct {
		name string
		p    *profile.Profile
		want func(int) bool
	}{
		{"shopper", shopper(), func(i int) bool { return tests[i].shopper }},
		{"visitor", anonymous(), func(i int) bool { return tests[i].visitor }},
		{"empty", &profile.Profile{}, func(i int) bool { return false }},
	} {
		t.Run(pr.name, func(t *testing.T) {
			want, got := map[string]bool{}, map[string]bool{}
			for i, prog := range progs {
				ok, err := prog.Eval(pr.p, now)
				if err != nil {
					t.Errorf("%s: %v", prog, err)
				}
				if pr.name == "empty" {
					continue // no panics; results checked for the others
				}
				want[prog.String()], got[prog.String()] = pr.want(i), ok
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("results (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEvalErrors(t *testing.T) {
	p, err := Compile(`known`, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Eval(nil, now); !errors.Is(err, ErrNilProfile) {
		t.Errorf("Eval(nil) = %v, want ErrNilProfile", err)
	}

	big := &profile.Profile{Traits: profile.Traits{CategoriesBought: make([]string, 1000), CategoriesBrowsed: make([]string, 1000)}}
	p, err = Compile(`any(categories_bought, categories_browsed)`, Options{MaxCost: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := p.Eval(big, now); ok || !errors.Is(err, ErrCostExceeded) {
		t.Errorf("Eval = %v, %v; want false, ErrCostExceeded", ok, err)
	}
	if ok, err := p.Eval(shopper(), now); !ok || err != nil {
		t.Errorf("Eval(shopper) = %v, %v; want true, nil", ok, err)
	}
	// A cost below the node count is exceeded by any evaluation.
	p, err = Compile(`orders > 1 and orders > 2`, Options{MaxCost: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Eval(shopper(), now); !errors.Is(err, ErrCostExceeded) {
		t.Errorf("Eval = %v, want ErrCostExceeded", err)
	}
}

func TestLimits(t *testing.T) {
	tests := []struct {
		name string
		src  string
		opts Options
		want error
	}{
		{"length", "orders > 1 or " + strings.Repeat(" ", DefaultMaxLength), Options{}, ErrTooLong},
		{"length option", "orders > 10", Options{MaxLength: 10}, ErrTooLong},
		{"parens", strings.Repeat("(", 65) + "known" + strings.Repeat(")", 65), Options{}, ErrTooDeep},
		{"not", strings.Repeat("not ", 65) + "known", Options{}, ErrTooDeep},
		{"minus", strings.Repeat("-", 65) + "1 > 0", Options{}, ErrTooDeep},
		{"depth option", "((known))", Options{MaxDepth: 1}, ErrTooDeep},
		{"nodes", strings.Repeat("known or ", 1000) + "known", Options{}, ErrTooComplex},
		{"list", `"a" in [` + strings.Repeat(`"x", `, 2000) + `]`, Options{}, ErrTooComplex},
		{"nodes option", "orders > 1 and known", Options{MaxNodes: 4}, ErrTooComplex},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(tt.src, tt.opts)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %T, want an *Error inside", err)
			}
		})
	}
	// Within the defaults.
	for _, src := range []string{
		strings.Repeat("(", 60) + "known" + strings.Repeat(")", 60),
		strings.Repeat("known or ", 900) + "known",
	} {
		if _, err := Compile(src, Options{}); err != nil {
			t.Errorf("Compile(%.20q...): %v", src, err)
		}
	}
}

func TestLexErrors(t *testing.T) {
	for src, want := range map[string]string{
		`"abc`:              `1:1: string not terminated`,
		"\"abc\ndef\"":      `1:1: string not terminated`,
		`"a\`:               `1:1: string not terminated`,
		`known /* x`:        `1:7: comment not terminated`,
		`'a' == 'a'`:        `1:1: unexpected ' (strings are written in double quotes)`,
		"known or é":        `1:10: unexpected character 'é'`,
		"known or \xff":     `1:10: invalid UTF-8 byte 0xff`,
		"":                  `1:1: unexpected end of expression (want a value, a field or a parenthesized expression)`,
		"// just a comment": `1:18: unexpected end of expression (want a value, a field or a parenthesized expression)`,
	} {
		_, err := Parse(src)
		if err == nil || err.Error() != want {
			t.Errorf("Parse(%q) = %v, want %s", src, err, want)
		}
	}
}

func TestSet(t *testing.T) {
	set, err := NewSet([]Segment{
		{"vip", `spend > 500 and attr.tier == "gold"`},
		{"curtain_lovers", `"curtains" in categories_browsed`},
		{"lapsed", `last_order < now - 180d`},
		{"anonymous", `not known`},
		{"rug_browsers", `"rugs" in categories_browsed`},
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"anonymous", "curtain_lovers", "lapsed", "rug_browsers", "vip"}, set.Names()); diff != "" {
		t.Errorf("Names (-want +got):\n%s", diff)
	}
	for _, tt := range []struct {
		p    *profile.Profile
		want []string
	}{
		{shopper(), []string{"curtain_lovers", "vip"}},
		{anonymous(), []string{"anonymous", "rug_browsers"}},
		{&profile.Profile{}, []string{"anonymous"}},
	} {
		got, err := set.Evaluate(tt.p, now)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Evaluate(%s) (-want +got):\n%s", tt.p.ID, diff)
		}
	}
	if _, err := set.Evaluate(nil, now); !errors.Is(err, ErrNilProfile) {
		t.Errorf("Evaluate(nil) = %v, want ErrNilProfile", err)
	}

	// Concurrent use (run with -race).
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			p := shopper()
			for range 100 {
				if got, _ := set.Evaluate(p, now); len(got) != 2 {
					t.Errorf("concurrent Evaluate = %v", got)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestSetErrors(t *testing.T) {
	_, err := NewSet([]Segment{
		{"ok", `known`},
		{"typo", `ordrs > 1 and spend > 1.001`},
		{"syntax", `known and`},
		{"ok", `orders > 1`},
		{"", `known`},
	}, Options{})
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("err = %v, want ErrorList", err)
	}
	var got []string
	for _, e := range list {
		got = append(got, e.Error())
	}
	want := []string{
		`1:1: segment without a name`,
		`segment "ok": 1:1: duplicate segment name`,
		`segment "syntax": 1:10: unexpected end of expression (want a value, a field or a parenthesized expression)`,
		`segment "typo": 1:1: unknown field ordrs (did you mean orders?)`,
		`segment "typo": 1:23: 1.001 is not an amount of money: at most two decimals`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}

	set, err := NewSet([]Segment{
		{"costly", `any(categories_bought, categories_browsed)`},
		{"cheap", `known`},
	}, Options{MaxCost: 100})
	if err != nil {
		t.Fatal(err)
	}
	big := &profile.Profile{Identifiers: []profile.IdentifierInfo{{ID: identity.Email("a@b")}},
		Traits: profile.Traits{CategoriesBought: make([]string, 100), CategoriesBrowsed: make([]string, 100)}}
	names, err := set.Evaluate(big, now)
	if !errors.Is(err, ErrCostExceeded) || !strings.Contains(err.Error(), `segment "costly"`) {
		t.Errorf("err = %v, want ErrCostExceeded naming the segment", err)
	}
	if diff := cmp.Diff([]string{"cheap"}, names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
}
