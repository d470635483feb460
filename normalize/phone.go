package normalize

import (
	"errors"
	"strconv"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// maxPhoneLen is the longest input the phone normalizers read; it is
// phonenumbers' own limit.
const maxPhoneLen = 250

// phoneReason is the outcome of parsing a phone number: success or why it
// failed. It is what the cache of PhoneNormalizer stores besides the
// E.164 form.
type phoneReason uint8

const (
	phoneOK phoneReason = iota
	phoneNotANumber
	phoneBadCountryCode
	phoneTooShort
	phoneTooLong
	phoneNotValid
)

// phoneDetails are the Err of an *Error for each failing phoneReason.
var phoneDetails = [...]string{
	phoneNotANumber:     "not a phone number",
	phoneBadCountryCode: "unknown country calling code, or no region to read a national number in",
	phoneTooShort:       "too short",
	phoneTooLong:        "too long",
	phoneNotValid:       "not a valid number",
}

// phoneResult is the outcome of parsing one input in one region.
type phoneResult struct {
	e164   string
	reason phoneReason
}

// value returns the result as Phone returns it, with errors about input s.
func (r phoneResult) value(s string) (string, error) {
	if r.reason == phoneOK {
		return r.e164, nil
	}
	return "", newError(KindInvalidPhone, "phone", s, -1, phoneDetails[r.reason])
}

// parsePhone parses s in region with phonenumbers: it is the reference
// that the cache of PhoneNormalizer must agree with. Errors are translated
// here and phonenumbers' types go no further.
func parsePhone(s, region string) phoneResult {
	num, err := phonenumbers.Parse(s, region)
	switch {
	case err == nil:
	case errors.Is(err, phonenumbers.ErrInvalidCountryCode):
		return phoneResult{reason: phoneBadCountryCode}
	case errors.Is(err, phonenumbers.ErrTooShortNSN), errors.Is(err, phonenumbers.ErrTooShortAfterIDD):
		return phoneResult{reason: phoneTooShort}
	case errors.Is(err, phonenumbers.ErrNumTooLong):
		return phoneResult{reason: phoneTooLong}
	default:
		return phoneResult{reason: phoneNotANumber}
	}
	if !phonenumbers.IsValidNumber(num) {
		return phoneResult{reason: phoneNotValid}
	}
	return phoneResult{e164: phonenumbers.Format(num, phonenumbers.E164)}
}

// phoneRegions maps every region code phonenumbers has metadata for, in
// upper case, to itself as a string.
var phoneRegions = sync.OnceValue(func() map[[2]byte]string {
	m := make(map[[2]byte]string, 256)
	for r := range phonenumbers.GetSupportedRegions() {
		if len(r) == 2 {
			m[[2]byte{r[0], r[1]}] = r
		}
	}
	return m
})

// phoneRegion returns the canonical (upper-case) form of region, an ISO
// 3166-1 alpha-2 code in any case, or an error about input s of field if
// phonenumbers has no metadata for it. The empty region is allowed: then
// only numbers in international format (with a leading '+') parse.
func phoneRegion(field, s, region string) (string, error) {
	if region == "" {
		return "", nil
	}
	if len(region) == 2 {
		if r, ok := phoneRegions()[[2]byte{upperASCII(region[0]), upperASCII(region[1])}]; ok {
			return r, nil
		}
	}
	return "", newError(KindUnknownCountry, field, s, -1, "no phone metadata for region "+strconv.Quote(region))
}

func upperASCII(c byte) byte {
	if 'a' <= c && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// phoneInputError checks what the phone normalizers check before parsing.
func phoneInputError(s string) error {
	switch {
	case len(s) > maxPhoneLen:
		return newError(KindTooLong, "phone", s, -1, "longer than 250 bytes")
	case strings.TrimSpace(s) == "":
		return newError(KindEmpty, "phone", s, -1, "")
	}
	return nil
}

// Phone parses s as a phone number written as people and systems write
// them ("040 123 4567", "(040) 123-4567", "+358 40 123 4567",
// "00358 40 1234567", "+49 (0)151 12345678", "tel:+358401234567", with
// extensions and letters too) and returns it in E.164 form
// ("+358401234567"). A number without country calling code is read as a
// number of region, an ISO 3166-1 alpha-2 code in any case; with region ""
// only international numbers (with '+') are accepted. An extension, if
// any, is dropped.
//
// Parsing and validation are those of github.com/nyaruka/phonenumbers (a
// port of Google's libphonenumber). Phone fails with ErrUnknownCountry for
// a region it has no metadata for, ErrEmpty for blank input, ErrTooLong for
// input over 250 bytes and ErrInvalidPhone for input that does not parse
// or is not a valid number (a possible but unassigned number is not
// valid: it is an error, not a guess).
//
// Phone is idempotent: its output normalizes to itself in every region.
// To normalize many numbers, use a PhoneNormalizer, which caches.
func Phone(s, region string) (string, error) {
	reg, err := phoneRegion("phone", s, region)
	if err != nil {
		return "", err
	}
	if err := phoneInputError(s); err != nil {
		return "", err
	}
	return parsePhone(s, reg).value(s)
}

// DefaultPhoneCacheSize is the number of results a PhoneNormalizer caches
// when PhoneOptions.CacheSize is 0.
const DefaultPhoneCacheSize = 1 << 16

// PhoneOptions configures a PhoneNormalizer. The zero value has no default
// region and a cache of DefaultPhoneCacheSize results.
type PhoneOptions struct {
	// DefaultRegion is the region used when Normalize is called with
	// region "". If it too is "", only international numbers parse.
	DefaultRegion string
	// CacheSize bounds the number of results held in the cache: 0 means
	// DefaultPhoneCacheSize and a negative size disables the cache.
	CacheSize int
}

// A PhoneNormalizer does what Phone does, faster when the same numbers
// recur: it reduces input that consists only of digits, a leading '+',
// spaces, and the punctuation - . ( ) / (optionally after "tel:") to a
// compact key of the region, the '+' and the digits, and caches the result
// of each key, failures included. These characters cannot change how
// phonenumbers reads a number, so all inputs with one key have one
// result. Any other input (letters, extensions, non-ASCII digits) goes to
// phonenumbers uncached.
//
// On a cache miss (and always when the cache is disabled) the result of a
// key is not computed by phonenumbers.Parse but by a fast path that
// repeats, for a string of digits, each step phonenumbers takes
// (international and national prefixes, country codes, possible lengths,
// number types) against the same metadata, with its patterns compiled to
// automata over the digits; it costs a fraction of a microsecond instead
// of the 10 to 20 µs of Parse and IsValidNumber, for every region.
// phonefast.go explains why its results, failures included, are those of
// phonenumbers and where it defers to phonenumbers instead.
//
// A PhoneNormalizer is safe for concurrent use. Its cache is bounded and
// belongs to it alone.
type PhoneNormalizer struct {
	region string
	cache  *phoneCache // nil when disabled
}

// NewPhoneNormalizer returns a PhoneNormalizer with options opts. It fails
// with ErrUnknownCountry if opts.DefaultRegion is not a region that phone
// metadata exists for.
func NewPhoneNormalizer(opts PhoneOptions) (*PhoneNormalizer, error) {
	reg, err := phoneRegion("region", opts.DefaultRegion, opts.DefaultRegion)
	if err != nil {
		return nil, err
	}
	p := &PhoneNormalizer{region: reg}
	switch {
	case opts.CacheSize == 0:
		p.cache = newPhoneCache(DefaultPhoneCacheSize)
	case opts.CacheSize > 0:
		p.cache = newPhoneCache(opts.CacheSize)
	}
	return p, nil
}

// maxPhoneKey is the longest compact key that is cached; longer input
// bypasses the cache. It leaves room for a region, a separator, a '+' and
// more digits than any valid number has.
const maxPhoneKey = 48

// Normalize returns the E.164 form of s read in region, or in the default
// region when region is "". It returns exactly what Phone(s, region) does,
// errors included.
func (p *PhoneNormalizer) Normalize(s, region string) (string, error) {
	reg := p.region
	if region != "" {
		var err error
		if reg, err = phoneRegion("phone", s, region); err != nil {
			return "", err
		}
	}
	if err := phoneInputError(s); err != nil {
		return "", err
	}
	var buf [maxPhoneKey]byte
	key, ok := phoneKey(buf[:0], s, reg)
	if !ok {
		return parsePhone(s, reg).value(s)
	}
	if p.cache != nil {
		if res, ok := p.cache.get(key); ok {
			return res.value(s)
		}
	}
	k := string(key)
	res, ok := fastPhone(k[len(reg)+1:], reg)
	if !ok {
		res = parsePhone(s, reg)
	}
	if p.cache != nil {
		p.cache.put(k, res)
	}
	return res.value(s)
}

// phoneKey appends to buf the compact key of s read in region and reports
// whether s is simple enough to have one.
//
// The key is region ":" ["+"] digits. It is sound because of how
// phonenumbers reads such input: it skips everything before the first '+'
// or digit ("tel:", "(") and after the last digit; the characters
// " -.()/" are punctuation, which it drops, and can neither start an
// extension (that takes a letter, '#', ',', ';' or '~') nor a second
// number (that takes 'x'); with three or more digits such a string is
// always a "viable" number; a '+' counts only before the digits. What is
// left, and all that its result depends on, is the region, whether there
// was a '+', and the digits in order, which keeps "+49 (0)151" as
// "+490151" exactly as phonenumbers sees it. Input over maxPhoneLen
// bytes, which phonenumbers rejects by length, never reaches here.
func phoneKey(buf []byte, s, region string) ([]byte, bool) {
	buf = append(buf, region...)
	buf = append(buf, ':')
	if len(s) >= 4 && (s[0]|0x20) == 't' && (s[1]|0x20) == 'e' && (s[2]|0x20) == 'l' && s[3] == ':' {
		s = s[4:]
	}
	plus, digits := false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '-', '.', '(', ')', '/':
		case '+':
			if plus || digits > 0 {
				return nil, false
			}
			plus = true
			buf = append(buf, '+')
		default:
			if c < '0' || c > '9' || len(buf) >= maxPhoneKey {
				return nil, false
			}
			buf = append(buf, c)
			digits++
		}
	}
	return buf, digits >= 3
}
