package gen

import (
	"bytes"
	"errors"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/unifycdp/unify/identity"
	"github.com/unifycdp/unify/normalize"
	"github.com/unifycdp/unify/profile"
)

type pair struct {
	R *profile.Record
	P int
}

func collect(g *Generator) []pair {
	var out []pair
	for r, p := range g.All() {
		out = append(out, pair{r, p})
	}
	return out
}

func TestDeterministic(t *testing.T) {
	opts := Options{Seed: 42, People: 300}
	a, b := collect(New(opts)), collect(New(opts))
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("same seed, different records (-first +second):\n%s", diff)
	}
	if len(a) != New(opts).Count() {
		t.Errorf("All yielded %d records, Count says %d", len(a), New(opts).Count())
	}
	c := collect(New(Options{Seed: 43, People: 300}))
	if cmp.Equal(a[:10], c[:10]) {
		t.Error("seeds 42 and 43 give the same records")
	}
}

// TestPersonMatchesAll checks that All yields exactly the records of
// Person, with the right person index, and not grouped by person.
func TestPersonMatchesAll(t *testing.T) {
	g := New(Options{Seed: 7, People: 1500})
	byPerson := make([][]*profile.Record, g.People())
	runs, last := 0, -1
	for r, p := range g.All() {
		byPerson[p] = append(byPerson[p], r)
		if p != last {
			runs++
			last = p
		}
	}
	for i, got := range byPerson {
		slices.SortFunc(got, profile.Compare)
		if want := g.Person(i); !bytes.Equal(jsonOf(t, want), jsonOf(t, got)) {
			diff := cmp.Diff(want, got)
			t.Fatalf("person %d: All differs from Person (-Person +All):\n%s", i, diff)
		}
	}
	if n := g.Count(); runs < n/2 {
		t.Errorf("All looks grouped by person: %d runs for %d records", runs, n)
	}
	if g.Person(-1) != nil || g.Person(g.People()) != nil {
		t.Error("Person out of range returned records")
	}
}

// jsonOf encodes rs: a fast way to compare many records.
func jsonOf(t *testing.T, rs []*profile.Record) []byte {
	var b []byte
	for _, r := range rs {
		var err error
		if b, err = r.AppendJSON(b); err != nil {
			t.Fatal(err)
		}
		b = append(b, '\n')
	}
	return b
}

func TestRecordsValid(t *testing.T) {
	g := New(Options{Seed: 1, People: 3000})
	opts := g.Options()
	end := opts.Start.Add(opts.Span)
	ids := map[string]bool{}
	for r := range g.All() {
		if err := r.Validate(); err != nil {
			t.Fatalf("%s: %v", r.Key(), err)
		}
		if r.Time.Before(opts.Start) || !r.Time.Before(end) || r.Time.Location() != time.UTC {
			t.Errorf("%s: time %v outside [%v, %v) or not UTC", r.Key(), r.Time, opts.Start, end)
		}
		if ids[r.Key()] {
			t.Errorf("%s: duplicate record key", r.Key())
		}
		ids[r.Key()] = true
		for _, id := range r.Identifiers {
			if id.Value != "" || id.Problem != "" || id.Raw == "" {
				t.Errorf("%s: identifier %+v: want Raw only", r.Key(), id)
			}
		}
		if o := r.Order; o != nil {
			sum := -o.Discount
			for _, l := range o.Lines {
				sum += l.Total
			}
			if sum != o.Total && !o.Return {
				t.Errorf("%s: lines sum to %v, total %v", r.Key(), sum, o.Total)
			}
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	g := New(Options{Seed: 3, People: 200})
	var buf bytes.Buffer
	n, err := WriteJSONLines(&buf, g.All())
	if err != nil || n != g.Count() {
		t.Fatalf("WriteJSONLines = %d, %v; want %d records", n, err, g.Count())
	}
	want := collect(g)
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d", len(lines), len(want))
	}
	for k, line := range lines {
		r, err := profile.DecodeJSON([]byte(line))
		if err != nil {
			t.Fatalf("line %d: %v", k+1, err)
		}
		if diff := cmp.Diff(want[k].R, r); diff != "" {
			t.Fatalf("line %d does not decode to the record (-want +got):\n%s", k+1, diff)
		}
	}
	if _, err := WriteJSONLines(failWriter{}, g.All()); err == nil {
		t.Error("WriteJSONLines ignored a write error")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// TestIdentifiers checks that phones and e-mails are well formed, that
// every genuine identifier belongs to one person (the family mailbox to two)
// and that each person's records are connected by their own identifiers.
func TestIdentifiers(t *testing.T) {
	g := New(Options{Seed: 5, People: 12000, RecordsPerPerson: 3}) // beyond the 10,800 distinct names
	owner := map[idKey]int{}
	phones := map[string]bool{}
	for i := range g.People() {
		b := &builder{p: g.person(i)}
		recs := g.Person(i)
		// Union-find over the person's records by genuine identifiers.
		parent := make([]int, len(recs))
		for k := range parent {
			parent[k] = k
		}
		var find func(int) int
		find = func(k int) int {
			if parent[k] != k {
				parent[k] = find(parent[k])
			}
			return parent[k]
		}
		first := map[idKey]int{}
		for k, r := range recs {
			for _, id := range r.Identifiers {
				if id.Type == identity.TypePhone && !isPlaceholder[id.Raw] && i < 3000 {
					checkPhone(t, id.Raw, phones)
				}
				if id.Type == identity.TypeEmail && !isPlaceholder[id.Raw] && i < 3000 {
					if _, err := normalize.Email(id.Raw, normalize.EmailOptions{}); err != nil {
						t.Errorf("email %q: %v", id.Raw, err)
					}
				}
				key, ok := b.key(id)
				if !ok {
					continue
				}
				if o, dup := owner[key]; dup && o != i {
					t.Fatalf("%s of person %d also belongs to person %d", key, i, o)
				}
				owner[key] = i
				if f, ok := first[key]; ok {
					parent[find(k)] = find(f)
				} else {
					first[key] = k
				}
			}
		}
		for k := range recs {
			if find(k) != find(0) {
				t.Fatalf("person %d: record %s is not connected to %s", i, recs[k].Key(), recs[0].Key())
			}
		}
	}
	if len(phones) < 6 {
		t.Errorf("only %d phone formats: %v", len(phones), phones)
	}
}

// checkPhone checks that s is a valid mobile number with the right number
// of digits, and records its format (digits replaced by 9).
func checkPhone(t *testing.T, s string, formats map[string]bool) {
	t.Helper()
	digits := 0
	format := []byte(s)
	for k, c := range format {
		if '0' <= c && c <= '9' {
			digits++
			format[k] = '9'
		}
	}
	formats[string(format)] = true
	// 0401234567, 358401234567, 00358401234567, 46701234567, 0046701234567, +46 (0)70...
	if !slices.Contains([]int{10, 11, 12, 13, 14}, digits) {
		t.Errorf("phone %q has %d digits", s, digits)
	}
	if e, err := normalize.Phone(s, "FI"); err != nil || !strings.HasPrefix(e, "+3584") && !strings.HasPrefix(e, "+35850") && !strings.HasPrefix(e, "+467") {
		t.Errorf("phone %q normalizes to %q, %v", s, e, err)
	}
}

func TestRates(t *testing.T) {
	g := New(Options{Seed: 9, People: 10000})
	var households, replaced, records, placeholders, posService int
	var diacritics, upper bool
	kinds := map[profile.Kind]int{}
	events := map[string]int{}
	for i := range g.People() {
		if p, ok := g.Household(i); ok {
			households++
			if q, ok := g.Household(p); !ok || q != i {
				t.Fatalf("household of %d is %d, of %d is %d", i, p, p, q)
			}
		}
		if g.CardReplaced(i) {
			replaced++
		}
	}
	for r := range g.All() {
		records++
		kinds[r.Kind]++
		if r.Event != nil {
			events[r.Event.Name]++
		}
		if r.Source == SourcePOS || r.Source == SourceService {
			posService++
			for _, id := range r.Identifiers {
				if isPlaceholder[id.Raw] {
					placeholders++
					break
				}
			}
		}
		if c := r.Customer; c != nil {
			diacritics = diacritics || strings.ContainsAny(c.LastName, "äöåÄÖÅ")
		}
		for _, id := range r.Identifiers {
			upper = upper || id.Type == identity.TypeEmail && strings.ContainsAny(id.Raw, "AEIOU")
		}
	}
	n := float64(g.People())
	within := func(name string, got, want, tol float64) {
		t.Helper()
		if got < want-tol || got > want+tol {
			t.Errorf("%s = %.4f, want %.3f ± %.3f", name, got, want, tol)
		}
	}
	within("household share", float64(households)/n, DefaultHouseholdRate, 0.01)
	within("card replacement share", float64(replaced)/n, DefaultCardReplacementRate, 0.01)
	within("records per person", float64(records)/n, DefaultRecordsPerPerson, 0.6)
	within("placeholder share", float64(placeholders)/float64(posService), DefaultPlaceholderRate, 0.007)
	if records != g.Count() {
		t.Errorf("Count = %d, All yielded %d", g.Count(), records)
	}
	for _, k := range []profile.Kind{profile.KindCustomer, profile.KindOrder, profile.KindEvent, profile.KindTicket, profile.KindConsent} {
		if kinds[k] == 0 {
			t.Errorf("no %s records", k)
		}
	}
	for _, e := range []string{"page_view", "product_view", "search", "add_to_cart", "app_open", "email_open", "email_click", "campaign_click"} {
		if events[e] == 0 {
			t.Errorf("no %s events", e)
		}
	}
	if !diacritics || !upper {
		t.Errorf("diacritics in names %v, upper-case e-mails %v", diacritics, upper)
	}
	t.Logf("%d records: %v; events %v", records, kinds, events)
}

func TestOptions(t *testing.T) {
	g := New(Options{PlaceholderRate: -1, HouseholdRate: -1, CardReplacementRate: -1, People: 2000, RecordsPerPerson: 2,
		Start: time.Date(2020, 6, 1, 12, 0, 0, 0, time.FixedZone("EEST", 3*3600)), Span: 24 * time.Hour})
	o := g.Options()
	if !o.Start.Equal(time.Date(2020, 6, 1, 9, 0, 0, 0, time.UTC)) || o.Start.Location() != time.UTC {
		t.Errorf("Start = %v", o.Start)
	}
	end := o.Start.Add(o.Span)
	for r := range g.All() {
		if r.Time.Before(o.Start) || !r.Time.Before(end) {
			t.Fatalf("%s: time %v outside the day", r.Key(), r.Time)
		}
		for _, id := range r.Identifiers {
			if isPlaceholder[id.Raw] {
				t.Fatalf("%s: placeholder with PlaceholderRate -1", r.Key())
			}
		}
	}
	for i := range g.People() {
		if _, ok := g.Household(i); ok || g.CardReplaced(i) {
			t.Fatalf("person %d: household or replaced card with rates -1", i)
		}
	}
	if d := New(Options{}).Options(); d.People != DefaultPeople || d.RecordsPerPerson != DefaultRecordsPerPerson ||
		!d.Start.Equal(DefaultStart) || d.Span != DefaultSpan || d.PlaceholderRate != DefaultPlaceholderRate {
		t.Errorf("defaults: %+v", d)
	}
}

// TestMemoryBounded generates 200,000 records through All and checks that
// the heap does not grow with them.
func TestMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	g := New(Options{Seed: 11, People: 20000})
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base := ms.HeapInuse
	var peak uint64
	n := 0
	for range g.All() {
		n++
		if n%20000 == 0 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}
	if n < 150000 {
		t.Fatalf("only %d records", n)
	}
	// A block of 1000 people is about 10,000 records of ~1 KB; all
	// 200,000 would need about 200 MB.
	if grow := int64(peak) - int64(base); grow > 40<<20 {
		t.Errorf("heap grew by %d MB over %d records", grow>>20, n)
	}
}

func BenchmarkAll(b *testing.B) {
	g := New(Options{Seed: 1, People: 2000})
	n := 0
	for b.Loop() {
		for range g.All() {
			n++
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/record")
}

func BenchmarkWriteJSONLines(b *testing.B) {
	g := New(Options{Seed: 1, People: 2000})
	n := 0
	for b.Loop() {
		k, _ := WriteJSONLines(discard{}, g.All())
		n += k
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/record")
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
