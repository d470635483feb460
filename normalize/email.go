package normalize

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Limits of Email, in bytes of the normalized address (RFC 5321).
const (
	// MaxEmailLen is the longest address Email returns.
	MaxEmailLen = 254
	// MaxEmailLocalLen is the longest local part (before '@') Email accepts.
	MaxEmailLocalLen = 64
	// maxLabelLen is the longest domain label.
	maxLabelLen = 63
)

// EmailOptions configures Email. The zero value lower-cases the whole
// address and applies no provider rules.
type EmailOptions struct {
	// KeepLocalCase keeps the case of the local part (before '@'). The
	// domain is always lower-cased. Almost every mail system treats the
	// local part case-insensitively, so the default lower-cases it.
	KeepLocalCase bool
	// ProviderRules applies the address rules of the large mailbox
	// providers listed in emailProviders, so that the different ways of
	// writing one mailbox normalize alike: for Gmail, dots in the local
	// part are removed and googlemail.com becomes gmail.com; for Gmail and
	// the other listed providers a "+tag" suffix of the local part is
	// removed (unless nothing would be left) and the local part is
	// lower-cased even with KeepLocalCase.
	ProviderRules bool
}

// emailProvider is how one mailbox provider treats local parts.
type emailProvider struct {
	domain     string // canonical domain, "" for the domain itself
	ignoreDots bool   // dots in the local part are not significant
}

// emailProviders is the table of providers known to ProviderRules. All of
// them deliver "name+tag@" to "name@" and ignore the case of local parts.
var emailProviders = map[string]emailProvider{
	"gmail.com":      {ignoreDots: true},
	"googlemail.com": {domain: "gmail.com", ignoreDots: true},
	"outlook.com":    {},
	"hotmail.com":    {},
	"live.com":       {},
	"msn.com":        {},
	"icloud.com":     {},
	"me.com":         {},
	"mac.com":        {},
	"fastmail.com":   {},
	"fastmail.fm":    {},
	"protonmail.com": {},
	"protonmail.ch":  {},
	"proton.me":      {},
	"pm.me":          {},
}

// Email normalizes an email address: leading and trailing white space is
// removed, the address is put in Unicode NFC, the domain is lower-cased,
// and so is the local part unless opts.KeepLocalCase. A trailing dot of the
// domain is removed. Internationalized domains keep their Unicode form
// (they are not converted to Punycode).
//
// Email accepts an unquoted local part of RFC 5322 atext characters and
// any non-ASCII letters, symbols and punctuation, with single dots between
// them, or a quoted local part ("john doe"@example.com); and a domain of
// two or more labels made of letters, digits, marks and inner hyphens,
// whose last label is not all digits. It fails with ErrEmpty for blank
// input, ErrTooLong when the local part is over MaxEmailLocalLen bytes, a
// label over 63 bytes or the address over MaxEmailLen bytes, and
// ErrInvalid for anything else it does not accept, such as address
// literals (user@[192.0.2.1]), comments, display names ("Jane
// <jane@example.com>") or a missing or second '@'.
//
// Error positions are byte offsets in the input when it was in NFC (as
// nearly all input is), else -1. Email is idempotent for fixed options.
func Email(s string, opts EmailOptions) (string, error) {
	const field = "email"
	if len(s) > maxScan*MaxEmailLen {
		return "", newError(KindTooLong, field, s, -1, "far longer than 254 bytes")
	}
	t := strings.TrimRightFunc(s, unicode.IsSpace)
	off := len(t)
	t = strings.TrimLeftFunc(t, unicode.IsSpace)
	off -= len(t)
	if t == "" {
		return "", newError(KindEmpty, field, s, -1, "")
	}
	if !norm.NFC.IsNormalString(t) {
		t = norm.NFC.String(t)
		off = -1 // positions in t are not positions in s
	}
	fail := func(k Kind, pos int, msg string) (string, error) {
		if off >= 0 && pos >= 0 {
			pos += off
		} else {
			pos = -1
		}
		return "", newError(k, field, s, pos, msg)
	}

	at, pos, msg := splitEmail(t)
	if msg != "" {
		return fail(KindInvalid, pos, msg)
	}
	local, domain := t[:at], t[at+1:]
	quoted := local[0] == '"'
	if len(local) > MaxEmailLocalLen {
		return fail(KindTooLong, 0, "local part longer than 64 bytes")
	}
	domain = strings.TrimSuffix(domain, ".")
	if k, pos, msg := checkDomain(domain); msg != "" {
		return fail(k, at+1+pos, msg)
	}

	domain = lowerNFC(domain)
	if !opts.KeepLocalCase {
		local = lowerNFC(local)
	}
	if opts.ProviderRules && !quoted {
		local, domain = applyProviderRules(local, domain)
	}
	// Lower-casing can lengthen a string ("İ" becomes "i̇").
	switch {
	case len(local) > MaxEmailLocalLen:
		return fail(KindTooLong, 0, "local part longer than 64 bytes")
	case len(local)+1+len(domain) > MaxEmailLen:
		return fail(KindTooLong, -1, "longer than 254 bytes")
	}
	if k, _, msg := checkDomain(domain); msg != "" {
		return fail(k, -1, msg+" after lower-casing")
	}
	return local + "@" + domain, nil
}

// applyProviderRules rewrites a lower-cased domain and unquoted local part
// by the rules of emailProviders.
func applyProviderRules(local, domain string) (string, string) {
	p, ok := emailProviders[domain]
	if !ok {
		return local, domain
	}
	if p.domain != "" {
		domain = p.domain
	}
	local = lowerNFC(local)
	if p.ignoreDots {
		local = strings.ReplaceAll(local, ".", "")
	}
	if i := strings.IndexByte(local, '+'); i > 0 {
		local = strings.TrimSuffix(local[:i], ".")
	}
	return local, domain
}

// splitEmail finds the '@' that separates the local part and the domain
// of t and checks the local part. On failure it returns the position and a
// description of the problem.
func splitEmail(t string) (at, pos int, msg string) {
	if t[0] == '"' {
		return splitQuoted(t)
	}
	at = strings.IndexByte(t, '@')
	switch {
	case at < 0:
		return 0, -1, "missing '@'"
	case at == 0:
		return 0, 0, "empty local part"
	}
	if i := strings.IndexByte(t[at+1:], '@'); i >= 0 {
		return 0, at + 1 + i, "second '@'"
	}
	prevDot := true // a leading dot is as bad as a double one
	for i, r := range t[:at] {
		switch {
		case r == '.':
			if prevDot {
				return 0, i, "misplaced '.' in local part"
			}
		case r < utf8.RuneSelf:
			if !isAtext(byte(r)) {
				return 0, i, "character not allowed in an unquoted local part"
			}
		case badRune(t[i:], r):
			return 0, i, "invalid UTF-8, white space or control character"
		}
		prevDot = r == '.'
	}
	if prevDot {
		return 0, at - 1, "misplaced '.' in local part"
	}
	return at, -1, ""
}

// splitQuoted is splitEmail for a local part that starts with '"'.
func splitQuoted(t string) (at, pos int, msg string) {
	for i := 1; i < len(t); {
		r, size := utf8.DecodeRuneInString(t[i:])
		switch {
		case r == '"':
			at = i + 1
			switch {
			case at == len(t) || t[at] != '@':
				return 0, at, "quoted local part not followed by '@'"
			case i == 1:
				return 0, 0, "empty local part"
			}
			if j := strings.IndexByte(t[at+1:], '@'); j >= 0 {
				return 0, at + 1 + j, "second '@'"
			}
			return at, -1, ""
		case r == '\\':
			i += size
			if i == len(t) {
				return 0, i - 1, "unterminated quoted local part"
			}
			r, size = utf8.DecodeRuneInString(t[i:])
			fallthrough
		default:
			if r != ' ' && badRune(t[i:], r) {
				return 0, i, "invalid UTF-8 or control character in quoted local part"
			}
		}
		i += size
	}
	return 0, 0, "unterminated quoted local part"
}

// badRune reports whether r, the first rune of s, is invalid UTF-8, white
// space or an invisible character (see invisible).
func badRune(s string, r rune) bool {
	if r == utf8.RuneError {
		if _, size := utf8.DecodeRuneInString(s); size == 1 {
			return true
		}
	}
	return unicode.IsSpace(r) || invisible(r) || unicode.In(r, unicode.Zl, unicode.Zp)
}

// isAtext reports whether c is an ASCII character allowed in an unquoted
// local part other than '.' (RFC 5322 atext).
func isAtext(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// checkDomain checks the label structure of a domain without trailing
// dot, returning the kind, position and description of the first problem,
// or an empty msg.
func checkDomain(d string) (k Kind, pos int, msg string) {
	switch {
	case d == "":
		return KindInvalid, 0, "empty domain"
	case d[0] == '[':
		return KindInvalid, 0, "address literals are not supported"
	}
	labels, start := 0, 0
	for start <= len(d) {
		end := strings.IndexByte(d[start:], '.')
		if end < 0 {
			end = len(d)
		} else {
			end += start
		}
		label := d[start:end]
		if k, p, msg := checkLabel(label); msg != "" {
			return k, start + p, msg
		}
		labels++
		if end == len(d) {
			if labels < 2 {
				return KindInvalid, 0, "domain has a single label"
			}
			if strings.Trim(label, "0123456789") == "" {
				return KindInvalid, start, "top-level domain is all digits"
			}
			break
		}
		start = end + 1
	}
	return 0, -1, ""
}

// checkLabel checks one domain label.
func checkLabel(l string) (k Kind, pos int, msg string) {
	switch {
	case l == "":
		return KindInvalid, 0, "empty domain label"
	case len(l) > maxLabelLen:
		return KindTooLong, 0, "domain label longer than 63 bytes"
	case l[0] == '-':
		return KindInvalid, 0, "domain label starts with '-'"
	case l[len(l)-1] == '-':
		return KindInvalid, len(l) - 1, "domain label ends with '-'"
	}
	for i, r := range l {
		switch {
		case r == '-', 'a' <= r && r <= 'z', 'A' <= r && r <= 'Z', '0' <= r && r <= '9':
		case r < utf8.RuneSelf:
			return KindInvalid, i, "character not allowed in a domain"
		case r == utf8.RuneError:
			return KindInvalid, i, "invalid UTF-8 in domain"
		case unicode.IsMark(r):
			if i == 0 {
				return KindInvalid, i, "domain label starts with a combining mark"
			}
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			return KindInvalid, i, "character not allowed in a domain"
		}
	}
	return 0, -1, ""
}
