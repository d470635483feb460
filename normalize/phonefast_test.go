package normalize

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// coveredRegions are the regions whose numbers the cold corpus generates
// most of; every other region gets a smaller share.
var coveredRegions = []string{"FI", "SE", "NO", "DK", "DE", "GB", "US"}

var exampleTypes = []phonenumbers.PhoneNumberType{
	phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.TOLL_FREE,
	phonenumbers.PREMIUM_RATE, phonenumbers.SHARED_COST, phonenumbers.VOIP,
	phonenumbers.PERSONAL_NUMBER, phonenumbers.PAGER, phonenumbers.UAN,
	phonenumbers.VOICEMAIL,
}

// punctuate writes the digits of s (after an optional '+') with random
// punctuation that phoneKey accepts, sometimes after "tel:".
func punctuate(r *rand.Rand, s string) string {
	if r.IntN(3) == 0 {
		return s
	}
	var b strings.Builder
	if r.IntN(10) == 0 {
		b.WriteString("tel:")
	}
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		if i+1 < len(s) && r.IntN(4) == 0 {
			b.WriteString(pick(r, " ", "-", ".", "/", " (", ") ", "  "))
		}
	}
	return b.String()
}

// coldPhoneInputs returns n inputs of numbers of region: example numbers
// of each type with some of their last digits (and sometimes their
// length) changed, and random digits, written nationally (with and
// without the national prefix), with '+' and the country code (and the
// national prefix after it), with the 00 and 011 international prefixes,
// with the country code and no '+', and as random digit strings. They are
// read in region, in a covered region, in a random region or in none.
func coldPhoneInputs(r *rand.Rand, region string, n int, all []string) []phoneInput {
	cc := strconv.Itoa(phonenumbers.GetCountryCodeForRegion(region))
	np := phonenumbers.GetNddPrefixForRegion(region, true)
	var examples []string
	for _, t := range exampleTypes {
		if ex := phonenumbers.GetExampleNumberForType(region, t); ex != nil {
			examples = append(examples, phonenumbers.GetNationalSignificantNumber(ex))
		}
	}
	in := make([]phoneInput, 0, n)
	for range n {
		var nsn string
		if len(examples) > 0 && r.IntN(4) != 0 {
			ex := pick(r, examples...)
			keep := max(0, len(ex)-r.IntN(min(len(ex), 8)+1))
			nsn = ex[:keep] + digits(r, len(ex)-keep)
			switch r.IntN(8) {
			case 0:
				nsn += digits(r, 1+r.IntN(2))
			case 1:
				nsn = nsn[:max(0, len(nsn)-1-r.IntN(2))]
			}
		} else {
			nsn = digits(r, 1+r.IntN(17))
		}
		var s string
		switch r.IntN(12) {
		case 0, 1, 2:
			s = np + nsn
		case 3:
			s = nsn
		case 4, 5:
			s = "+" + cc + nsn
		case 6:
			s = "+" + cc + np + nsn
		case 7:
			s = "00" + cc + nsn
		case 8:
			s = "011" + cc + nsn
		case 9:
			s = cc + nsn
		case 10:
			s = pick(r, "+", "", "+0", "0", "00", "+00", "99", "+9") + digits(r, r.IntN(20))
		default:
			s = pick(r, "+", "", "00", "011") + pick(r, all...) + nsn
			if s == "" {
				s = nsn
			}
		}
		read := region
		switch x := r.IntN(20); {
		case x < 2:
			read = pick(r, coveredRegions...)
		case x < 3:
			read = pick(r, all...)
		case x < 4:
			read = ""
		}
		in = append(in, phoneInput{punctuate(r, s), read})
	}
	return in
}

// coldPhoneCorpus is the equivalence corpus: perCovered inputs for each
// covered region and perOther for every other region phonenumbers knows.
func coldPhoneCorpus(seed uint64, perCovered, perOther int) []phoneInput {
	r := rand.New(rand.NewPCG(seed, 3))
	var all []string
	for reg := range phonenumbers.GetSupportedRegions() {
		all = append(all, reg)
	}
	slices.Sort(all)
	var in []phoneInput
	for _, reg := range all {
		n := perOther
		if slices.Contains(coveredRegions, reg) {
			n = perCovered
		}
		in = append(in, coldPhoneInputs(r, reg, n, all)...)
	}
	return in
}

// TestPhoneFastMatchesPhonenumbers checks the fast path of a cache miss
// against phonenumbers on a large corpus of first-seen numbers: the
// result (value, or the reason of the failure, hence the *Error) must be
// the same for every input, and the fast path must decide them all.
func TestPhoneFastMatchesPhonenumbers(t *testing.T) {
	perCovered, perOther := 25000, 1500
	if testing.Short() {
		perCovered, perOther = 2500, 150
	}
	corpus := coldPhoneCorpus(7, perCovered, perOther)
	var keyed, valid, fallback int
	reasons := map[phoneReason]int{}
	for _, in := range corpus {
		reg, err := phoneRegion("phone", in.s, in.region)
		if err != nil {
			t.Fatal(err)
		}
		key, ok := phoneKey(nil, in.s, reg)
		if !ok || phoneInputError(in.s) != nil {
			continue
		}
		keyed++
		want := parsePhone(in.s, reg)
		got, ok := fastPhone(string(key[len(reg)+1:]), reg)
		if !ok {
			fallback++
			continue
		}
		if got != want {
			t.Errorf("fastPhone(%v) = %+v, phonenumbers says %+v", in, got, want)
		}
		reasons[want.reason]++
		if want.reason == phoneOK {
			valid++
		}
	}
	t.Logf("%d inputs, %d with a compact key, %d valid, outcomes %v, %d fallbacks", len(corpus), keyed, valid, reasons, fallback)
	if fallback > 0 {
		t.Errorf("%d inputs fell back to phonenumbers, want none", fallback)
	}
	if keyed < len(corpus)*9/10 || valid < keyed/4 || reasons[phoneNotValid] < keyed/10 {
		t.Errorf("corpus is unbalanced: %d keyed, %d valid, %v", keyed, valid, reasons)
	}
}

// TestPhoneNormalizerColdMatchesPhone runs the cold corpus through
// uncached and cached normalizers and compares values and errors with
// Phone.
func TestPhoneNormalizerColdMatchesPhone(t *testing.T) {
	corpus := coldPhoneCorpus(11, 2000, 40)
	if testing.Short() {
		corpus = coldPhoneCorpus(11, 200, 4)
	}
	cold := mustPhoneNormalizer(t, PhoneOptions{DefaultRegion: "FI", CacheSize: -1})
	cached := mustPhoneNormalizer(t, PhoneOptions{DefaultRegion: "SE", CacheSize: 1024})
	for pass := range 2 {
		for _, in := range corpus {
			want, wantErr := Phone(in.s, in.region)
			for name, p := range map[string]*PhoneNormalizer{"cold": cold, "cached": cached} {
				if in.region == "" && pass == 1 {
					continue
				}
				region := in.region
				if region == "" {
					region = p.region
				}
				want, wantErr := want, wantErr
				if in.region == "" {
					want, wantErr = Phone(in.s, region)
				}
				got, err := p.Normalize(in.s, in.region)
				if got != want || !sameError(wantErr, err) {
					t.Fatalf("%s.Normalize(%v) = %q, %v; Phone says %q, %v", name, in, got, err, want, wantErr)
				}
			}
		}
	}
}

// TestPhoneFastCoversAllMetadata checks that the metadata of every region
// and non-geographical calling code compiles for the fast path.
func TestPhoneFastCoversAllMetadata(t *testing.T) {
	x := phoneIndexOnce()
	if len(x.byRegion) < 240 {
		t.Fatalf("metadata of %d regions, want about 245", len(x.byRegion))
	}
	for reg, e := range x.byRegion {
		if e.meta() == nil {
			t.Errorf("metadata of %s not compiled", reg)
		}
	}
	for cc, ok := range x.known {
		if ok && x.byCode[cc].meta() == nil {
			t.Errorf("metadata of calling code %d not compiled", cc)
		}
	}
}

func TestDigitDFA(t *testing.T) {
	tests := []struct {
		expr string
		in   string
		full bool
		end  int
		n    int
	}{
		{"^(?:00|99(?:[01469]|5(?:[14]1|3[23])))", "00358", false, 2, 1},
		{"^(?:00|99(?:[01469]|5(?:[14]1|3[23])))", "9951", false, 0, 0},
		{"^(?:00|99(?:[01469]|5(?:[14]1|3[23])))", "99511", false, 5, 1},
		{"^(?:0|180020)", "18002012", false, 6, 1},
		{"^(?:0|180020)", "0", true, 1, 1},
		{"^(?:[1-9]\\d{5,8})$", "401234567", true, 0, 0},
		{"^(?:[1-9]\\d{5,8})$", "4012345678", false, 0, 0},
		{"^(?:0?(?:(11)15)?)", "01115", false, 0, 2}, // ends at 0, 1 and 5
		{"^(?:)$", "", true, 0, 1},
		{"^(?:)$", "1", false, 0, 0},
		{"", "123", false, 0, 1},                  // empty international prefix
		{"NonMatch", "123", false, 0, 0},          // phonenumbers' never-matching prefix
		{"^(?:1|12)", "123", false, 1, 2},         // ambiguous: regexp prefers 1
		{"^(?:1$|12)", "1", true, 1, 1},           // $ inside the pattern
		{"^(?:1$|12)", "12", false, 2, 1},         //
		{"(?:^1|2^)3", "13", false, 2, 1},         // ^ after input cannot match
		{"(?:^1|2^)3", "23", false, 0, 0},         //
		{"^(?:(?i)[a-z]\\d)$", "11", false, 0, 0}, // letters never match digits
		{"^(?:\\p{Nd}{2})$", "12", true, 0, 0},    // Unicode class
		{"^(?:(?:|1)*2)$", "1112", true, 0, 0},    // empty loop
		{"^(?:[0-9]{2,3}?)", "1234", false, 2, 2}, // non-greedy prefers 2
		{"^(?:8(?:10)?)", "810", false, 1, 2},     // RU-like
		{"^(?:(?:1|2)(3))", "234", false, 2, 1},   // capture
		{"^(?:00(?:1[245]|2[1-35]|31))", "00145", false, 4, 1},
	}
	for _, tt := range tests {
		d, err := compileDigitDFA(tt.expr)
		if err != nil {
			t.Fatalf("compileDigitDFA(%q): %v", tt.expr, err)
		}
		anchored := "^(?:" + tt.expr + ")$"
		if got, want := d.full(tt.in), regexp.MustCompile(anchored).MatchString(tt.in); got != want {
			t.Errorf("%q full(%q) = %v, regexp says %v", tt.expr, tt.in, got, want)
		}
		if strings.HasSuffix(tt.expr, ")$") {
			if got := d.full(tt.in); got != tt.full {
				t.Errorf("%q full(%q) = %v, want %v", tt.expr, tt.in, got, tt.full)
			}
			continue
		}
		end, n := d.prefix(tt.in)
		if loc := regexp.MustCompile(tt.expr).FindStringIndex(tt.in); (loc != nil && loc[0] == 0) != (n > 0) || (n == 1 && loc[1] != end) {
			t.Errorf("%q prefix(%q) = %d, %d; regexp finds %v", tt.expr, tt.in, end, n, loc)
		}
		if n != tt.n || (n > 0 && end != tt.end) {
			t.Errorf("%q prefix(%q) = %d, %d; want %d, %d", tt.expr, tt.in, end, n, tt.end, tt.n)
		}
	}
	for _, bad := range []string{`\b1`, `(?m)^1`, `1\B`, `(`} {
		if _, err := compileDigitDFA(bad); err == nil {
			t.Errorf("compileDigitDFA(%q) succeeded, want an error", bad)
		}
	}
}

// TestDigitDFAMatchesRegexp compares the automata of all patterns the
// metadata has compiled so far with regexp on random digit strings.
func TestDigitDFAMatchesRegexp(t *testing.T) {
	TestPhoneFastCoversAllMetadata(t)
	r := rand.New(rand.NewPCG(5, 5))
	dfaCache.Lock()
	exprs := make(map[string]*digitDFA, len(dfaCache.m))
	for e, d := range dfaCache.m {
		exprs[e] = d
	}
	dfaCache.Unlock()
	per := 60
	if testing.Short() {
		per = 6
	}
	for expr, d := range exprs {
		re, whole := regexp.MustCompile(expr), regexp.MustCompile("^(?:"+expr+")$")
		for range per {
			s := digits(r, r.IntN(19))
			if got, want := d.full(s), whole.MatchString(s); got != want {
				t.Fatalf("%q full(%q) = %v, regexp says %v", expr, s, got, want)
			}
			loc := re.FindStringIndex(s)
			end, n := d.prefix(s)
			if (loc != nil && loc[0] == 0) != (n > 0) {
				t.Fatalf("%q prefix(%q) = %d, %d; regexp finds %v", expr, s, end, n, loc)
			}
			if n == 1 && loc[1] != end {
				t.Fatalf("%q prefix(%q) ends at %d, regexp's match %v", expr, s, end, loc)
			}
		}
	}
	t.Logf("%d patterns", len(exprs))
}

func TestPhoneCacheKeys(t *testing.T) {
	c := newPhoneCache(1000)
	c.put("FI:0401234567", phoneResult{e164: "+358401234567"})
	if r, ok := c.get([]byte("FI:0401234567")); !ok || r.e164 != "+358401234567" {
		t.Errorf("get after put = %+v, %v", r, ok)
	}
}

// BenchmarkPhoneColdMiss normalizes a stream of numbers seen for the first
// time, as in a bulk import of history: 60% Finnish numbers written
// nationally, 20% Finnish numbers with +358 or 00358, 10% Swedish (half
// national in SE, half international in FI) and 10% others (DE, GB, US,
// national in their region or international in FI). The stream has 2^17
// distinct numbers, more than the default cache can hold, so every call
// of the cached normalizer misses.
func BenchmarkPhoneColdMiss(b *testing.B) {
	stream := coldMissStream(1 << 17)
	run := func(name string, f func(s, region string) (string, error)) {
		b.Run(name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				in := stream[i%len(stream)]
				f(in.s, in.region)
				i++
			}
		})
	}
	run("reference", Phone)
	run("normalizer", mustPhoneNormalizer(b, PhoneOptions{DefaultRegion: "FI"}).Normalize)
	run("uncached", mustPhoneNormalizer(b, PhoneOptions{DefaultRegion: "FI", CacheSize: -1}).Normalize)
}

// coldMissStream returns n inputs with distinct compact keys in the mix of
// BenchmarkPhoneColdMiss, shuffled.
func coldMissStream(n int) []phoneInput {
	r := rand.New(rand.NewPCG(42, 9))
	seen := make(map[string]bool, n)
	out := make([]phoneInput, 0, n)
	plan := func(region string) phonePlan {
		for _, p := range phonePlans {
			if p.region == region {
				return p
			}
		}
		panic(region)
	}
	for len(out) < n {
		var in phoneInput
		switch x := r.IntN(10); {
		case x < 6:
			p := plan("FI")
			nsn, lens := p.nsn(r)
			f := phoneFormats(p, nsn, lens)
			in = phoneInput{pick(r, f[0], f[1], f[6], f[7], f[8]), "FI"}
		case x < 8:
			p := plan("FI")
			nsn, lens := p.nsn(r)
			f := phoneFormats(p, nsn, lens)
			in = phoneInput{pick(r, f[2], f[3], f[5], f[9]), "FI"}
		case x < 9:
			p := plan("SE")
			nsn, lens := p.nsn(r)
			f := phoneFormats(p, nsn, lens)
			if r.IntN(2) == 0 {
				in = phoneInput{pick(r, f[0], f[6], f[8]), "SE"}
			} else {
				in = phoneInput{pick(r, f[2], f[3], f[5]), "FI"}
			}
		default:
			p := plan(pick(r, "DE", "GB", "US"))
			nsn, lens := p.nsn(r)
			f := phoneFormats(p, nsn, lens)
			if r.IntN(2) == 0 {
				in = phoneInput{pick(r, f[0], f[6], f[8]), p.region}
			} else {
				in = phoneInput{pick(r, f[2], "00"+p.cc+" "+nsn, f[5]), "FI"}
			}
		}
		key, ok := phoneKey(nil, in.s, in.region)
		if !ok || seen[string(key)] {
			continue
		}
		seen[string(key)] = true
		out = append(out, in)
	}
	return out
}
