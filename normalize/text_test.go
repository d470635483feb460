package normalize

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"Jane Doe", "Jane Doe"},
		{"  Jane \t\n Doe  ", "Jane Doe"},
		{"Jane\u00a0\u2003Doe", "Jane Doe"},
		{"Jo\u0308rg", "Jörg"},             // NFD in, NFC out
		{"Jane\u200bDoe\u00ad", "JaneDoe"}, // invisible format characters
		{"Ja\x00ne\x1b[31m", "Jane[31m"},   // C0 controls
		{"\ufeffJane", "Jane"},             // byte order mark
		{"a\u200db", "a\u200db"},           // ZWJ is kept
		{"bad\xffbyte", "bad\ufffdbyte"},   // invalid UTF-8
		{"O'Brien-Smith, Jr.", "O'Brien-Smith, Jr."},
		{"\u2028line\u2029para", "line para"},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, Text(tt.in)); diff != "" {
			t.Errorf("Text(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestMatchKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"  JÄÄSKELÄINEN ", "jaaskelainen"},
		{"Jaaskelainen", "jaaskelainen"},
		{"O'Brien", "obrien"},
		{"Ångström", "angstrom"},
		{"Straße", "strasse"},
		{"François  Müller", "francois muller"},
		{"Søren", "søren"}, // ø has no decomposition
		{"ΟΔΥΣΣΕΥΣ", "οδυσσευσ"},
		{"Jean - Luc", "jean luc"},
		{"İstanbul", "istanbul"},
		{"", ""},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, MatchKey(tt.in)); diff != "" {
			t.Errorf("MatchKey(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestIdentifier(t *testing.T) {
	tests := []struct {
		in   string
		c    Case
		want result
	}{
		{"  AbC-123 ", Preserve, ok("AbC-123")},
		{"AbC-123", Lower, ok("abc-123")},
		{"AbC-123", Upper, ok("ABC-123")},
		{"straße", Upper, ok("STRASSE")},
		{"Cafe\u0301", Preserve, ok("Café")},
		{"a b", Preserve, ok("a b")},
		{"", Preserve, fails(KindEmpty, -1)},
		{" \t ", Lower, fails(KindEmpty, -1)},
		{" a\tb", Preserve, fails(KindInvalid, 2)},
		{"ab\u200b", Preserve, fails(KindInvalid, 2)},
		{"ab\xff", Preserve, fails(KindInvalid, 2)},
		{"ab", Case(9), fails(KindInvalid, -1)},
		{strings.Repeat("x", MaxIdentifierLen), Preserve, ok(strings.Repeat("x", MaxIdentifierLen))},
		{strings.Repeat("x", MaxIdentifierLen+1), Preserve, fails(KindTooLong, -1)},
		{strings.Repeat("ŉ", MaxIdentifierLen/2), Upper, fails(KindTooLong, -1)}, // ŉ (2 bytes) upper-cases to ʼN (3 bytes)
		{strings.Repeat("x", 5000), Preserve, fails(KindTooLong, -1)},
	}
	for _, tt := range tests {
		v, err := Identifier(tt.in, tt.c)
		if diff := cmp.Diff(tt.want, resultOf(t, "identifier", tt.in, v, err)); diff != "" {
			t.Errorf("Identifier(%q, %v) mismatch (-want +got):\n%s", tt.in, tt.c, diff)
		}
	}
}

func TestPostalCode(t *testing.T) {
	tests := []struct {
		in   string
		want result
	}{
		{" sw1a  1aa ", ok("SW1A 1AA")},
		{"00100", ok("00100")},
		{"12345-6789", ok("12345-6789")},
		{"h0h\t0h0", ok("H0H 0H0")},
		{"", fails(KindEmpty, -1)},
		{"  ", fails(KindEmpty, -1)},
		{"001\x0000", fails(KindInvalid, 3)},
		{strings.Repeat("1", 21), fails(KindTooLong, -1)},
	}
	for _, tt := range tests {
		v, err := PostalCode(tt.in)
		if diff := cmp.Diff(tt.want, resultOf(t, "postal code", tt.in, v, err)); diff != "" {
			t.Errorf("PostalCode(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestCountry(t *testing.T) {
	tests := []struct {
		in   string
		want result
	}{
		{"FI", ok("FI")},
		{"fi", ok("FI")},
		{"fin", ok("FI")},
		{"FIN", ok("FI")},
		{"246", ok("FI")},
		{"Finland", ok("FI")},
		{"  FINLAND ", ok("FI")},
		{"Suomi", ok("FI")},
		{"Finnland", ok("FI")},
		{"Finlande", ok("FI")},
		{"Sverige", ok("SE")},
		{"Deutschland", ok("DE")},
		{"Allemagne", ok("DE")},
		{"Россия", ok("RU")},
		{"日本", ok("JP")},
		{"cote d'ivoire", ok("CI")},
		{"UK", ok("GB")},
		{"U.S.A.", ok("US")},
		{"United States of America", ok("US")},
		{"Holland", ok("NL")},
		{"XK", ok("XK")},
		{"", fails(KindEmpty, -1)},
		{"EU", fails(KindUnknownCountry, -1)},
		{"150", fails(KindUnknownCountry, -1)},
		{"001", fails(KindUnknownCountry, -1)},
		{"ZZ", fails(KindUnknownCountry, -1)},
		{"EA", fails(KindUnknownCountry, -1)},
		{"SU", fails(KindUnknownCountry, -1)},
		{"Europe", fails(KindUnknownCountry, -1)},
		{"Atlantis", fails(KindUnknownCountry, -1)},
		{strings.Repeat("a", 200), fails(KindTooLong, -1)},
	}
	for _, tt := range tests {
		v, err := Country(tt.in)
		if diff := cmp.Diff(tt.want, resultOf(t, "country", tt.in, v, err)); diff != "" {
			t.Errorf("Country(%q) mismatch (-want +got):\n%s", tt.in, diff)
		}
	}
}

// Every country's code and English name must round-trip.
func TestCountryAll(t *testing.T) {
	rs := countries()
	if len(rs) < 245 || len(rs) > 255 {
		t.Errorf("%d countries, want about 250", len(rs))
	}
	for _, r := range rs {
		for _, in := range []string{r.String(), r.ISO3()} {
			if got, err := Country(in); got != r.String() || err != nil {
				t.Errorf("Country(%q) = %q, %v; want %q", in, got, err, r)
			}
		}
	}
}

func TestErrorMessage(t *testing.T) {
	_, err := Email("jane@@example.com", EmailOptions{})
	const want = `normalize: email "jane@@example.com": invalid: second '@' (at byte 5)`
	if diff := cmp.Diff(want, err.Error()); diff != "" {
		t.Errorf("message mismatch (-want +got):\n%s", diff)
	}
	_, err = Phone(strings.Repeat("1", 300), "FI")
	if msg := err.Error(); len(msg) > 150 || !strings.Contains(msg, "...") {
		t.Errorf("message of a long input is not shortened: %s", msg)
	}
	if !errors.Is(err, ErrTooLong) || errors.Is(err, ErrInvalid) {
		t.Errorf("errors.Is is wrong for %v", err)
	}
}

// The ASCII shortcut must agree with the x/text path on every printable
// ASCII character, alone and between letters and spaces.
func TestASCIIMatchKeyAgrees(t *testing.T) {
	for c := byte(0x20); c < 0x7f; c++ {
		for _, s := range []string{string(c), "a" + string(c) + "B", " " + string(c) + " x", "Ab " + string(c) + string(c) + " cD"} {
			if got, want := asciiMatchKey(s), unicodeMatchKey(s); got != want {
				t.Errorf("asciiMatchKey(%q) = %q, x/text path %q", s, got, want)
			}
		}
	}
}

// BenchmarkMatchKey compares the ASCII shortcut with the x/text path on
// the inputs every record brings: a country code and a name.
//
//	go test -run XXX -bench MatchKey -benchmem ./normalize
func BenchmarkMatchKey(b *testing.B) {
	for _, s := range []string{"FI", "Virtanen", "O'Brien-Smith"} {
		b.Run("ascii/"+s, func(b *testing.B) {
			for b.Loop() {
				MatchKey(s)
			}
		})
		b.Run("xtext/"+s, func(b *testing.B) {
			for b.Loop() {
				unicodeMatchKey(s)
			}
		})
	}
}

// BenchmarkEmail normalizes a mixed-case ASCII address, as most are.
//
//	go test -run XXX -bench 'Email|Identifier' -benchmem ./normalize
func BenchmarkEmail(b *testing.B) {
	for b.Loop() {
		if _, err := Email("  Aino.Virtanen@Posti.FI ", EmailOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkIdentifier lower-cases an ASCII identifier.
func BenchmarkIdentifier(b *testing.B) {
	for b.Loop() {
		if _, err := Identifier("CK-3F9A-77", Lower); err != nil {
			b.Fatal(err)
		}
	}
}
