package unify

import (
	"encoding/binary"
	"hash/maphash"
	"time"

	"github.com/unifycdp/unify/profile"
)

// traitsDigest fingerprints a profile's traits, so that Ingest can report
// whether an update changed them without copying them first. Map entries
// are combined by addition, which does not depend on iteration order.
// RecordsByKind is left out: every record changes it.
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
	entry := func(k string, v int64) uint64 {
		var e maphash.Hash
		e.SetSeed(seed)
		e.WriteString(k)
		e.WriteByte(0)
		e.Write(binary.LittleEndian.AppendUint64(nil, uint64(v)))
		return e.Sum64()
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
	var sum uint64
	for k, v := range t.SpendByChannel {
		sum += entry("s"+k, int64(v))
	}
	for k, v := range t.OrderCountByChannel {
		sum += entry("c"+k, int64(v))
	}
	for k, v := range t.OrderCountByStore {
		sum += entry("t"+k, int64(v))
	}
	for k, v := range t.EventCounts {
		sum += entry("e"+k, int64(v))
	}
	for k, v := range t.SpendByCurrency {
		sum += entry("$"+k, int64(v.Net)) + entry("$o"+k, int64(v.Orders)) + entry("$r"+k, int64(v.Returns))
		for ch, m := range v.ByChannel {
			sum += entry("$c"+k+"\x00"+ch, int64(m))
		}
	}
	num(int64(sum))
	return h.Sum64()
}
