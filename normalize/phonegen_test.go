package normalize

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// Deterministic generators of phone number input for the corpus test, the
// benchmarks and the fuzz seeds.

// phonePlan is how one country writes its numbers.
type phonePlan struct {
	region string
	cc     string // country calling code
	trunk  string // national (trunk) prefix
	idd    string // international prefix dialled from the region
	// nsn returns a national significant number and its usual grouping
	// (group lengths).
	nsn func(r *rand.Rand) (string, []int)
}

func digits(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + r.IntN(10))
	}
	return string(b)
}

func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

var phonePlans = []phonePlan{
	{region: "FI", cc: "358", trunk: "0", idd: "00", nsn: func(r *rand.Rand) (string, []int) {
		switch r.IntN(3) {
		case 0: // mobile 040 123 4567
			return pick(r, "40", "41", "44", "45", "46", "50") + digits(r, 7), []int{2, 3, 4}
		case 1: // Helsinki 09 123 4567
			return "9" + digits(r, 7), []int{1, 3, 4}
		default: // Tampere 03 123 4567
			return "3" + digits(r, 7), []int{1, 3, 4}
		}
	}},
	{region: "SE", cc: "46", trunk: "0", idd: "00", nsn: func(r *rand.Rand) (string, []int) {
		if r.IntN(2) == 0 { // mobile 070-123 45 67
			return pick(r, "70", "72", "73", "76") + digits(r, 7), []int{2, 3, 2, 2}
		}
		return "8" + digits(r, 7), []int{1, 3, 2, 2} // Stockholm 08-123 45 67
	}},
	{region: "DE", cc: "49", trunk: "0", idd: "00", nsn: func(r *rand.Rand) (string, []int) {
		if r.IntN(2) == 0 { // mobile 0151 12345678
			return pick(r, "151", "152", "160", "170", "171", "176") + digits(r, 8), []int{3, 8}
		}
		return "30" + digits(r, 8), []int{2, 4, 4} // Berlin 030 1234 5678
	}},
	{region: "GB", cc: "44", trunk: "0", idd: "00", nsn: func(r *rand.Rand) (string, []int) {
		if r.IntN(2) == 0 { // mobile 07700 900123
			return "7" + pick(r, "4", "5", "7", "8", "9") + digits(r, 8), []int{4, 6}
		}
		return "20" + pick(r, "3", "7", "8") + digits(r, 7), []int{2, 4, 4} // London 020 7946 0018
	}},
	{region: "US", cc: "1", trunk: "1", idd: "011", nsn: func(r *rand.Rand) (string, []int) {
		area := pick(r, "201", "212", "213", "305", "312", "415", "617", "646", "702", "808")
		return area + string(rune('2'+r.IntN(8))) + digits(r, 6), []int{3, 3, 4}
	}},
}

// group writes s in groups of the given lengths joined by sep; what is
// left over forms one more group.
func group(s string, lens []int, sep string) string {
	var parts []string
	for _, n := range lens {
		if n >= len(s) {
			break
		}
		parts = append(parts, s[:n])
		s = s[n:]
	}
	return strings.Join(append(parts, s), sep)
}

// phoneFormats writes one number in the ways people and systems do: the
// first few are those of a number written in its own country.
func phoneFormats(p phonePlan, nsn string, lens []int) []string {
	rest := group(nsn[lens[0]:], lens[1:], " ")
	first := nsn[:lens[0]]
	f := []string{
		p.trunk + first + " " + rest,                           // 040 123 4567
		"(" + p.trunk + first + ") " + rest,                    // (040) 123 4567
		"+" + p.cc + " " + first + " " + rest,                  // +358 40 123 4567
		p.idd + p.cc + " " + nsn,                               // 00358 401234567
		"+" + p.cc + " (" + p.trunk + ")" + first + " " + rest, // +49 (0)151 12345678
		"+" + p.cc + nsn,                                       // +358401234567
		p.trunk + group(nsn, lens, "-"),                        // 040-123-4567
		p.trunk + group(nsn, lens, "."),                        // 040.123.4567
		p.trunk + nsn,                                          // 0401234567
		"tel:+" + p.cc + "-" + group(nsn, lens, "-"),           // tel:+358-40-123-4567
		" +" + p.cc + "/" + first + "/" + strings.ReplaceAll(rest, " ", "") + " ",
		"+" + p.cc + " " + group(nsn, lens, " ") + " ext. 12", // extension: bypasses the cache
		"+" + p.cc + "\u00a0" + group(nsn, lens, "\u00a0"),    // no-break spaces: bypass
	}
	if p.region == "US" {
		f = append(f, "("+first+") "+group(nsn[3:], []int{3}, "-"), "1-"+group(nsn, lens, "-"))
	}
	return f
}

// phoneInput is one input of the corpus: a string and the region to read it in.
type phoneInput struct {
	s, region string
}

// phoneGarbage are inputs that are not valid numbers, or are on the edge.
var phoneGarbage = []string{
	"", " ", "abc", "+", "++", "+358", "00", "000", "0000000000", "1234567890",
	"+999 123 456 789", "+0 123 456 789", "00 0 123", "+358 40 123 4567 +1",
	"++358 40 123 4567", "+358++40", "1-800-FLOWERS", "+1 800 FLOWERS",
	"040 123 4567 x 12", "040 123 4567 # 12", "040 123 4567;ext=12",
	"tel:+358-40-123-4567;phone-context=+358", "tel:040-123;isub=12",
	"040/x123", "(", ")", "()", "(+)", "-.-", "12", "1 2", "123", "1 2 3",
	"+12", "+1 2", "+123", "+4", "99", "0 0", "+358 (0) 40", "tel:", "TEL:+358401234567",
	"+358 40 123 4567 890 123 456", "+49 (0) 30 1234 5678 (home)", "040 123 45 67.",
	"\uff10\uff14\uff10 123 4567", "٠٤٠١٢٣٤٥٦٧", "040\u2013123\u20134567", "+358\t40 1234567",
	"mobile: 040 123 4567", "040 1234567, 050 1234567", "1e10", "-1", "+-358401234567",
	"(+358) 40 1234567", "+(358) 40 1234567", "0 0 3 5 8 4 0 1 2 3 4 5 6 7",
	strings.Repeat("1", 17), strings.Repeat("1", 30), strings.Repeat("5", 251),
	"+358" + strings.Repeat(" ", 250) + "401234567",
}

// phoneCorpus returns a deterministic mix of numbers of several countries
// in many formats, read in their own region, in another region and in no
// region, plus garbage and random strings of phone-like characters.
func phoneCorpus(seed uint64, perPlan int) []phoneInput {
	r := rand.New(rand.NewPCG(seed, 1))
	var in []phoneInput
	for _, p := range phonePlans {
		for range perPlan {
			nsn, lens := p.nsn(r)
			for i, f := range phoneFormats(p, nsn, lens) {
				region := p.region
				switch {
				case i%5 == 1:
					region = pick(r, "FI", "SE", "DE", "GB", "US", "fi", "")
				case i%7 == 2:
					region = ""
				}
				in = append(in, phoneInput{f, region})
			}
		}
	}
	for _, g := range phoneGarbage {
		for _, region := range []string{"FI", "US", ""} {
			in = append(in, phoneInput{g, region})
		}
	}
	const chars = "0123456789   +-.()/x#"
	for range 300 {
		b := make([]byte, 1+r.IntN(18))
		for i := range b {
			b[i] = chars[r.IntN(len(chars))]
		}
		in = append(in, phoneInput{string(b), pick(r, "FI", "SE", "DE", "GB", "US")})
	}
	return in
}

// phoneStream returns a realistic stream for region FI: n distinct
// numbers, mostly Finnish and some foreign, each written in five formats,
// shuffled. Finnish numbers are written nationally and internationally,
// foreign ones internationally only.
func phoneStream(n int) []string {
	r := rand.New(rand.NewPCG(42, 2))
	var out []string
	for i := range n {
		p := phonePlans[0]
		if i%5 == 4 {
			p = phonePlans[1+r.IntN(len(phonePlans)-1)]
		}
		nsn, lens := p.nsn(r)
		f := phoneFormats(p, nsn, lens)
		if p.region == "FI" {
			out = append(out, f[0], f[1], f[2], f[4], f[6])
		} else {
			// Dialled from Finland, the international prefix is 00.
			out = append(out, f[2], "00"+p.cc+" "+nsn, f[4], f[5], f[9])
		}
	}
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func (p phoneInput) String() string { return fmt.Sprintf("%q in %q", p.s, p.region) }
