package normalize

import (
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// Inputs of the golden files, also the seeds of the fuzz targets.
var (
	emailInputs = []string{
		"jane@example.com", "  Jane.Doe@Example.COM ", "JÖRG@BÜCHER.DE", "jo\u0308rg@bu\u0308cher.de",
		`"John Doe"@example.com`, `"a\"b"@Example.com`, "o'brien+news@example.co.uk",
		"Jane.Doe+shop@GoogleMail.com", "J.A.N.E@gmail.com", "jane+x@Outlook.com", "jane.+x@icloud.com",
		"+x@gmail.com", "jane@example.com.", "x@xn--bcher-kva.de", "用户@例子.广告", "İ@example.com",
		"", "jane", "@example.com", "jane@", "jane@@example.com", "jane doe@example.com",
		".jane@example.com", "ja..ne@example.com", "Jane <jane@example.com>", "jane@example",
		"jane@example..com", "jane@-example.com", "jane@192.168.0.1", "jane@[192.168.0.1]",
		"ja\x00ne@example.com", "ja\xffne@example.com", "jane\u200b@example.com", `"jane@example.com`,
		strings.Repeat("a", 65) + "@example.com", "jane@" + strings.Repeat("a", 64) + ".com",
	}
	textInputs = []string{
		"", "Jane Doe", "  Jane \t\n Doe  ", "Jane\u00a0\u2003Doe", "Jo\u0308rg", "Jane\u200bDoe\u00ad",
		"Ja\x00ne\x1b[31m", "\ufeffJane", "a\u200db", "bad\xffbyte", "O'Brien-Smith, Jr.",
		"  JÄÄSKELÄINEN ", "Jaaskelainen", "Ångström", "Straße", "Søren", "ΟΔΥΣΣΕΥΣ", "İstanbul",
		"Nguyễn Thị Minh Khai", "Đorđe", "Łukasz Żółw", "山田 太郎", "محمد", "ﬁnance", "ＡＢＣ",
	}
	identifierInputs = []string{
		"", "  AbC-123 ", "straße", "Cafe\u0301", "a b", " a\tb", "ab\u200b", "ab\xff", "İd", "ŉ",
		"550e8400-E29B-41d4-A716-446655440000", "ＡＢＣ", strings.Repeat("x", 257),
	}
	postalInputs = []string{
		"", " sw1a  1aa ", "00100", "12345-6789", "h0h\t0h0", "001\x0000", "ec1a 1bb", "ß1",
		strings.Repeat("1", 21),
	}
	countryInputs = []string{
		"", "FI", "fi", "fin", "FIN", "246", "Finland", "  FINLAND ", "Suomi", "Finnland", "Finlande",
		"Sverige", "Deutschland", "Allemagne", "Россия", "日本", "cote d'ivoire", "UK", "U.S.A.",
		"Holland", "XK", "EU", "150", "001", "ZZ", "EA", "SU", "Europe", "Atlantis", "Congo",
		"Georgia", "Korea", "Macedonia", "Swaziland", "Eswatini", "Czechia", "Czech Republic",
	}
)

// phoneInputs are a number of each country in every format, and the
// garbage.
func phoneInputs() []string {
	r := rand.New(rand.NewPCG(7, 7))
	var in []string
	for _, p := range phonePlans {
		nsn, lens := p.nsn(r)
		in = append(in, phoneFormats(p, nsn, lens)...)
	}
	return append(in, phoneGarbage...)
}

// golden compares the lines written by render with testdata/name.golden,
// or rewrites the file with -update.
func golden(t *testing.T, name string, render func(w *strings.Builder)) {
	t.Helper()
	var b strings.Builder
	render(&b)
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), b.String()); diff != "" {
		t.Errorf("%s differs (-want +got); if the change is intended, run go test -update:\n%s", path, diff)
	}
}

// line writes one golden line: the input, and the output or the error's
// kind and position.
func line(w *strings.Builder, in, v string, err error) {
	var e *Error
	switch {
	case err == nil:
		fmt.Fprintf(w, "%q\t%q\n", in, v)
	case errors.As(err, &e):
		fmt.Fprintf(w, "%q\terror: %s at %d\n", in, e.Kind, e.Pos)
	default:
		fmt.Fprintf(w, "%q\tuntyped error: %v\n", in, err)
	}
}

func TestGolden(t *testing.T) {
	golden(t, "email", func(w *strings.Builder) {
		for _, o := range []EmailOptions{{}, {KeepLocalCase: true}, {ProviderRules: true}} {
			fmt.Fprintf(w, "# %+v\n", o)
			for _, in := range emailInputs {
				v, err := Email(in, o)
				line(w, in, v, err)
			}
		}
	})
	golden(t, "phone", func(w *strings.Builder) {
		for _, region := range []string{"FI", "US", ""} {
			fmt.Fprintf(w, "# region %q\n", region)
			for _, in := range phoneInputs() {
				v, err := Phone(in, region)
				line(w, in, v, err)
			}
		}
	})
	golden(t, "text", func(w *strings.Builder) {
		for _, in := range textInputs {
			line(w, in, Text(in), nil)
		}
	})
	golden(t, "matchkey", func(w *strings.Builder) {
		for _, in := range textInputs {
			line(w, in, MatchKey(in), nil)
		}
	})
	golden(t, "identifier", func(w *strings.Builder) {
		for _, c := range []Case{Preserve, Lower, Upper} {
			fmt.Fprintf(w, "# case %d\n", c)
			for _, in := range identifierInputs {
				v, err := Identifier(in, c)
				line(w, in, v, err)
			}
		}
	})
	golden(t, "postalcode", func(w *strings.Builder) {
		for _, in := range postalInputs {
			v, err := PostalCode(in)
			line(w, in, v, err)
		}
	})
	golden(t, "country", func(w *strings.Builder) {
		for _, in := range countryInputs {
			v, err := Country(in)
			line(w, in, v, err)
		}
	})
}
