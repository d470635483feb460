package normalize

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/nyaruka/phonenumbers"
)

// outcome is what the corpus test compares: the value and whether it failed.
type outcome struct {
	Value string
	Err   bool
}

// referencePhone is phonenumbers' own answer, written out here rather than
// taken from Phone so that the test checks Phone too.
func referencePhone(s, region string) outcome {
	num, err := phonenumbers.Parse(s, region)
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return outcome{Err: true}
	}
	return outcome{Value: phonenumbers.Format(num, phonenumbers.E164)}
}

func outcomeOf(v string, err error) outcome { return outcome{v, err != nil} }

// upperRegion is what phonenumbers wants; Phone accepts any case.
func upperRegion(r string) string {
	if len(r) == 2 {
		return string([]byte{upperASCII(r[0]), upperASCII(r[1])})
	}
	return r
}

func TestPhoneCorpusMatchesPhonenumbers(t *testing.T) {
	corpus := phoneCorpus(1, 40)
	if len(corpus) < 1000 {
		t.Fatalf("corpus has %d inputs, want at least 1000", len(corpus))
	}
	big := mustPhoneNormalizer(t, PhoneOptions{})
	small := mustPhoneNormalizer(t, PhoneOptions{CacheSize: 64}) // evicts all the time
	var keyed, valid int
	// Twice, so that the second pass is served from the caches.
	for pass := range 2 {
		for _, in := range corpus {
			want := referencePhone(in.s, upperRegion(in.region))
			if pass == 0 && want.Value != "" {
				valid++
			}
			if _, ok := phoneKey(nil, in.s, "FI"); ok && pass == 0 {
				keyed++
			}
			v, refErr := Phone(in.s, in.region)
			if diff := cmp.Diff(want, outcomeOf(v, refErr)); diff != "" {
				t.Errorf("Phone(%v) mismatch (-want +got):\n%s", in, diff)
			}
			for name, p := range map[string]*PhoneNormalizer{"big": big, "small": small} {
				v, err := p.Normalize(in.s, in.region)
				if diff := cmp.Diff(want, outcomeOf(v, err)); diff != "" {
					t.Errorf("pass %d: %s.Normalize(%v) mismatch (-want +got):\n%s", pass, name, in, diff)
				}
				if diff := cmp.Diff(refErr, err, cmp.Comparer(sameError)); diff != "" {
					t.Errorf("%s.Normalize(%v) error differs from Phone's (-want +got):\n%s", name, in, diff)
				}
			}
		}
	}
	t.Logf("%d inputs, %d valid, %d with a compact key", len(corpus), valid, keyed)
	if valid < len(corpus)/3 || keyed < len(corpus)/2 {
		t.Errorf("corpus is unbalanced: %d valid, %d with a compact key of %d", valid, keyed, len(corpus))
	}
	if n := small.cache.len(); n > 64 {
		t.Errorf("small cache holds %d entries, want at most 64", n)
	}
}

// sameError reports whether two errors of the phone normalizers say the
// same thing about the same input.
func sameError(a, b error) bool {
	var ea, eb *Error
	if !errors.As(a, &ea) || !errors.As(b, &eb) {
		return a == nil && b == nil
	}
	return *ea == *eb || (ea.Kind == eb.Kind && ea.Field == eb.Field && ea.Input == eb.Input &&
		ea.Pos == eb.Pos && ea.Err.Error() == eb.Err.Error())
}

func mustPhoneNormalizer(t testing.TB, opts PhoneOptions) *PhoneNormalizer {
	t.Helper()
	p, err := NewPhoneNormalizer(opts)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPhone(t *testing.T) {
	fi := mustPhoneNormalizer(t, PhoneOptions{DefaultRegion: "fi"})
	tests := []struct {
		in, region string
		want       string
		wantErr    error
	}{
		{"040 123 4567", "FI", "+358401234567", nil},
		{"(040) 123 4567", "FI", "+358401234567", nil},
		{"+358 40 123 4567", "", "+358401234567", nil},
		{"00358 40 1234567", "FI", "+358401234567", nil},
		{"tel:+358-40-123-4567", "", "+358401234567", nil},
		{"040-123-4567", "fi", "+358401234567", nil},
		{"+49 (0)151 12345678", "FI", "+4915112345678", nil},
		{"+49 0151 12345678", "US", "+4915112345678", nil},
		{"0151 12345678", "DE", "+4915112345678", nil},
		{"(212) 555-0100", "US", "+12125550100", nil},
		{"1-212-555-0100", "US", "+12125550100", nil},
		{"011 358 40 1234567", "US", "+358401234567", nil},
		{"020 7946 0018", "GB", "+442079460018", nil},
		{"070-123 45 67", "SE", "+46701234567", nil},
		{"+358 40 123 4567 ext. 12", "", "+358401234567", nil},
		{"040 123 4567", "", "", ErrInvalidPhone},
		{"040 123 4567", "US", "", ErrInvalidPhone},
		{"040 123 4567", "SE", "+46401234567", nil}, // Malmö
		{"0000000000", "FI", "", ErrInvalidPhone},
		{"+999 123 456 789", "", "", ErrInvalidPhone},
		{"abc", "FI", "", ErrInvalidPhone},
		{"", "FI", "", ErrEmpty},
		{"   ", "FI", "", ErrEmpty},
		{"040 123 4567", "XX", "", ErrUnknownCountry},
		{"040 123 4567", "Finland", "", ErrUnknownCountry},
		{"1" + fmt.Sprintf("%0250d", 0), "FI", "", ErrTooLong},
	}
	for _, tt := range tests {
		for name, f := range map[string]func(s, r string) (string, error){"Phone": Phone, "Normalize": fi.Normalize} {
			region := tt.region
			if name == "Normalize" && region == "" {
				continue // "" means the default region FI
			}
			got, err := f(tt.in, region)
			if got != tt.want || !errors.Is(err, tt.wantErr) {
				t.Errorf("%s(%q, %q) = %q, %v; want %q, %v", name, tt.in, region, got, err, tt.want, tt.wantErr)
			}
			var e *Error
			if err != nil && (!errors.As(err, &e) || e.Input != tt.in || e.Field != "phone") {
				t.Errorf("%s(%q, %q): error %#v is not an *Error about the input", name, tt.in, region, err)
			}
		}
	}
	// The default region applies to "".
	if got, err := fi.Normalize("040 123 4567", ""); got != "+358401234567" || err != nil {
		t.Errorf(`Normalize("040 123 4567", "") with default FI = %q, %v`, got, err)
	}
}

func TestNewPhoneNormalizerRejectsUnknownRegion(t *testing.T) {
	_, err := NewPhoneNormalizer(PhoneOptions{DefaultRegion: "Finland"})
	var e *Error
	if !errors.Is(err, ErrUnknownCountry) || !errors.As(err, &e) || e.Field != "region" {
		t.Fatalf("NewPhoneNormalizer(DefaultRegion: Finland) error = %v, want an *Error wrapping ErrUnknownCountry about the region", err)
	}
}

func TestPhoneKey(t *testing.T) {
	tests := []struct {
		in     string
		want   string
		wantOK bool
	}{
		{"040 123 4567", "FI:0401234567", true},
		{"(040) 123-45.67", "FI:0401234567", true},
		{"+358 (0)40 123 4567", "FI:+3580401234567", true},
		{"tel:+358/40", "FI:+35840", true},
		{"TEL:00358", "FI:00358", true},
		{"(+358) 40", "FI:+35840", true},
		{"12", "", false},                 // too few digits to be viable
		{"40 +358", "", false},            // '+' after digits
		{"++358 40", "", false},           // two '+'
		{"040 123 x12", "", false},        // extension
		{"1-800-FLOWERS", "", false},      // letters
		{"040\u00a0123", "", false},       // non-ASCII
		{"\uff10\uff14\uff10", "", false}, // full-width digits
		{"040;ext=1", "", false},
		{"040#", "", false},
		{" tel:040", "", false},
		{fmt.Sprintf("%060d", 1), "", false}, // longer than a key may be
	}
	for _, tt := range tests {
		var buf [maxPhoneKey]byte
		got, ok := phoneKey(buf[:0], tt.in, "FI")
		if ok != tt.wantOK || (ok && string(got) != tt.want) {
			t.Errorf("phoneKey(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestPhoneCacheBounded(t *testing.T) {
	p := mustPhoneNormalizer(t, PhoneOptions{DefaultRegion: "FI", CacheSize: 1000})
	for _, s := range phoneStream(2000) {
		p.Normalize(s, "")
	}
	if n := p.cache.len(); n > 1000 || n < 250 {
		t.Errorf("cache of size 1000 holds %d entries", n)
	}
	off := mustPhoneNormalizer(t, PhoneOptions{DefaultRegion: "FI", CacheSize: -1})
	if off.cache != nil {
		t.Errorf("CacheSize -1 did not disable the cache")
	}
	if got, err := off.Normalize("040 123 4567", ""); got != "+358401234567" || err != nil {
		t.Errorf("uncached Normalize = %q, %v", got, err)
	}
}

func TestPhoneNormalizerConcurrent(t *testing.T) {
	p := mustPhoneNormalizer(t, PhoneOptions{DefaultRegion: "FI", CacheSize: 512})
	stream := phoneStream(200)
	want := make([]outcome, len(stream))
	for i, s := range stream {
		want[i] = outcomeOf(Phone(s, "FI"))
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range stream {
				j := (i + g*97) % len(stream)
				if got := outcomeOf(p.Normalize(stream[j], "")); got != want[j] {
					t.Errorf("Normalize(%q) = %v, want %v", stream[j], got, want[j])
				}
			}
		})
	}
	wg.Wait()
}

// The benchmarks run over the same realistic stream: 2000 distinct numbers
// (mostly Finnish) each written in five formats, shuffled. One op is one
// number normalized.

func BenchmarkPhoneReference(b *testing.B) {
	stream := phoneStream(2000)
	i := 0
	for b.Loop() {
		Phone(stream[i%len(stream)], "FI")
		i++
	}
}

func BenchmarkPhoneNormalizer(b *testing.B) {
	stream := phoneStream(2000)
	p := mustPhoneNormalizer(b, PhoneOptions{DefaultRegion: "FI"})
	i := 0
	for b.Loop() {
		p.Normalize(stream[i%len(stream)], "")
		i++
	}
}
