package normalize

import (
	"sync"

	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// maxCountryLen bounds the input of Country: no country name is longer.
const maxCountryLen = 128

// countryAliases are English names in everyday use that the display tables
// do not have. Keys are match keys.
var countryAliases = map[string]string{
	"united states of america": "US",
	"america":                  "US",
	"great britain":            "GB",
	"britain":                  "GB",
	"england":                  "GB",
	"scotland":                 "GB",
	"wales":                    "GB",
	"northern ireland":         "GB",
	"holland":                  "NL",
	"the netherlands":          "NL",
	"czech republic":           "CZ",
}

// Country returns the ISO 3166-1 alpha-2 code, in upper case, of a country
// written as an alpha-2, alpha-3 or numeric code ("fi", "FIN", "246") or as
// a name in any language that golang.org/x/text/language/display has
// region names for ("Finland", "Suomi", "Finnland", "Finlande"), compared
// by MatchKey so case, accents, punctuation and extra white space do not
// matter. Deprecated codes are replaced by their successors ("UK" is
// "GB"). A few English aliases are known too ("Holland", "Great Britain").
//
// Only countries are accepted: the regions of ISO 3166-1 plus Kosovo (XK),
// not continents, economic areas ("EU", "150"), exceptional reservations
// ("EA", "IC") or the unknown region "ZZ". A name that means different
// countries in different languages is not accepted.
//
// Country fails with ErrEmpty for blank input, ErrTooLong for input over 128
// bytes and ErrUnknownCountry otherwise. Country is idempotent: its output
// is a code it accepts.
func Country(s string) (string, error) {
	const field = "country"
	if len(s) > maxCountryLen*maxScan {
		return "", newError(KindTooLong, field, s, -1, "longer than any country name")
	}
	t := Text(s)
	switch {
	case t == "":
		return "", newError(KindEmpty, field, s, -1, "")
	case len(t) > maxCountryLen:
		return "", newError(KindTooLong, field, s, -1, "longer than any country name")
	}
	key := MatchKey(t)
	if code, ok := countryCode(key); ok {
		return code, nil
	}
	if code, ok := countryNames()[key]; ok {
		return code, nil
	}
	return "", newError(KindUnknownCountry, field, s, -1, "not a country code or name")
}

// countryCode returns the alpha-2 code of a country given as an ISO 3166-1
// alpha-2, alpha-3 or numeric code in any case.
func countryCode(s string) (string, bool) {
	if len(s) < 2 || len(s) > 3 {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i] | 0x20; (c < 'a' || c > 'z') && (s[i] < '0' || s[i] > '9') {
			return "", false
		}
	}
	r, err := language.ParseRegion(s)
	if err != nil {
		return "", false
	}
	r = r.Canonicalize()
	if !isCountry(r) {
		return "", false
	}
	return r.String(), true
}

// isCountry reports whether r is a current country: a region that CLDR
// calls a country, is its own canonical form, has a UN M.49 numeric code
// (which excludes exceptional reservations such as "EA" and "EZ") and has
// an English name (which excludes withdrawn codes such as "SU").
func isCountry(r language.Region) bool {
	return r.IsCountry() && r.Canonicalize() == r && r.M49() != 0 &&
		display.English.Regions().Name(r) != ""
}

// countries lists the regions for which isCountry holds, by enumerating
// every two-letter code.
func countries() []language.Region {
	var rs []language.Region
	var b [2]byte
	for b[0] = 'A'; b[0] <= 'Z'; b[0]++ {
		for b[1] = 'A'; b[1] <= 'Z'; b[1]++ {
			r, err := language.ParseRegion(string(b[:]))
			if err == nil && isCountry(r) {
				rs = append(rs, r)
			}
		}
	}
	return rs
}

// countryNames maps the match key of every country's name in every
// language of display.Supported, and of countryAliases, to its alpha-2
// code. A key that names two different countries is left out. The table is
// built on first use and never changes afterwards.
var countryNames = sync.OnceValue(func() map[string]string {
	names := make(map[string]string, 8192)
	ambiguous := make(map[string]bool)
	add := func(key, code string) {
		if key == "" || ambiguous[key] {
			return
		}
		if prev, ok := names[key]; ok && prev != code {
			delete(names, key)
			ambiguous[key] = true
			return
		}
		names[key] = code
	}
	seen := make(map[string]bool, 8192) // names already keyed
	regions := countries()
	for _, tag := range display.Supported.Tags() {
		namer := display.Regions(tag)
		if namer == nil {
			continue
		}
		for _, r := range regions {
			name := namer.Name(r)
			id := r.String() + name
			if name == "" || seen[id] {
				continue
			}
			seen[id] = true
			add(MatchKey(name), r.String())
		}
	}
	for key, code := range countryAliases {
		if _, taken := names[key]; !taken && !ambiguous[key] {
			names[key] = code
		}
	}
	return names
})
