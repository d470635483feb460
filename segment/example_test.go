package segment_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/unifycdp/unify/identity"
	"github.com/unifycdp/unify/profile"
	"github.com/unifycdp/unify/segment"
)

func ExampleCompile() {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	p := &profile.Profile{
		Identifiers: []profile.IdentifierInfo{{ID: identity.Email("ann@example.com")}},
		Attributes:  profile.Table[string, profile.Attribute]{{Key: "tier", Value: profile.Attribute{Value: profile.StringValue("gold")}}},
		Traits: profile.Traits{
			OrderCount:       4,
			Currency:         "EUR",
			TotalSpend:       312_50, // 312.50
			LastOrder:        now.Add(-10 * 24 * time.Hour),
			CategoriesBought: []string{"curtains", "rugs"},
		},
	}
	prog, err := segment.Compile(`
		orders >= 3 and spend > 250.00       // money in the profile's currency
		and within(last_order, 30d)
		and ("curtains" in categories_bought or attr.tier == "gold")`, segment.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	ok, err := prog.Eval(p, now)
	fmt.Println(ok, err)

	_, err = segment.Compile(`orders > 3 and spend > 10.005 or ordrs > 1`, segment.Options{})
	var list segment.ErrorList
	if errors.As(err, &list) {
		fmt.Println(list.Detail())
	}
	// Output:
	// true <nil>
	// 1:24: 10.005 is not an amount of money: at most two decimals
	//   | orders > 3 and spend > 10.005 or ordrs > 1
	//   |                        ^^^^^^
	// 1:34: unknown field ordrs (did you mean orders?)
	//   | orders > 3 and spend > 10.005 or ordrs > 1
	//   |                                  ^^^^^
}

func ExampleNewSet() {
	set, err := segment.NewSet([]segment.Segment{
		{Name: "big_spenders", Expr: `spend >= 1000`},
		{Name: "curtain_browsers", Expr: `"curtains" in categories_browsed and not "curtains" in categories_bought`},
		{Name: "anonymous", Expr: `not known`},
		{Name: "lapsed", Expr: `last_order < now - 180d`},
	}, segment.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	visitor := &profile.Profile{
		Identifiers: []profile.IdentifierInfo{{ID: identity.Cookie("c-1")}},
		Traits:      profile.Traits{CategoriesBrowsed: []string{"curtains"}},
	}
	names, err := set.Evaluate(visitor, now)
	fmt.Println(names, err)

	_, err = segment.NewSet([]segment.Segment{{Name: "broken", Expr: `within(last_seen)`}}, segment.Options{})
	fmt.Println(err)
	// Output:
	// [anonymous curtain_browsers] <nil>
	// segment "broken": 1:1: within takes 2 arguments, got 1: within(time, duration) bool
}

func ExampleParse() {
	tree, err := segment.Parse(`not (a or b) and c in ["x", "y",] // comment`)
	fmt.Println(tree, err)
	// Output:
	// not (a or b) and c in ["x", "y"] <nil>
}
