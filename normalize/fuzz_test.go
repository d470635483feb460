package normalize

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	"golang.org/x/text/unicode/norm"
)

// checkResult asserts what every normalizer promises: a failure is an
// *Error about the input that wraps its kind's sentinel and comes with no
// value; a success is valid UTF-8 and normalizes to itself.
func checkResult(t *testing.T, field, in, out string, err error, again func(string) (string, error)) {
	t.Helper()
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("%q: error %v is %T, not *Error", in, err, err)
		}
		if e.Input != in || e.Field != field || !errors.Is(err, e.Kind.Sentinel()) || e.Pos < -1 || e.Pos > len(in) {
			t.Fatalf("%q: malformed error %#v", in, e)
		}
		if out != "" {
			t.Fatalf("%q: value %q returned with error %v", in, out, err)
		}
		_ = err.Error()
		return
	}
	if !utf8.ValidString(out) {
		t.Fatalf("%q: output %q is not valid UTF-8", in, out)
	}
	out2, err := again(out)
	if err != nil || out2 != out {
		t.Fatalf("not idempotent: %q -> %q -> %q, %v", in, out, out2, err)
	}
}

func FuzzEmail(f *testing.F) {
	for _, s := range emailInputs {
		f.Add(s, false, false)
		f.Add(s, true, true)
	}
	f.Fuzz(func(t *testing.T, s string, keepCase, providers bool) {
		opts := EmailOptions{KeepLocalCase: keepCase, ProviderRules: providers}
		out, err := Email(s, opts)
		checkResult(t, "email", s, out, err, func(s string) (string, error) { return Email(s, opts) })
		if err == nil && (len(out) > MaxEmailLen || strings.Count(out, "@") < 1) {
			t.Fatalf("%q: output %q breaks the limits", s, out)
		}
	})
}

// fuzzRegions are the regions FuzzPhone reads numbers in: ones with
// national prefixes, shared calling codes, leading digits, transform
// rules (AR, BR, MX) and Italian leading zeros, no region and an unknown one.
var fuzzRegions = []string{"FI", "SE", "DE", "GB", "US", "fi", "", "JP", "IT", "RU", "BR", "XX",
	"NO", "DK", "AX", "AR", "MX", "CA", "GG", "KZ", "SJ", "VA", "AU", "CO", "IN", "CN"}

// digitsOnly keeps the digits of s, after a '+' if one comes before them:
// a simple input that reaches the fast path.
func digitsOnly(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			b.WriteByte(c)
		case c == '+' && b.Len() == 0:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func FuzzPhone(f *testing.F) {
	for i, s := range phoneInputs() {
		f.Add(s, uint8(i))
	}
	// Paths of the fast path: the retry without '+', a country code
	// without '+', the 99x prefixes of FI, transform rules, shared codes.
	for i, s := range []string{"+999358401234567", "+00358401234567", "358401234567", "4915112345678",
		"99511358401234567", "0111 4 123 4567", "011 15 2345 6789", "0221 234 5678", "1 684 733 1234",
		"+7 701 123 4567", "+44 1481 256789", "+39 06 6982", "+800 1234 5678", "+882 1234 567890"} {
		f.Add(s, uint8(i))
		f.Add(s, uint8(i+len(fuzzRegions)/2))
	}
	p := mustPhoneNormalizer(f, PhoneOptions{DefaultRegion: "FI", CacheSize: 256})
	cold := mustPhoneNormalizer(f, PhoneOptions{DefaultRegion: "FI", CacheSize: -1})
	f.Fuzz(func(t *testing.T, s string, r uint8) {
		region := fuzzRegions[int(r)%len(fuzzRegions)]
		want, wantErr := Phone(s, region)
		checkResult(t, "phone", s, want, wantErr, func(s string) (string, error) { return Phone(s, "") })
		if wantErr == nil {
			for _, r2 := range []string{"FI", "US", "JP"} {
				if again, err := Phone(want, r2); again != want || err != nil {
					t.Fatalf("%q in %q -> %q, but in %q -> %q, %v", s, region, want, r2, again, err)
				}
			}
		}
		if region != "" && region != "XX" {
			if ref := referencePhone(s, upperRegion(region)); ref != outcomeOf(want, wantErr) {
				t.Fatalf("Phone(%q, %q) = %q, %v; phonenumbers says %+v", s, region, want, wantErr, ref)
			}
		}
		if region == "" { // the normalizer's default region applies
			want, wantErr = Phone(s, "FI")
		}
		// The fast path of a miss, without a cache.
		if got, err := cold.Normalize(s, region); got != want || !sameError(wantErr, err) {
			t.Fatalf("uncached Normalize(%q, %q) = %q, %v; Phone says %q, %v", s, region, got, err, want, wantErr)
		}
		// Twice: a miss, then (for simple input) a hit.
		for range 2 {
			got, err := p.Normalize(s, region)
			if got != want || !sameError(wantErr, err) {
				t.Fatalf("Normalize(%q, %q) = %q, %v; Phone says %q, %v", s, region, got, err, want, wantErr)
			}
		}
		// The digits of s, which take the fast path, against phonenumbers.
		d := digitsOnly(s)
		reg := region
		if reg == "" {
			reg = "FI"
		}
		want, wantErr = Phone(d, reg)
		if got, err := cold.Normalize(d, region); got != want || !sameError(wantErr, err) {
			t.Fatalf("uncached Normalize(%q, %q) = %q, %v; Phone says %q, %v", d, region, got, err, want, wantErr)
		}
		if reg != "XX" {
			if ref := referencePhone(d, upperRegion(reg)); ref != outcomeOf(want, wantErr) {
				t.Fatalf("Phone(%q, %q) = %q, %v; phonenumbers says %+v", d, reg, want, wantErr, ref)
			}
		}
	})
}

func FuzzText(f *testing.F) {
	for _, s := range textInputs {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Text(s)
		checkResult(t, "text", s, out, nil, func(s string) (string, error) { return Text(s), nil })
		if strings.TrimSpace(out) != out || strings.Contains(out, "  ") {
			t.Fatalf("Text(%q) = %q has untidy white space", s, out)
		}
	})
}

func FuzzMatchKey(f *testing.F) {
	for _, s := range textInputs {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := MatchKey(s)
		checkResult(t, "text", s, out, nil, func(s string) (string, error) { return MatchKey(s), nil })
		if k := MatchKey(Text(s)); k != out {
			t.Fatalf("MatchKey(%q) = %q but MatchKey(Text(...)) = %q", s, out, k)
		}
		if k := unicodeMatchKey(s); k != out {
			t.Fatalf("MatchKey(%q) = %q but the x/text path gives %q", s, out, k)
		}
	})
}

func FuzzIdentifier(f *testing.F) {
	for i, s := range identifierInputs {
		f.Add(s, uint8(i%3))
	}
	f.Fuzz(func(t *testing.T, s string, c uint8) {
		cs := Case(c % 4) // including one unknown policy
		out, err := Identifier(s, cs)
		checkResult(t, "identifier", s, out, err, func(s string) (string, error) { return Identifier(s, cs) })
		if err == nil && len(out) > MaxIdentifierLen {
			t.Fatalf("Identifier(%q) = %q is too long", s, out)
		}
	})
}

// fuzzCodes fuzzes a normalizer of codes: besides what checkResult
// asserts, every output must satisfy wellFormed.
func fuzzCodes(f *testing.F, field string, seeds []string, normalize func(string) (string, error), wellFormed func(string) bool) {
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := normalize(s)
		checkResult(t, field, s, out, err, normalize)
		if err == nil && !wellFormed(out) {
			t.Fatalf("%s %q normalized to malformed %q", field, s, out)
		}
	})
}

func FuzzCountry(f *testing.F) {
	fuzzCodes(f, "country", countryInputs, Country, func(out string) bool {
		return len(out) == 2 && strings.ToUpper(out) == out
	})
}

func FuzzPostalCode(f *testing.F) {
	fuzzCodes(f, "postal code", postalInputs, PostalCode, func(out string) bool {
		return len(out) <= MaxPostalCodeLen
	})
}

// The ASCII shortcuts of lowerNFC and upperNFC give what x/text gives.
func FuzzCaseNFC(f *testing.F) {
	for _, s := range textInputs {
		f.Add(s)
	}
	f.Add("Aino.Virtanen@POSTI.FI")
	f.Add("\x00\x7f~Zz@[`")
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := lowerNFC(s), norm.NFC.String(cases.Lower(language.Und).String(s)); got != want {
			t.Fatalf("lowerNFC(%q) = %q, x/text gives %q", s, got, want)
		}
		if got, want := upperNFC(s), norm.NFC.String(cases.Upper(language.Und).String(s)); got != want {
			t.Fatalf("upperNFC(%q) = %q, x/text gives %q", s, got, want)
		}
	})
}
