package normalize_test

import (
	"errors"
	"fmt"

	"github.com/unifycdp/unify/normalize"
)

func ExampleEmail() {
	for _, in := range []string{"  Jane.Doe@Example.COM ", "Jane.Doe+shop@GoogleMail.com", "jane@@example.com"} {
		addr, err := normalize.Email(in, normalize.EmailOptions{ProviderRules: true})
		var e *normalize.Error
		if errors.As(err, &e) {
			fmt.Printf("%s at byte %d\n", e.Kind, e.Pos)
			continue
		}
		fmt.Println(addr)
	}
	// Output:
	// jane.doe@example.com
	// janedoe@gmail.com
	// invalid at byte 5
}

func ExamplePhone() {
	for _, in := range []string{"040 123 4567", "+49 (0)151 12345678", "00358 40 1234567", "123"} {
		e164, err := normalize.Phone(in, "FI")
		if errors.Is(err, normalize.ErrInvalidPhone) {
			fmt.Println("invalid:", in)
			continue
		}
		fmt.Println(e164)
	}
	// Output:
	// +358401234567
	// +4915112345678
	// +358401234567
	// invalid: 123
}

func ExamplePhoneNormalizer() {
	p, err := normalize.NewPhoneNormalizer(normalize.PhoneOptions{DefaultRegion: "SE"})
	if err != nil {
		panic(err)
	}
	for _, in := range []string{"070-123 45 67", "+46 70 123 45 67", "(070) 1234567"} {
		e164, err := p.Normalize(in, "") // "" is the default region, SE
		fmt.Println(e164, err)
	}
	// A region per call overrides the default.
	fmt.Println(p.Normalize("(212) 555-0100", "US"))
	// Output:
	// +46701234567 <nil>
	// +46701234567 <nil>
	// +46701234567 <nil>
	// +12125550100 <nil>
}

func ExampleMatchKey() {
	for _, in := range []string{"  JÄÄSKELÄINEN ", "Jaaskelainen", "O'Brien", "  François\tMüller"} {
		fmt.Printf("%q %q\n", normalize.Text(in), normalize.MatchKey(in))
	}
	// Output:
	// "JÄÄSKELÄINEN" "jaaskelainen"
	// "Jaaskelainen" "jaaskelainen"
	// "O'Brien" "obrien"
	// "François Müller" "francois muller"
}

func ExampleCountry() {
	for _, in := range []string{"fi", "FIN", "246", "Suomi", "Finnland", "Allemagne", "UK", "Europe"} {
		code, err := normalize.Country(in)
		if errors.Is(err, normalize.ErrUnknownCountry) {
			fmt.Println(in, "is not a country")
			continue
		}
		fmt.Println(in, code)
	}
	// Output:
	// fi FI
	// FIN FI
	// 246 FI
	// Suomi FI
	// Finnland FI
	// Allemagne DE
	// UK GB
	// Europe is not a country
}

func ExampleIdentifier() {
	id, _ := normalize.Identifier("  ab-12 ", normalize.Upper)
	fmt.Println(id)
	_, err := normalize.Identifier("ab\u200b12", normalize.Preserve)
	fmt.Println(errors.Is(err, normalize.ErrInvalid))
	// Output:
	// AB-12
	// true
}
