package normalize

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Case is the case policy of Identifier.
type Case uint8

// The case policies of Identifier.
const (
	// Preserve keeps the case of the input, for identifiers where case is
	// significant (most system-generated ids, tokens, cookies).
	Preserve Case = iota
	// Lower lower-cases with the Unicode default (language-neutral)
	// mapping, for identifiers compared without regard to case.
	Lower
	// Upper upper-cases with the Unicode default mapping, for codes
	// conventionally written in capitals (loyalty cards, vouchers).
	Upper
)

const (
	// MaxIdentifierLen is the limit, in bytes after normalization, of
	// the output of Identifier.
	MaxIdentifierLen = 256
	// MaxPostalCodeLen is the limit, in bytes after normalization, of
	// the output of PostalCode.
	MaxPostalCodeLen = 20
	// maxScan bounds the input that is examined at all, as a multiple of
	// an output limit: input over it is too long whatever it contains.
	maxScan = 4
)

// Identifier normalizes a general identifier such as a customer number, a
// loyalty card number or a device id: leading and trailing white space
// removed, Unicode NFC, then the case policy c applied. Inner white space
// is kept as it is.
//
// It fails with ErrEmpty for empty or blank input, ErrInvalid for invalid
// UTF-8, a control character, a format character (such as U+200B ZERO
// WIDTH SPACE) or a line or paragraph separator, and with ErrTooLong when
// the result is over MaxIdentifierLen bytes. An unknown Case is
// ErrInvalid. Identifier is idempotent for every Case.
func Identifier(s string, c Case) (string, error) {
	const field = "identifier"
	if c > Upper {
		return "", newError(KindInvalid, field, s, -1, "unknown case policy")
	}
	t, err := cleanCode(field, s, MaxIdentifierLen, false)
	if err != nil {
		return "", err
	}
	switch c {
	case Lower:
		t = lowerNFC(t)
	case Upper:
		t = upperNFC(t)
	}
	if len(t) > MaxIdentifierLen {
		return "", newError(KindTooLong, field, s, -1, "longer than 256 bytes")
	}
	return t, nil
}

// PostalCode normalizes a postal code: leading and trailing white space
// removed, inner runs of white space replaced by one space, Unicode NFC
// and upper case: " sw1a  1aa" becomes "SW1A 1AA". It does not check the
// code against any country's format.
//
// It fails with ErrEmpty for empty or blank input, ErrInvalid for invalid
// UTF-8 or a control or format character, and ErrTooLong when the result
// is over MaxPostalCodeLen bytes. PostalCode is idempotent.
func PostalCode(s string) (string, error) {
	const field = "postal code"
	t, err := cleanCode(field, s, MaxPostalCodeLen, true)
	if err != nil {
		return "", err
	}
	t = upperNFC(t)
	if len(t) > MaxPostalCodeLen {
		return "", newError(KindTooLong, field, s, -1, "longer than 20 bytes")
	}
	return t, nil
}

// cleanCode is the common part of Identifier and PostalCode: it rejects
// what cannot be in a code, trims white space (collapsing inner runs of
// it when collapse is set) and returns the NFC form. Positions in errors
// are offsets in s.
func cleanCode(field, s string, limit int, collapse bool) (string, error) {
	if len(s) > maxScan*limit {
		return "", newError(KindTooLong, field, s, -1, "input far over the length limit")
	}
	t := strings.TrimSpace(s)
	if t == "" {
		return "", newError(KindEmpty, field, s, -1, "")
	}
	start := len(s) - len(strings.TrimLeftFunc(s, unicode.IsSpace))
	for i, r := range t {
		bad := ""
		switch {
		case r == utf8.RuneError:
			if _, size := utf8.DecodeRuneInString(t[i:]); size == 1 {
				bad = "invalid UTF-8"
			}
		case collapse && unicode.IsSpace(r):
		case invisible(r) || r == zwj || r == zwnj || unicode.In(r, unicode.Zl, unicode.Zp):
			bad = "control or invisible character"
		}
		if bad != "" {
			return "", newError(KindInvalid, field, s, start+i, bad)
		}
	}
	if collapse {
		t = strings.Join(strings.Fields(t), " ")
	}
	return norm.NFC.String(t), nil
}
