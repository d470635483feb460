package normalize

import (
	"regexp"
	"strconv"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// The fast path of PhoneNormalizer: on a cache miss, the result of a
// compact key (see phoneKey) is computed here instead of by
// phonenumbers.Parse and IsValidNumber, which cost several microseconds a
// number because they run a dozen regular expressions over the raw input
// and the national number.
//
// Why it is identical. For a compact key, the raw-input stages of
// phonenumbers' parseHelper are settled before we get here (see phoneKey):
// the possible number is the '+' if any followed by the digits, it is
// viable, it has no extension and no RFC 3966 parameters, and normalizing
// it keeps exactly its ASCII digits. What remains is reproduced below step
// by step, in the same order and with the same conditions, from the same
// metadata (phonenumbers.MetadataCollection, which phonenumbers itself
// loads): checkRegionForParsing, maybeExtractCountryCode (the '+', the
// region's international prefix, a 0 after it, country codes of one to
// three digits, the default country code followed by a national number,
// and parseHelper's retry without the '+' after an invalid country code),
// maybeStripNationalPrefixAndCarrierCode (with its viability checks),
// testNumberLength, the NSN length limits, the Italian leading zeros,
// GetRegionCodeForNumber (leading digits, or the number type, for calling
// codes shared by several regions), IsValidNumberForRegion and
// getNumberTypeHelper (each description's possible lengths, then its
// pattern), and E.164 formatting. The national significant number that
// phonenumbers rebuilds from NationalNumber and the leading-zero fields is
// always the digit string itself, so the E.164 form is "+", the country
// code and that string.
//
// Every pattern is matched with a digitDFA compiled from the very string
// phonenumbers hands to regexp ("^(?:" + pattern + ")$" and so on), which
// answers exactly as regexp does for strings of digits. Where phonenumbers
// depends on which match regexp prefers rather than on whether one exists
// (the end of an international or national prefix), the automaton's
// answer is used only when all matches end at the same place; otherwise,
// and for national prefix transform rules (AR, BR, MX...), the same
// regexp that phonenumbers uses is run on the same string. The result is
// a phoneReason as parsePhone would return it, so errors are the same
// *Error values.
//
// Where it falls back (fastPhone reports false and the caller runs
// parsePhone): metadata whose patterns cannot be compiled to a digit
// automaton (empty-width assertions other than ^ and $, more than
// maxDFAStates states), a calling code without metadata, and a transform
// rule that yields something other than digits. None of these occurs in
// the metadata of phonenumbers v1.8.1 (TestPhoneFastCoversAllMetadata).

// phoneMeta is the metadata of one region (or non-geographical calling
// code) prepared for the fast path.
type phoneMeta struct {
	id    string
	cc    int
	ccStr string

	idd   *digitDFA      // the international prefix, as regexFor(prefix)
	iddRE *regexp.Regexp // the same, for an ambiguous end

	npp       *digitDFA // "^(?:" + NationalPrefixForParsing + ")"; nil if none
	nppRE     *regexp.Regexp
	transform string

	general   *digitDFA // "^(?:" + general pattern + ")$"
	lengths   []int32   // possible lengths of the general description
	localOnly []int32   // its local-only lengths

	leading *digitDFA // "^(?:" + LeadingDigits + ")"; nil if none

	generalDesc, fixed, mobile descMatch
	others                     []descMatch // premium rate to voicemail
	sameMobileAndFixed         bool
}

// descMatch is isNumberMatchingDesc for one PhoneNumberDesc.
type descMatch struct {
	anyLength bool   // no possible lengths: the pattern decides
	lengths   uint64 // bit l: length l is possible
	pattern   *digitDFA
}

func (d descMatch) match(nsn string) bool {
	if !d.anyLength && (len(nsn) >= 64 || d.lengths&(1<<len(nsn)) == 0) {
		return false
	}
	return d.pattern.full(nsn)
}

// dfaCache shares the automata of patterns that several regions have.
var dfaCache struct {
	sync.Mutex
	m map[string]*digitDFA
}

func cachedDFA(expr string) (*digitDFA, error) {
	dfaCache.Lock()
	defer dfaCache.Unlock()
	if d, ok := dfaCache.m[expr]; ok {
		return d, nil
	}
	d, err := compileDigitDFA(expr)
	if err != nil {
		return nil, err
	}
	if dfaCache.m == nil {
		dfaCache.m = make(map[string]*digitDFA)
	}
	dfaCache.m[expr] = d
	return d, nil
}

// newPhoneMeta prepares md, or returns nil if the fast path cannot serve it.
func newPhoneMeta(md *phonenumbers.PhoneMetadata) *phoneMeta {
	if md == nil {
		return nil
	}
	m := &phoneMeta{
		id:                 md.GetId(),
		cc:                 int(md.GetCountryCode()),
		ccStr:              strconv.Itoa(int(md.GetCountryCode())),
		transform:          md.GetNationalPrefixTransformRule(),
		sameMobileAndFixed: md.GetSameMobileAndFixedLinePattern(),
	}
	var err error
	compile := func(expr string) *digitDFA {
		if err != nil {
			return nil
		}
		var d *digitDFA
		d, err = cachedDFA(expr)
		return d
	}
	compileRE := func(expr string) *regexp.Regexp {
		if err != nil {
			return nil
		}
		var re *regexp.Regexp
		re, err = regexp.Compile(expr)
		return re
	}
	desc := func(d *phonenumbers.PhoneNumberDesc) descMatch {
		if d == nil {
			err = errDFA
			return descMatch{}
		}
		dm := descMatch{anyLength: len(d.PossibleLength) == 0, pattern: compile("^(?:" + d.GetNationalNumberPattern() + ")$")}
		for _, l := range d.PossibleLength {
			if l >= 0 && l < 64 {
				dm.lengths |= 1 << l
			} else if l != -1 {
				err = errDFA
			}
		}
		return dm
	}

	m.idd = compile(md.GetInternationalPrefix())
	m.iddRE = compileRE(md.GetInternationalPrefix())
	if npp := md.GetNationalPrefixForParsing(); npp != "" {
		m.npp = compile("^(?:" + npp + ")")
		m.nppRE = compileRE("^(?:" + npp + ")")
	}
	gd := md.GetGeneralDesc()
	if gd == nil || len(gd.PossibleLength) == 0 {
		return nil
	}
	m.general = compile("^(?:" + gd.GetNationalNumberPattern() + ")$")
	m.lengths, m.localOnly = gd.PossibleLength, gd.PossibleLengthLocalOnly
	if ld := md.GetLeadingDigits(); ld != "" {
		m.leading = compile("^(?:" + ld + ")")
	}
	m.generalDesc = desc(gd)
	for _, d := range []*phonenumbers.PhoneNumberDesc{
		md.GetPremiumRate(), md.GetTollFree(), md.GetSharedCost(), md.GetVoip(),
		md.GetPersonalNumber(), md.GetPager(), md.GetUan(), md.GetVoicemail(),
	} {
		m.others = append(m.others, desc(d))
	}
	m.fixed, m.mobile = desc(md.GetFixedLine()), desc(md.GetMobile())
	if err != nil {
		return nil
	}
	return m
}

// lengthResult is phonenumbers' ValidationResult for testNumberLength.
type lengthResult uint8

const (
	lengthPossible lengthResult = iota
	lengthLocalOnly
	lengthTooShort
	lengthInvalid
	lengthTooLong
)

// testLength is testNumberLength(number, metadata, UNKNOWN) for a number of
// n digits: it reads the general description only.
func (m *phoneMeta) testLength(n int) lengthResult {
	if m.lengths[0] == -1 {
		return lengthInvalid
	}
	l := int32(n)
	for _, x := range m.localOnly {
		if x == l {
			return lengthLocalOnly
		}
	}
	switch {
	case m.lengths[0] == l:
		return lengthPossible
	case m.lengths[0] > l:
		return lengthTooShort
	case m.lengths[len(m.lengths)-1] < l:
		return lengthTooLong
	}
	for _, x := range m.lengths[1:] {
		if x == l {
			return lengthPossible
		}
	}
	return lengthInvalid
}

// hasType reports whether getNumberTypeHelper(nsn, metadata) is not
// UNKNOWN.
func (m *phoneMeta) hasType(nsn string) bool {
	if !m.generalDesc.match(nsn) {
		return false
	}
	for _, d := range m.others {
		if d.match(nsn) {
			return true
		}
	}
	if m.fixed.match(nsn) {
		return true
	}
	return !m.sameMobileAndFixed && m.mobile.match(nsn)
}

// prefixEnd is where the match of a prefix pattern at the start of s ends,
// as re (the same pattern) would report it; ok is false if there is none.
func prefixEnd(d *digitDFA, re *regexp.Regexp, s string) (end int, ok bool) {
	end, n := d.prefix(s)
	switch n {
	case 0:
		return 0, false
	case 1:
		return end, true
	}
	// Several matches: which one is regexp's is a question of preference.
	loc := re.FindStringIndex(s)
	if loc == nil || loc[0] != 0 {
		return 0, false // cannot happen: a match starts at 0
	}
	return loc[1], true
}

// stripNationalPrefix is maybeStripNationalPrefixAndCarrierCode: it returns
// num without its national prefix, or num itself. ok is false if the fast
// path cannot tell.
func (m *phoneMeta) stripNationalPrefix(num string) (string, bool) {
	if len(num) == 0 || m.npp == nil {
		return num, true
	}
	if m.transform != "" {
		return m.transformNationalPrefix(num)
	}
	end, ok := prefixEnd(m.npp, m.nppRE, num)
	if !ok {
		return num, true
	}
	// Without a transform rule phonenumbers removes the whole match,
	// unless that spoils a number that was viable.
	if m.general.full(num) && !m.general.full(num[end:]) {
		return num, true
	}
	return num[end:], true
}

// transformNationalPrefix is maybeStripNationalPrefixAndCarrierCode for a
// region with a transform rule, with the regexp phonenumbers uses.
func (m *phoneMeta) transformNationalPrefix(num string) (string, bool) {
	groups := m.nppRE.FindStringSubmatchIndex(num)
	if groups == nil {
		return num, true
	}
	viable := m.general.full(num)
	last := len(groups)/2 - 1
	if groups[last*2] < 0 {
		if viable && !m.general.full(num[groups[1]:]) {
			return num, true
		}
		return num[groups[1]:], true
	}
	t := m.nppRE.ReplaceAllString(num, m.transform)
	if !isDigits(t) {
		return "", false
	}
	if viable && !m.general.full(t) {
		return num, true
	}
	return t, true
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// phoneEntry is the lazily prepared metadata of one region or
// non-geographical calling code.
type phoneEntry struct {
	md   *phonenumbers.PhoneMetadata
	once sync.Once
	m    *phoneMeta
}

func (e *phoneEntry) meta() *phoneMeta {
	if e == nil {
		return nil
	}
	e.once.Do(func() { e.m = newPhoneMeta(e.md) })
	return e.m
}

// phoneIndex is the metadata as phonenumbers indexes it.
type phoneIndex struct {
	byRegion map[string]*phoneEntry
	// byCode[cc] is the metadata phonenumbers reads a number of calling
	// code cc with: that of its main region, or the non-geographical one.
	byCode [1000]*phoneEntry
	// regions[cc] are the regions of cc in phonenumbers' order, each with
	// its metadata; known[cc] whether cc is a calling code at all.
	regions [1000][]*phoneEntry
	known   [1000]bool
}

var phoneIndexOnce = sync.OnceValue(func() *phoneIndex {
	x := &phoneIndex{byRegion: make(map[string]*phoneEntry)}
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return x // no entries: everything falls back
	}
	nonGeo := make(map[int]*phoneEntry)
	for _, md := range coll.GetMetadata() {
		if md.GetId() == "001" {
			nonGeo[int(md.GetCountryCode())] = &phoneEntry{md: md}
		} else {
			x.byRegion[md.GetId()] = &phoneEntry{md: md}
		}
	}
	for cc := range phonenumbers.GetSupportedCallingCodes() {
		if cc <= 0 || cc >= 1000 {
			continue
		}
		x.known[cc] = true
		for i, r := range phonenumbers.GetRegionCodesForCountryCode(cc) {
			e := x.byRegion[r]
			if r == "001" {
				e = nonGeo[cc]
			}
			if i == 0 {
				x.byCode[cc] = e
			}
			x.regions[cc] = append(x.regions[cc], e)
		}
	}
	return x
})

// fastErr is an outcome of maybeExtractCountryCode.
type fastErr uint8

const (
	fastNoErr fastErr = iota
	fastInvalidCountryCode
	fastTooShortAfterIDD
	fastUnsure // the fast path cannot tell
)

// extractCountryCode is maybeExtractCountryCode for digits, after a '+'
// if plus, read with the metadata rm of the default region (nil if none).
// It returns the country code (0 if none was found) and the national
// number that follows it.
func (x *phoneIndex) extractCountryCode(digits string, plus bool, rm *phoneMeta) (int, string, fastErr) {
	full := digits
	intl := plus
	if !plus && rm != nil {
		// parsePrefixAsIdd: strip the international prefix unless a 0
		// follows it.
		if end, ok := prefixEnd(rm.idd, rm.iddRE, full); ok && (end == len(full) || full[end] != '0') {
			full, intl = full[end:], true
		}
	}
	if intl {
		if len(full) <= phonenumbers.MIN_LENGTH_FOR_NSN {
			return 0, "", fastTooShortAfterIDD
		}
		if full[0] == '0' {
			return 0, "", fastInvalidCountryCode
		}
		cc := 0
		for i := 1; i <= phonenumbers.MAX_LENGTH_COUNTRY_CODE && i <= len(full); i++ {
			cc = cc*10 + int(full[i-1]-'0')
			if x.known[cc] {
				return cc, full[i:], fastNoErr
			}
		}
		return 0, "", fastInvalidCountryCode
	}
	if rm != nil && len(full) >= len(rm.ccStr) && full[:len(rm.ccStr)] == rm.ccStr {
		nat, ok := rm.stripNationalPrefix(full[len(rm.ccStr):])
		if !ok {
			return 0, "", fastUnsure
		}
		if (!rm.general.full(full) && rm.general.full(nat)) || rm.testLength(len(full)) == lengthTooLong {
			return rm.cc, nat, fastNoErr
		}
	}
	return 0, "", fastNoErr
}

// fastPhone returns what parsePhone returns for an input whose compact key
// (see phoneKey) is region ":" body, body being the digits after an
// optional '+'. ok is false if the fast path cannot tell; then the caller
// must run parsePhone.
func fastPhone(body, region string) (res phoneResult, ok bool) {
	x := phoneIndexOnce()
	plus := len(body) > 0 && body[0] == '+'
	digits := body
	if plus {
		digits = body[1:]
	}
	var rm *phoneMeta
	if region != "" {
		if rm = x.byRegion[region].meta(); rm == nil {
			return phoneResult{}, false
		}
	} else if !plus {
		return phoneResult{reason: phoneBadCountryCode}, true // checkRegionForParsing
	}

	cc, nsn, e := x.extractCountryCode(digits, plus, rm)
	if e == fastInvalidCountryCode && plus {
		// parseHelper strips the '+' and tries again.
		if cc, nsn, e = x.extractCountryCode(digits, false, rm); e == fastNoErr && cc == 0 {
			e = fastInvalidCountryCode
		}
	}
	switch e {
	case fastInvalidCountryCode:
		return phoneResult{reason: phoneBadCountryCode}, true
	case fastTooShortAfterIDD:
		return phoneResult{reason: phoneTooShort}, true
	case fastUnsure:
		return phoneResult{}, false
	}

	var m *phoneMeta
	if cc != 0 {
		// phonenumbers switches to the metadata of cc's main region (or
		// non-geographical entity) unless that is the default region,
		// whose metadata is then the same.
		if m = x.byCode[cc].meta(); m == nil {
			return phoneResult{}, false
		}
	} else {
		// No country code: the number is national, of the default region
		// (which is not "" here, or checkRegionForParsing would have
		// failed or the retry would have reported an invalid code).
		m, cc, nsn = rm, rm.cc, digits
	}
	if len(nsn) < phonenumbers.MIN_LENGTH_FOR_NSN {
		return phoneResult{reason: phoneTooShort}, true
	}
	stripped, ok := m.stripNationalPrefix(nsn)
	if !ok {
		return phoneResult{}, false
	}
	switch m.testLength(len(stripped)) {
	case lengthTooShort, lengthLocalOnly, lengthInvalid:
	default:
		nsn = stripped
	}
	switch {
	case len(nsn) < phonenumbers.MIN_LENGTH_FOR_NSN:
		return phoneResult{reason: phoneTooShort}, true
	case len(nsn) > phonenumbers.MAX_LENGTH_FOR_NSN:
		return phoneResult{reason: phoneTooLong}, true
	}
	valid, ok := x.isValid(cc, nsn)
	switch {
	case !ok:
		return phoneResult{}, false
	case !valid:
		return phoneResult{reason: phoneNotValid}, true
	}
	var buf [1 + 3 + phonenumbers.MAX_LENGTH_FOR_NSN]byte
	e164 := append(strconv.AppendInt(append(buf[:0], '+'), int64(cc), 10), nsn...)
	return phoneResult{e164: string(e164)}, true
}

// isValid is IsValidNumber for a number of calling code cc and national
// significant number nsn. ok is false if the fast path cannot tell.
func (x *phoneIndex) isValid(cc int, nsn string) (valid, ok bool) {
	regions := x.regions[cc]
	var e *phoneEntry
	switch len(regions) {
	case 0:
		return false, true
	case 1:
		e = regions[0]
	default:
		// getRegionCodeForNumberFromRegionList
		for _, r := range regions {
			m := r.meta()
			if m == nil {
				return false, false
			}
			if m.leading != nil {
				if m.leading.hasPrefix(nsn) {
					e = r
					break
				}
			} else if m.hasType(nsn) {
				e = r
				break
			}
		}
		if e == nil {
			return false, true
		}
	}
	// IsValidNumberForRegion
	m := e.meta()
	if m == nil {
		return false, false
	}
	if m.id != "001" && m.cc != cc {
		return false, true
	}
	return m.hasType(nsn), true
}
