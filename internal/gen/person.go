package gen

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/unifycdp/unify/profile"
)

// phone is a mobile number: national significant digits ("401234567")
// and country.
type phone struct {
	digits  string
	swedish bool
}

// e164 returns the number in E.164 form, as the engine normalizes it.
func (p phone) e164() string {
	if p.swedish {
		return "+46" + p.digits
	}
	return "+358" + p.digits
}

// person is everything generated about one person except the records.
type person struct {
	idx  int
	head head
	rng  *rand.Rand

	first   firstName
	last    lastName
	birth   string
	lang    string
	addr    profile.Address
	store   int   // home store
	favCats []int // favourite categories, most liked first

	emails     []string // canonical lower-case mailboxes; household mailbox first
	shared     string   // household mailbox, "" if none
	gmailBase  string   // a gmail address the person spells in two ways
	gmailAlt   string   // the other spelling of gmailBase, "" if none
	phones     []phone
	cards      [2]string // current card; new card after replacement
	replacedAt time.Time
	customerID string
	cookies    []string
	devices    []string

	join, end time.Time
	webUser   bool
	storeUser bool
	webOrders bool

	emailConsent, smsConsent bool
	withdrawAt               time.Time // zero: never
}

// build draws person i.
func (g *Generator) person(i int) *person {
	rng := g.rand(i)
	p := &person{idx: i, rng: rng, end: g.end}
	p.head = g.head(i, rng)
	f, l, rest := g.name(i)
	p.first, p.last = firstNames[f], lastNames[l]

	p.join = g.opts.Start.Add(time.Duration(rng.Float64() * 0.9 * g.span))
	swedish := p.first.swedish || p.last.swedish
	switch u := rng.Float64(); {
	case swedish && u < 0.6, !swedish && u < 0.03:
		p.lang = "sv"
	case u > 0.95:
		p.lang = "en"
	default:
		p.lang = "fi"
	}
	age := 18 + rng.IntN(34) + rng.IntN(34)
	day := time.Date(g.opts.Start.Year()-age, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.IntN(365))
	p.birth = day.Format(time.DateOnly)

	hh := p.head.household
	if hh {
		hr := rand.New(rand.NewPCG(g.opts.Seed^0xbb67ae8584caa73b, uint64(i/2)))
		p.addr, p.store = address(hr, swedish)
		// The mailbox is named after the first of the pair.
		af, al, arest := g.name(i &^ 1)
		local := "perhe." + lastNames[al].ascii + "." + firstNames[af].ascii + suffix(arest)
		p.shared = local + "@" + householdDomains[hr.IntN(len(householdDomains))]
		p.emails = append(p.emails, p.shared)
	} else {
		p.addr, p.store = address(rng, swedish)
	}
	p.favCats = []int{rng.IntN(len(categories)), rng.IntN(len(categories))}

	// Personal mailboxes: 1-3 (0-1 beside a family mailbox), each on its
	// own domain so that no two people ever own the same address.
	n := 1
	if u := rng.Float64(); u < 0.10 {
		n = 3
	} else if u < 0.45 {
		n = 2
	}
	if hh {
		n = rng.IntN(2)
	}
	var used [3]int
	for k := range n {
		d := pickDomain(rng)
		for j := 0; j < k; j++ {
			if used[j] == d {
				d = (d + 1 + rng.IntN(len(personalDomains)-1)) % len(personalDomains)
				j = -1
			}
		}
		used[k] = d
		local := emailLocal(p.first.ascii, p.last.ascii, rng.IntN(4)) + suffix(rest)
		addr := local + "@" + personalDomains[d]
		p.emails = append(p.emails, addr)
		if personalDomains[d] == "gmail.com" && p.gmailAlt == "" && rng.Float64() < 0.5 {
			p.gmailBase = addr
			if strings.Contains(local, ".") && rng.IntN(2) == 0 {
				p.gmailAlt = strings.ReplaceAll(local, ".", "") + "@gmail.com"
			} else {
				p.gmailAlt = local + "+" + [...]string{"shop", "kauppa", "ale"}[rng.IntN(3)] + "@gmail.com"
			}
		}
	}

	// Phones: 0-2 mobile numbers, unique to the person.
	np := 1
	if u := rng.Float64(); u < 0.15 {
		np = 0
	} else if u > 0.80 {
		np = 2
	}
	for k := range np {
		sw := rng.Float64() < 0.04 || swedish && rng.Float64() < 0.1
		p.phones = append(p.phones, phoneNumber(g.opts.Seed, uint64(2*i+k), sw))
	}

	if p.head.card {
		p.cards[0] = cardNumber(g.opts.Seed, uint64(2*i))
		if p.head.replaced {
			p.cards[1] = cardNumber(g.opts.Seed, uint64(2*i+1))
			p.replacedAt = p.at(0.1 + 0.8*rng.Float64())
		}
	}
	if rng.Float64() < 0.5 {
		p.customerID = customerNumber(g.opts.Seed, uint64(i))
	}
	nc := 1 + weighted(rng, 35, 30, 20, 10, 5)
	for range nc {
		p.cookies = append(p.cookies, uuid(rng, false))
	}
	nd := weighted(rng, 65, 28, 7)
	for range nd {
		if rng.IntN(2) == 0 {
			p.devices = append(p.devices, uuid(rng, true)) // iOS vendor ID
		} else {
			p.devices = append(p.devices, hex16(rng)) // Android ID
		}
	}
	p.webUser = p.customerID != "" || rng.Float64() < 0.5
	p.webOrders = p.webUser && rng.Float64() < 0.8
	p.storeUser = p.head.card || rng.Float64() < 0.3
	p.emailConsent = rng.Float64() < 0.55
	p.smsConsent = len(p.phones) > 0 && rng.Float64() < 0.3
	if (p.emailConsent || p.smsConsent) && rng.Float64() < 0.2 {
		p.withdrawAt = p.at(0.2 + 0.8*rng.Float64())
	}
	return p
}

// at returns the time a fraction f of the way through the person's active
// period.
func (p *person) at(f float64) time.Time {
	return p.join.Add(time.Duration(f * float64(p.end.Sub(p.join))))
}

// period returns which of n equal parts of the active period t falls in.
func (p *person) period(t time.Time, n int) int {
	k := int(float64(n) * float64(t.Sub(p.join)) / float64(p.end.Sub(p.join)))
	return max(0, min(k, n-1))
}

func (p *person) cookieAt(t time.Time) string { return p.cookies[p.period(t, len(p.cookies))] }
func (p *person) deviceAt(t time.Time) string { return p.devices[p.period(t, len(p.devices))] }

// cardAt returns the loyalty card in use at t, "" if none.
func (p *person) cardAt(t time.Time) string {
	if p.cards[1] != "" && !t.Before(p.replacedAt) {
		return p.cards[1]
	}
	return p.cards[0]
}

// personalEmail returns the person's own first mailbox, or "" if they only
// use the family one.
func (p *person) personalEmail() string {
	for _, e := range p.emails {
		if e != p.shared {
			return e
		}
	}
	return ""
}

// name maps person i to a first name, a last name and a repeat count: the
// pair (first, last) is a permutation of the table product, so that people
// 0..N-1 all have different names and person i+N repeats a name with
// rest = 1, and so on. E-mail addresses carry rest as a number when it is
// not 0, which makes them unique per person.
func (g *Generator) name(i int) (f, l, rest int) {
	nf, nl := uint64(len(firstNames)), uint64(len(lastNames))
	n := nf * nl
	x := permute(uint64(i)%n, n, g.opts.Seed)
	return int(x % nf), int(x / nf), i / int(n)
}

// permute is a keyed bijection of [0, n), n <= 1<<20, by cycle walking
// over a bijection of [0, 2^bits).
func permute(x, n, seed uint64) uint64 {
	bits := 1
	for 1<<bits < n {
		bits++
	}
	mask := uint64(1)<<bits - 1
	k1, k2 := mix(seed, 1)&mask, mix(seed, 2)&mask
	for {
		x = (x ^ k1) & mask
		x = x * 0x2545f491 & mask
		x ^= x >> (bits / 2)
		x = x * 0x9e3779b1 & mask
		x ^= x >> (bits/3 + 1)
		x = (x + k2) & mask
		if x < n {
			return x
		}
	}
}

func suffix(rest int) string {
	if rest == 0 {
		return ""
	}
	return strconv.Itoa(rest)
}

// emailLocal spells a name as a mailbox's local part. All patterns hold
// both names whole, so different names never give the same address.
func emailLocal(first, last string, pattern int) string {
	switch pattern {
	case 0:
		return first + "." + last
	case 1:
		return first + last
	case 2:
		return first + "_" + last
	}
	return last + "." + first
}

// pickDomain favours the common providers.
func pickDomain(rng *rand.Rand) int {
	if rng.Float64() < 0.45 {
		return 0 // gmail.com
	}
	return rng.IntN(len(personalDomains))
}

// address draws a home address and the home store.
func address(rng *rand.Rand, swedish bool) (profile.Address, int) {
	var c city
	if swedish && rng.IntN(2) == 0 {
		c = cities[9+rng.IntN(2)] // Porvoo, Vaasa
	} else {
		w := rng.IntN(cityTotal)
		for _, c = range cities {
			if w -= c.weight; w < 0 {
				break
			}
		}
	}
	code := c.postal + 10*rng.IntN(c.codes)
	street := streets[rng.IntN(len(streets))] + " " + strconv.Itoa(1+rng.IntN(60))
	if rng.Float64() < 0.55 {
		street += " " + string(rune('A'+rng.IntN(4))) + " " + strconv.Itoa(1+rng.IntN(40))
	}
	pc := strconv.Itoa(code)
	pc = "00000"[len(pc):] + pc
	return profile.Address{Street: street, PostalCode: pc, City: c.name, Region: c.region, Country: "FI"}, c.store
}

// weighted returns an index drawn with the given weights.
func weighted(rng *rand.Rand, w ...int) int {
	t := 0
	for _, x := range w {
		t += x
	}
	r := rng.IntN(t)
	for i, x := range w {
		if r -= x; r < 0 {
			return i
		}
	}
	return len(w) - 1
}

// affine is a keyed bijection of [0, m) for m whose prime factors are 2, 3
// and 5: x*a+b mod m with a coprime to m.
func affine(x, m, seed uint64) uint64 {
	const a = 7777777 // 7 * 239 * 4649
	b := mix(seed, m) % m
	return (x%m*a + b) % m
}

// cardNumber returns loyalty card k of a person (x = 2*person+k): "6",
// eight digits unique for x < 10^8 and a Luhn check digit.
func cardNumber(seed, x uint64) string {
	var b [10]byte
	b[0] = '6'
	v := affine(x, 1e8, seed^0xc0ffee)
	for j := 8; j >= 1; j-- {
		b[j] = byte('0' + v%10)
		v /= 10
	}
	b[9] = luhn(b[:9])
	return string(b[:])
}

// luhn returns the Luhn check digit of the digits in b.
func luhn(b []byte) byte {
	sum := 0
	for j := len(b) - 1; j >= 0; j -= 2 {
		d := int(b[j]-'0') * 2
		sum += d/10 + d%10
		if j > 0 {
			sum += int(b[j-1] - '0')
		}
	}
	return byte('0' + (10-sum%10)%10)
}

// customerNumber returns the webstore customer number of a person: 9
// digits, unique for person < 10^8.
func customerNumber(seed, x uint64) string {
	return strconv.FormatUint(100000000+affine(x, 1e8, seed^0xbadcafe), 10)
}

var (
	fiPrefixes = [...]string{"40", "41", "44", "45", "46", "50"}
	sePrefixes = [...]string{"70", "72", "73", "76", "79"}
)

// phoneNumber returns phone k of a person (x = 2*person+k): a Finnish
// mobile number (unique for x < 6*10^7) or a Swedish one (x < 5*10^7).
func phoneNumber(seed, x uint64, swedish bool) phone {
	prefixes := fiPrefixes[:]
	if swedish {
		prefixes = sePrefixes[:]
	}
	v := affine(x, uint64(len(prefixes))*1e7, seed^0x5eed)
	var b [9]byte
	copy(b[:], prefixes[v/1e7])
	v %= 1e7
	for j := 8; j >= 2; j-- {
		b[j] = byte('0' + v%10)
		v /= 10
	}
	return phone{string(b[:]), swedish}
}

const hexDigits = "0123456789abcdef"

// uuid returns a random version 4 UUID, upper case for upper.
func uuid(rng *rand.Rand, upper bool) string {
	hi, lo := rng.Uint64(), rng.Uint64()
	hi = hi&^0xf000 | 0x4000
	lo = lo&^(3<<62) | 2<<62
	var b [36]byte
	j := 0
	for k := range 32 {
		if k == 8 || k == 12 || k == 16 || k == 20 {
			b[j] = '-'
			j++
		}
		w, s := hi, 60-4*k
		if k >= 16 {
			w, s = lo, 60-4*(k-16)
		}
		c := hexDigits[w>>s&0xf]
		if upper && c >= 'a' {
			c -= 'a' - 'A'
		}
		b[j] = c
		j++
	}
	return string(b[:])
}

// hex16 returns 16 random hex digits, like an Android ID.
func hex16(rng *rand.Rand) string {
	v := rng.Uint64()
	var b [16]byte
	for k := range b {
		b[k] = hexDigits[v>>(60-4*k)&0xf]
	}
	return string(b[:])
}
