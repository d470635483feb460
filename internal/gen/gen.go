package gen

import (
	"iter"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/unifycdp/unify/profile"
)

// Source names of the generated records.
const (
	SourceWebstore = "webstore" // webstore accounts, web orders, consent changes
	SourcePOS      = "pos"      // loyalty sign-ups and card replacements, store purchases and returns
	SourceWeb      = "web"      // web and e-mail events (page views, searches, e-mail opens and clicks)
	SourceApp      = "app"      // mobile app events
	SourceService  = "service"  // customer-service tickets
)

// Defaults for the zero fields of Options.
const (
	DefaultPeople              = 1000
	DefaultRecordsPerPerson    = 10
	DefaultSpan                = 2 * 365 * 24 * time.Hour
	DefaultPlaceholderRate     = 0.02
	DefaultHouseholdRate       = 0.03
	DefaultCardReplacementRate = 0.03
)

// DefaultStart is the default Options.Start: 2024-01-01 00:00 UTC.
var DefaultStart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// Options configure a Generator. The zero value of every field stands for
// its default; a negative rate means none (0).
type Options struct {
	// Seed selects the data set: the same seed and options give the same
	// records. Seed 0 is a seed like any other.
	Seed uint64
	// People is how many persons to generate (default DefaultPeople; 0
	// means the default, so ask for at least one person).
	People int
	// RecordsPerPerson is the average number of records of a person
	// (default 10, at least 1). Counts are spread: many people have one or
	// two records, a few have dozens.
	RecordsPerPerson float64
	// Start is the earliest record time (default DefaultStart); it is
	// converted to UTC.
	Start time.Time
	// Span is the length of the period records fall in, [Start,
	// Start+Span) (default DefaultSpan, two years).
	Span time.Duration
	// PlaceholderRate is the share of POS and customer-service records
	// that carry a placeholder e-mail or phone such as test@test.com,
	// noemail@noemail.com, 0000000000 or "n/a" (default 0.02).
	PlaceholderRate float64
	// HouseholdRate is the share of people who share a family mailbox
	// with another person (default 0.03).
	HouseholdRate float64
	// CardReplacementRate is the share of people whose loyalty card is
	// lost and replaced by a new one (default 0.03).
	CardReplacementRate float64
}

// Generator produces the records of a synthetic customer base. Every
// person's data derives from (Seed, person index) alone, so a Generator
// holds no per-person state and its methods may be called concurrently.
type Generator struct {
	opts  Options
	end   time.Time
	span  float64 // Span in nanoseconds
	rate  rates
	count struct {
		once sync.Once
		n    int
	}
}

// rates are the probabilities derived from Options.
type rates struct {
	placeholder float64
	household   float64
	replace     float64 // per card holder
}

// New returns a Generator for opts, with defaults filled in.
func New(opts Options) *Generator {
	if opts.People <= 0 {
		opts.People = DefaultPeople
	}
	switch {
	case opts.RecordsPerPerson == 0:
		opts.RecordsPerPerson = DefaultRecordsPerPerson
	case opts.RecordsPerPerson < 1:
		opts.RecordsPerPerson = 1
	}
	if opts.Start.IsZero() {
		opts.Start = DefaultStart
	}
	opts.Start = opts.Start.UTC()
	if opts.Span <= 0 {
		opts.Span = DefaultSpan
	}
	opts.PlaceholderRate = rate(opts.PlaceholderRate, DefaultPlaceholderRate)
	opts.HouseholdRate = rate(opts.HouseholdRate, DefaultHouseholdRate)
	opts.CardReplacementRate = rate(opts.CardReplacementRate, DefaultCardReplacementRate)
	g := &Generator{opts: opts, end: opts.Start.Add(opts.Span), span: float64(opts.Span)}
	g.rate = rates{
		placeholder: opts.PlaceholderRate,
		household:   opts.HouseholdRate,
		replace:     min(1, opts.CardReplacementRate/cardShare),
	}
	return g
}

func rate(r, def float64) float64 {
	switch {
	case r == 0:
		return def
	case r < 0:
		return 0
	case r > 1:
		return 1
	}
	return r
}

// Options returns the options in effect, defaults filled in.
func (g *Generator) Options() Options { return g.opts }

// People returns the number of persons.
func (g *Generator) People() int { return g.opts.People }

// Person returns all records of person i, 0 <= i < People, in canonical
// order (time, source, ID). It returns nil for an i out of range. The
// records are new on every call and belong to the caller.
func (g *Generator) Person(i int) []*profile.Record {
	if i < 0 || i >= g.opts.People {
		return nil
	}
	return g.records(i)
}

// blockSize is how many persons All generates at a time.
const blockSize = 1000

// All yields every record with the index of the person it belongs to: the
// ground truth for identity resolution. Records come in a deterministic
// order that interleaves people: persons are taken in blocks of 1000 and a
// block's records are yielded in canonical order (time, source, ID), so
// that time runs over the whole Span once per block. Memory is bounded by
// one block, whatever the number of people; the records are not kept
// after they are yielded.
func (g *Generator) All() iter.Seq2[*profile.Record, int] {
	return func(yield func(*profile.Record, int) bool) {
		type item struct {
			r *profile.Record
			p int
		}
		var block []item
		for lo := 0; lo < g.opts.People; lo += blockSize {
			block = block[:0]
			for p := lo; p < min(lo+blockSize, g.opts.People); p++ {
				for _, r := range g.records(p) {
					block = append(block, item{r, p})
				}
			}
			slices.SortFunc(block, func(a, b item) int { return profile.Compare(a.r, b.r) })
			for k, it := range block {
				if !yield(it.r, it.p) {
					return
				}
				block[k] = item{} // let the record go
			}
		}
	}
}

// Count returns the exact number of records All yields. The first call
// costs about 50 ns per person; the result is kept.
func (g *Generator) Count() int {
	g.count.once.Do(func() {
		n := 0
		for i := range g.opts.People {
			rng := g.rand(i)
			n += g.head(i, rng).n
		}
		g.count.n = n
	})
	return g.count.n
}

// Household reports whether person i shares a family mailbox, and with
// whom. Such pairs are the hard case of identity resolution: two people,
// each with their own loyalty card, joined by one e-mail address.
func (g *Generator) Household(i int) (partner int, ok bool) {
	if i < 0 || i >= g.opts.People {
		return 0, false
	}
	return g.household(i)
}

// CardReplaced reports whether person i lost a loyalty card and got a new
// one: the old card stops appearing and the new one is joined to the
// person only by the e-mail and phone on the replacement record.
func (g *Generator) CardReplaced(i int) bool {
	if i < 0 || i >= g.opts.People {
		return false
	}
	return g.head(i, g.rand(i)).replaced
}

// rand returns person i's random source.
func (g *Generator) rand(i int) *rand.Rand {
	return rand.New(rand.NewPCG(g.opts.Seed, uint64(i)))
}

// cardShare is the share of people with a loyalty card.
const cardShare = 0.85

// head holds the first draws of a person: what Count needs.
type head struct {
	n         int
	card      bool
	replaced  bool
	household bool
	partner   int
}

// head makes the first draws from person i's rng: the number of records
// and the card flags.
func (g *Generator) head(i int, rng *rand.Rand) head {
	var h head
	r := g.opts.RecordsPerPerson
	h.n = 1 + int((r-1)*rng.ExpFloat64()+rng.Float64())
	h.n = min(h.n, 50*int(r)+50)
	h.partner, h.household = g.household(i)
	h.card = rng.Float64() < cardShare || h.household
	h.replaced = h.card && rng.Float64() < g.rate.replace
	if h.replaced { // old card, replacement, new card in use
		h.n = max(h.n, 4)
	}
	return h
}

// household pairs persons 2k and 2k+1.
func (g *Generator) household(i int) (partner int, ok bool) {
	partner = i ^ 1
	if partner >= g.opts.People {
		return 0, false
	}
	return partner, unit(mix(g.opts.Seed^0x6a09e667f3bcc908, uint64(i/2))) < g.rate.household
}

// mix is SplitMix64's finalizer of a+b*golden: a cheap keyed hash.
func mix(a, b uint64) uint64 {
	z := a + (b+1)*0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// unit maps a hash to [0, 1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }
