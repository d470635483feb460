package profile_test

import (
	"slices"
	"testing"

	"github.com/unifycdp/unify/profile"
)

// BenchmarkDecodeFloor builds only what a decoded profile allocates (the
// Profile, its identifiers and its tables) from ready slices, with no
// parsing: the floor of UnmarshalBinary. "tables" allocates the tables as
// UnmarshalBinary does, "none" leaves them out, and "maps" builds Go maps
// of the same entries instead, what a Profile held before it had tables.
// Compare with BenchmarkUnmarshalBinaryGenerated, over the same profiles.
//
//	go test -run XXX -bench 'DecodeFloor|Generated' -benchmem ./profile
func BenchmarkDecodeFloor(b *testing.B) {
	for _, mode := range []string{"tables", "none", "maps"} {
		b.Run(mode, func(b *testing.B) { decodeFloor(b, mode) })
	}
}

// mapProfile is a profile's tables as Go maps.
type mapProfile struct {
	attrs        map[string]profile.Attribute
	spend        map[string]mapSpend
	sbc          map[string]profile.Money
	occ, ocs, ev map[string]int
	rbk          map[profile.Kind]int
	ids          []profile.IdentifierInfo
}

type mapSpend struct {
	profile.CurrencySpend
	byCh map[string]profile.Money
}

// mapOf returns a map of t's entries; nil when t is empty.
func mapOf[K ~string, V any](t profile.Table[K, V]) map[K]V {
	if len(t) == 0 {
		return nil
	}
	m := make(map[K]V, len(t))
	for _, e := range t {
		m[e.Key] = e.Value
	}
	return m
}

// clone copies t as UnmarshalBinary allocates it: nil when empty.
func clone[K ~string, V any](t profile.Table[K, V]) profile.Table[K, V] {
	if len(t) == 0 {
		return nil
	}
	return slices.Clone(t)
}

func decodeFloor(b *testing.B, mode string) {
	encs := generatedProfiles(b, 1000)
	srcs := make([]profile.Profile, len(encs))
	for i, e := range encs {
		if err := srcs[i].UnmarshalBinary(e); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	i := 0
	var sink any // so that what is built is allocated on the heap
	for b.Loop() {
		s := &srcs[i%len(srcs)]
		i++
		switch mode {
		case "none", "tables":
			p := new(profile.Profile)
			p.Identifiers = slices.Clone(s.Identifiers)
			if mode == "tables" {
				t, st := &p.Traits, &s.Traits
				p.Attributes = clone(s.Attributes)
				t.SpendByCurrency = clone(st.SpendByCurrency)
				for j := range t.SpendByCurrency {
					cs := &t.SpendByCurrency[j].Value
					cs.ByChannel = clone(cs.ByChannel)
				}
				t.SpendByChannel = clone(st.SpendByChannel)
				t.OrderCountByChannel = clone(st.OrderCountByChannel)
				t.OrderCountByStore = clone(st.OrderCountByStore)
				t.EventCounts = clone(st.EventCounts)
				t.RecordsByKind = clone(st.RecordsByKind)
			}
			sink = p
		case "maps":
			st := &s.Traits
			m := &mapProfile{
				ids:   slices.Clone(s.Identifiers),
				attrs: mapOf(s.Attributes),
				sbc:   mapOf(st.SpendByChannel),
				occ:   mapOf(st.OrderCountByChannel),
				ocs:   mapOf(st.OrderCountByStore),
				ev:    mapOf(st.EventCounts),
				rbk:   mapOf(st.RecordsByKind),
			}
			if len(st.SpendByCurrency) > 0 {
				m.spend = make(map[string]mapSpend, len(st.SpendByCurrency))
				for _, e := range st.SpendByCurrency {
					m.spend[e.Key] = mapSpend{e.Value, mapOf(e.Value.ByChannel)}
				}
			}
			sink = m
		}
	}
	_ = sink
}
