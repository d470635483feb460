package unify

import (
	"encoding/binary"
	"hash/maphash"
	"time"

	"github.com/unifycdp/unify/profile"
)

// traitsDigest fingerprints a profile's traits, so that Ingest can report
// whether an update changed them without copying them first. Tables are in
// key order, so they are hashed entry by entry. RecordsByKind is left out:
// every record changes it.
func traitsDigest(seed maphash.Seed, t *profile.Traits) uint64 {
	var h maphash.Hash
	h.SetSeed(seed)
	num := func(v int64) { h.Write(binary.LittleEndian.AppendUint64(nil, uint64(v))) }
	tm := func(v time.Time) { num(v.UnixNano()) }
	str := func(s string) { h.WriteString(s); h.WriteByte(0) }
	strs := func(ss []string) {
		num(int64(len(ss)))
		for _, s := range ss {
			str(s)
		}
	}
	num(int64(t.OrderCount))
	num(int64(t.Returns))
	str(t.Currency)
	num(int64(t.TotalSpend))
	num(int64(t.AverageOrderValue))
	tm(t.FirstOrder)
	tm(t.LastOrder)
	tm(t.LastSeen)
	str(t.FavouriteStore)
	strs(t.Channels)
	strs(t.CategoriesBought)
	strs(t.CategoriesBrowsed)
	strs(t.Coupons)
	num(int64(t.Tickets))
	digestNumbers(t.SpendByChannel, str, num)
	digestNumbers(t.OrderCountByChannel, str, num)
	digestNumbers(t.OrderCountByStore, str, num)
	digestNumbers(t.EventCounts, str, num)
	num(int64(len(t.SpendByCurrency)))
	for _, e := range t.SpendByCurrency {
		str(e.Key)
		num(int64(e.Value.Net))
		num(int64(e.Value.Orders))
		num(int64(e.Value.Returns))
		digestNumbers(e.Value.ByChannel, str, num)
	}
	return h.Sum64()
}

// digestNumbers hashes a table of numbers: its length, then its entries.
func digestNumbers[V int | profile.Money](t profile.Table[string, V], str func(string), num func(int64)) {
	num(int64(len(t)))
	for _, e := range t {
		str(e.Key)
		num(int64(e.Value))
	}
}
