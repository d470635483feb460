package profile

import (
	"bytes"
	"encoding/json"
	"errors"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestTableOps checks Get, Set, Ref and Delete against a map.
func TestTableOps(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	keys := []string{"", "a", "ab", "b", "ba", "c", "z", "é", "\xff"}
	for round := range 200 {
		var tab Table[string, int]
		m := map[string]int{}
		for range rng.IntN(40) {
			k := keys[rng.IntN(len(keys))]
			switch rng.IntN(4) {
			case 0:
				v := rng.IntN(100)
				tab.Set(k, v)
				m[k] = v
			case 1:
				*tab.Ref(k) += 3
				m[k] += 3
			case 2:
				tab.Delete(k)
				delete(m, k)
			case 3:
				v, ok := tab.Get(k)
				if w, wok := m[k]; v != w || ok != wok {
					t.Fatalf("round %d: Get(%q) = %d, %v, want %d, %v", round, k, v, ok, w, wok)
				}
			}
			for i := 1; i < len(tab); i++ {
				if tab[i-1].Key >= tab[i].Key {
					t.Fatalf("round %d: keys not strictly ascending: %v", round, tab)
				}
			}
		}
		if diff := cmp.Diff(m, maps.Collect(tab.All())); diff != "" || len(tab) != len(m) {
			t.Fatalf("round %d: entries (-want +got):\n%s", round, diff)
		}
	}
	var empty Table[string, int]
	if v, ok := empty.Get("x"); v != 0 || ok {
		t.Errorf("empty Get = %d, %v", v, ok)
	}
	empty.Delete("x")
	for range empty.All() {
		t.Error("empty table yields")
	}
}

// TestTableJSON checks that a table encodes as encoding/json encodes a map
// of the same entries, with and without HTML escaping, and decodes as one.
func TestTableJSON(t *testing.T) {
	odd := []string{"a<b>&c", "line\u2028sep\u2029", "bad \xff utf-8", "quote\"back\\slash", "tab\tnl\n", "é", "z"}
	m := map[string]Attribute{}
	for i, k := range odd {
		m[k] = Attribute{Value: StringValue(odd[len(odd)-1-i]), Source: k, RecordID: "r<1>", Time: t0}
	}
	var tab Table[string, Attribute]
	for k, v := range m {
		tab.Set(k, v)
	}
	type doc[T any] struct {
		A T `json:"a,omitempty"`
		B T `json:"b"`
	}
	encode := func(v any, escape bool) string {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(escape)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	for _, escape := range []bool{true, false} {
		cases := []struct{ tab, m any }{
			{doc[Table[string, Attribute]]{A: tab, B: tab}, doc[map[string]Attribute]{A: m, B: m}},
			{doc[Table[string, Attribute]]{}, doc[map[string]Attribute]{}},                                                       // nil: null
			{doc[Table[string, Attribute]]{B: Table[string, Attribute]{}}, doc[map[string]Attribute]{B: map[string]Attribute{}}}, // empty: {}
		}
		for _, c := range cases {
			if got, want := encode(c.tab, escape), encode(c.m, escape); got != want {
				t.Errorf("escape %v: table encodes as\n%s\nmap as\n%s", escape, got, want)
			}
		}
	}
	want, _ := json.Marshal(map[string]int{"a": 1, "b": 3, "c": 2})
	var got Table[string, int]
	if err := json.Unmarshal([]byte(`{"c":2,"b":1,"a":1,"b":3}`), &got); err != nil {
		t.Fatal(err)
	}
	if b, _ := json.Marshal(got); !bytes.Equal(b, want) {
		t.Errorf("decoded %s, want %s", b, want)
	}
	// Like a map: decoding adds to the entries, null clears.
	if err := json.Unmarshal([]byte(`{"d":4,"a":0}`), &got); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Table[string, int]{{"a", 0}, {"b", 3}, {"c", 2}, {"d", 4}}, got); diff != "" {
		t.Errorf("decoding into a table (-want +got):\n%s", diff)
	}
	if err := json.Unmarshal([]byte(`null`), &got); err != nil || got != nil {
		t.Errorf("null: %v, %v", got, err)
	}
	var ute *json.UnmarshalTypeError
	if err := json.Unmarshal([]byte(`[1]`), &got); !errors.As(err, &ute) {
		t.Errorf("array: %v, want *json.UnmarshalTypeError", err)
	}
}

// TestAppendBinaryUnsorted checks that AppendBinary refuses a table built
// out of order, and UnmarshalBinary keys that are not strictly ascending.
func TestAppendBinaryUnsorted(t *testing.T) {
	p := &Profile{ID: "p"}
	p.Traits.EventCounts = Table[string, int]{{"b", 1}, {"a", 2}}
	var fe *FieldError
	if _, err := p.AppendBinary(nil); !errors.As(err, &fe) || !errors.Is(err, ErrInvalid) || fe.Field != "traits.event_counts" {
		t.Errorf("AppendBinary: %v, want a *FieldError on traits.event_counts wrapping ErrInvalid", err)
	}
	p.Traits.EventCounts = Table[string, int]{{"a", 1}, {"b", 2}}
	b, err := p.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	// The references of "a" and "b" follow "p", with their counts zig-zag
	// encoded: 2 entries, ref 2, 1, ref 3, 2.
	entries := []byte{2, 2, 2, 3, 4}
	i := bytes.Index(b, entries)
	if i < 0 {
		t.Fatalf("event counts not found in %x", b)
	}
	for _, bad := range [][]byte{{2, 3, 4, 2, 2}, {2, 2, 2, 2, 4}} { // b, a; a, a
		c := slices.Clone(b)
		copy(c[i:], bad)
		var q Profile
		if err := q.UnmarshalBinary(c); !errors.Is(err, ErrCorrupt) || !errors.As(err, &fe) {
			t.Errorf("keys %v: %v, want a *FieldError wrapping ErrCorrupt", bad, err)
		}
	}
}

// TestProfileBinaryTables round-trips profiles whose small tables do and do
// not fit the decoder's buffers, and checks that a decoded profile's tables
// grow apart: Apply after decoding gives what Apply before encoding gives.
func TestProfileBinaryTables(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for round := range 60 {
		p := Derive("p", tableRecords(rng, 1+rng.IntN(80), round), Options{})
		b, err := p.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		var got Profile
		if err := got.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(p, &got); diff != "" {
			t.Fatalf("round %d: round trip (-want +got):\n%s", round, diff)
		}
		for _, tab := range [][]Entry[string, int]{got.Traits.OrderCountByChannel, got.Traits.OrderCountByStore, got.Traits.EventCounts} {
			if cap(tab) != len(tab) {
				t.Fatalf("round %d: a decoded table has room to grow into another: %d of %d", round, len(tab), cap(tab))
			}
		}
		for range 3 {
			r := &Record{Source: "s", ID: "new", Kind: KindOrder, Time: t0,
				Order: &Order{Currency: "C" + string(rune('A'+rng.IntN(13))), Channel: "ch" + string(rune('a'+rng.IntN(10))),
					Store: "st" + string(rune('a'+rng.IntN(8))), Total: 5},
				Event: &Event{Name: "ev" + string(rune('a'+rng.IntN(12)))}}
			p.Apply(r, Options{})
			got.Apply(r, Options{})
		}
		if diff := cmp.Diff(p, &got); diff != "" {
			t.Fatalf("round %d: Apply after round trip (-want +got):\n%s", round, diff)
		}
	}
}

// tableRecords returns n orders, some with events, in up to 1+width%12
// currencies, 1+width%9 channels, 1+width%7 stores and 1+width%11 event
// names.
func tableRecords(rng *rand.Rand, n, width int) []*Record {
	var rs []*Record
	for i := range n {
		r := &Record{Source: "s", ID: string(rune('a'+i%26)) + string(rune('a'+i/26)), Kind: KindOrder, Time: t0}
		cur := "C" + string(rune('A'+rng.IntN(1+width%12)))
		r.Order = &Order{Currency: cur, Channel: "ch" + string(rune('a'+rng.IntN(1+width%9))),
			Store: "st" + string(rune('a'+rng.IntN(1+width%7))), Total: Money(rng.IntN(1000)), Return: rng.IntN(5) == 0}
		if rng.IntN(2) == 0 {
			r.Event = &Event{Name: "ev" + string(rune('a'+rng.IntN(1+width%11)))}
		}
		rs = append(rs, r)
	}
	return rs
}
