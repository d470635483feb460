package normalize

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/language"
	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// folder case-folds. A Fold Caser is stateless and safe for concurrent use
// (unlike Lower and Upper Casers, which are made per call).
var folder = cases.Fold()

const (
	zwnj = '\u200C' // zero width non-joiner: meaningful in Persian, Indic scripts
	zwj  = '\u200D' // zero width joiner: meaningful in emoji and Indic scripts
)

// invisible reports whether r is a control or format character that Text
// removes: C0 and C1 controls (other than white space, which Text turns
// into spaces) and format characters such as U+200B ZERO WIDTH SPACE,
// U+00AD SOFT HYPHEN, U+FEFF BYTE ORDER MARK and the bidirectional
// controls, except ZWJ and ZWNJ.
func invisible(r rune) bool {
	if r < utf8.RuneSelf {
		return r < 0x20 || r == 0x7f
	}
	return unicode.IsControl(r) || (unicode.Is(unicode.Cf, r) && r != zwj && r != zwnj)
}

// cherokeeFold corrects the output of cases.Fold for Cherokee, which it
// swaps between upper and lower case (so folding twice undoes it).
// Unicode's CaseFolding.txt folds Cherokee to upper case, which this
// restores. The mapping is stateless.
var cherokeeFold = runes.Map(func(r rune) rune {
	if r >= 0x13a0 && unicode.Is(unicode.Cherokee, r) {
		return unicode.ToUpper(r)
	}
	return r
})

// Text returns the display form of free text such as a name: invalid UTF-8
// replaced by U+FFFD, control and invisible format characters removed,
// Unicode NFC, leading and trailing white space removed and every inner
// run of white space (including tabs, newlines and no-break spaces)
// replaced by one ASCII space. Case, accents and punctuation are kept.
//
// Text never fails: every string has a display form, possibly "".
// Text is idempotent.
func Text(s string) string {
	if isPlainASCII(s) {
		return collapseSpace(s)
	}
	s = strings.ToValidUTF8(s, string(utf8.RuneError))
	s = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r):
			return ' '
		case invisible(r):
			return -1
		}
		return r
	}, s)
	return collapseSpace(norm.NFC.String(s))
}

// isPlainASCII reports whether s is printable ASCII, in which case
// Text has only white space to collapse.
func isPlainASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// collapseSpace trims s and replaces inner runs of white space by one
// space, returning s itself when there is nothing to change.
func collapseSpace(s string) string {
	clean := true
	prevSpace := true // a leading space needs work too
	for i := 0; i < len(s); i++ {
		c := s[i]
		space := c == ' '
		if (space && prevSpace) || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' || c >= utf8.RuneSelf {
			clean = false
			break
		}
		prevSpace = space
	}
	if clean && !prevSpace {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}

// MatchKey returns the match key of free text such as a name: its display
// form (see Text), case-folded with cases.Fold, with nonspacing marks
// (accents, diacritics) and punctuation removed, and white space collapsed
// again. Two strings that a person would call the same name usually have
// the same key: "  JÄÄSKELÄINEN " and "Jaaskelainen" share "jaaskelainen",
// "O'Brien" and "OBRIEN" share "obrien".
//
// A match key is for comparing and indexing, never for display. It is
// lossy by design: letters that are not decomposed into a base letter and
// a mark keep their identity ("ø" stays "ø", "ß" folds to "ss").
// MatchKey never fails and is idempotent.
func MatchKey(s string) string {
	if isPlainASCII(s) {
		return asciiMatchKey(s)
	}
	return unicodeMatchKey(s)
}

// asciiMatchKey is MatchKey for printable ASCII, where folding is lower
// casing and there are no marks: a country code or an English name on
// every record should not pay for five transformers.
func asciiMatchKey(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case unicode.IsPunct(rune(c)):
			continue
		}
		b = append(b, c)
	}
	return collapseSpace(string(b))
}

func unicodeMatchKey(s string) string {
	t := folder.String(Text(s))
	// The chain is stateful, so it is made per call.
	t, _, _ = transform.String(transform.Chain(
		cherokeeFold,
		norm.NFD,
		runes.Remove(runes.In(unicode.Mn)),
		runes.Remove(runes.In(unicode.P)),
		norm.NFC,
	), t)
	return collapseSpace(t)
}

// lowerNFC is NFC of the Unicode lower case of s (language-neutral). ASCII
// is lower-cased byte by byte: x/text's caser and normalizer cost an
// allocation or two and a few hundred nanoseconds even for ASCII, on every
// email and identifier of every record.
func lowerNFC(s string) string {
	if isASCII(s) {
		return asciiCase(s, 'A', 'Z', 'a'-'A')
	}
	return norm.NFC.String(cases.Lower(language.Und).String(s))
}

// upperNFC is lowerNFC for upper case.
func upperNFC(s string) string {
	if isASCII(s) {
		return asciiCase(s, 'a', 'z', 'A'-'a')
	}
	return norm.NFC.String(cases.Upper(language.Und).String(s))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// asciiCase shifts the bytes of s in [lo, hi] by delta; s itself when none is.
func asciiCase(s string, lo, hi byte, delta int) string {
	i := 0
	for i < len(s) && (s[i] < lo || s[i] > hi) {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if c := b[i]; c >= lo && c <= hi {
			b[i] = byte(int(c) + delta)
		}
	}
	return string(b)
}
