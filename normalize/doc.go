// Package normalize turns the values that sources send about a customer
// (email addresses, phone numbers, names, identifiers, countries, postal
// codes) into canonical strings, so that the same value written in
// different ways compares equal when identities are resolved.
//
// Every normalizer is a pure function of its input (no I/O, no global
// mutable state) and is idempotent: normalizing its own output changes
// nothing. Free text has two forms: the display form of Text, which keeps
// case, accents and punctuation and only cleans up Unicode form, white
// space and invisible characters, and the match key of MatchKey, which is
// for comparing and indexing only (case-folded, without accents or
// punctuation). Normalizers that can reject input return an *Error that
// names the field, repeats the input, gives the byte offset of the problem
// where it is known, and wraps one of the sentinels ErrEmpty, ErrTooLong,
// ErrInvalid, ErrInvalidPhone or ErrUnknownCountry; test for them with
// errors.Is and errors.As, never by message.
//
// Phone numbers are parsed and validated by github.com/nyaruka/phonenumbers
// and returned in E.164 form. Phone calls it every time; a PhoneNormalizer
// gives the same answers but caches them, keyed by a compact form of the
// input, and is much faster on streams where numbers recur; for simple
// input it also answers a cache miss without phonenumbers' parser, about
// thirty times faster, which matters for bulk imports where most numbers
// are new.
//
//	email, err := normalize.Email(" Jane.Doe+news@GoogleMail.com", normalize.EmailOptions{ProviderRules: true})
//	// "janedoe@gmail.com"
//	phones, err := normalize.NewPhoneNormalizer(normalize.PhoneOptions{DefaultRegion: "FI"})
//	e164, err := phones.Normalize("040 123 4567", "") // "+358401234567"
//	key := normalize.MatchKey("  JÄÄSKELÄINEN ")        // "jaaskelainen", as for "Jaaskelainen"
//	code, err := normalize.Country("Suomi")              // "FI"
//
// # Caveats
//
//   - Normalizing does not judge whether a value is a placeholder
//     ("test@test.com", "0000000000"): blocking such values is a policy of
//     the identity layer.
//   - Email checks syntax, not deliverability. Internationalized domains
//     keep their Unicode form and are not converted to or from Punycode, so
//     "bücher.de" and "xn--bcher-kva.de" stay different. Address literals,
//     comments and display names are rejected rather than parsed.
//     Lower-casing the local part is right for nearly every mailbox but not
//     guaranteed by the standard; see EmailOptions.KeepLocalCase.
//   - Provider rules encode what a few large providers do today; they are a
//     small table, not a guarantee.
//   - Phone numbers are only as good as the metadata of the phonenumbers
//     version in go.mod: an upgrade can make a number valid or invalid or
//     change its parsing. The golden files in testdata pin the current
//     behaviour so that such a change is noticed. Extensions are dropped.
//   - The fast path of a PhoneNormalizer cache miss re-implements the part
//     of phonenumbers' parsing and validation that concerns a string of
//     digits, reading phonenumbers' own metadata; it is tied to the
//     phonenumbers version in go.mod (v1.8.1) and must be checked again on
//     an upgrade: the cold-corpus test (about half a million first-seen
//     numbers of every region) and FuzzPhone compare it with phonenumbers.
//     It defers to phonenumbers for any input that is not simple and for
//     metadata it cannot compile (none in v1.8.1); national prefix
//     transform rules (AR, BR, MX...) and ambiguous prefix matches use the
//     same regular expressions as phonenumbers and are slower.
//   - MatchKey removes nonspacing marks and so conflates names that differ
//     only by accents ("Müller" and "Muller"), while letters without a
//     decomposition stay apart ("Søren" and "Soren"). It does not fold
//     width, so full-width "ＡＢＣ" and "abc" differ. It works around a
//     golang.org/x/text bug that folded Cherokee letters back and forth.
//   - Country knows the names that golang.org/x/text/language/display has,
//     which follow an older CLDR ("Swaziland" but not "Eswatini"); the name
//     table is built on first use, which takes a few hundred milliseconds.
//     Names that mean different countries in different languages are not
//     accepted.
//   - Error messages quote (a prefix of) the input, which may be personal
//     data: log them accordingly.
package normalize
