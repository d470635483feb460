package segment

import (
	"testing"
)

// benchSegments are ten segments of the kind a marketing team defines.
var benchSegments = []Segment{
	{"vip", `spend > 500 and attr.tier in ["gold", "platinum"]`},
	{"curtain_intent", `"curtains" in categories_browsed and not "curtains" in categories_bought`},
	{"lapsed", `orders > 0 and last_order < now - 180d`},
	{"new_customers", `orders == 1 and within(first_order, 30d)`},
	{"anonymous_browsers", `not known and events.page_view >= 3`},
	{"email_reachable", `has(email) and consent(email_marketing)`},
	{"champions", `rfm.recency >= 4 and rfm.frequency >= 4 and rfm.monetary >= 4`},
	{"omnichannel", `"web" in channels and "pos" in channels and orders_by_channel.web >= 2`},
	{"home_decor", `any(categories_bought, ["rugs", "lamps", "cushions", "throws"]) and aov > 50`},
	{"lyon_locals", `attr.address.city == "Lyon" or startswith(lower(favourite_store), "lyon")`},
}

func BenchmarkSetEvaluate(b *testing.B) {
	set, err := NewSet(benchSegments, Options{})
	if err != nil {
		b.Fatal(err)
	}
	p := shopper()
	var names []string
	b.ReportAllocs()
	for b.Loop() {
		names, err = set.AppendMatches(names[:0], p, now)
		if err != nil {
			b.Fatal(err)
		}
	}
	if len(names) == 0 {
		b.Fatal("no segment matched")
	}
}

func BenchmarkSetEvaluateNew(b *testing.B) {
	set, err := NewSet(benchSegments, Options{})
	if err != nil {
		b.Fatal(err)
	}
	p := shopper()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := set.Evaluate(p, now); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEval(b *testing.B) {
	prog, err := Compile(`orders >= 3 and spend > 250 and within(last_order, 90d)`, Options{})
	if err != nil {
		b.Fatal(err)
	}
	p := shopper()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := prog.Eval(p, now); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompile(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewSet(benchSegments, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
