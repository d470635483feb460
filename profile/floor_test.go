package profile_test

import (
	"testing"

	"github.com/unifycdp/unify/profile"
)

type kv[V any] struct {
	k []string
	v []V
}

func flat[V any](m map[string]V) kv[V] {
	var f kv[V]
	for k, v := range m {
		f.k = append(f.k, k)
		f.v = append(f.v, v)
	}
	return f
}

func build[V any](f kv[V]) map[string]V {
	if len(f.k) == 0 {
		return nil
	}
	m := make(map[string]V, len(f.k))
	for i, k := range f.k {
		m[k] = f.v[i]
	}
	return m
}

// BenchmarkMapFloor builds only what a decoded profile allocates (the
// Profile, its identifiers and its maps) from ready slices, with no
// parsing: the floor of UnmarshalBinary while Profile keeps its maps.
// "noattrs" leaves out the Attributes map, "nomaps" every map; compare
// with BenchmarkUnmarshalBinaryGenerated, over the same profiles.
//
//	go test -run XXX -bench 'MapFloor|Generated' -benchmem ./profile
func BenchmarkMapFloor(b *testing.B) {
	for _, mode := range []string{"all", "noattrs", "nomaps"} {
		b.Run(mode, func(b *testing.B) { mapFloor(b, mode) })
	}
}

func mapFloor(b *testing.B, mode string) {
	encs := generatedProfiles(b, 1000)
	type src struct {
		ids               []profile.IdentifierInfo
		attrs             kv[profile.Attribute]
		spend             kv[profile.CurrencySpend]
		byCh              []kv[profile.Money]
		sbc               kv[profile.Money]
		occ, ocs, ev, rbk kv[int]
	}
	srcs := make([]src, len(encs))
	for i, e := range encs {
		var p profile.Profile
		if err := p.UnmarshalBinary(e); err != nil {
			b.Fatal(err)
		}
		t := &p.Traits
		s := &srcs[i]
		s.ids = p.Identifiers
		s.attrs = flat(p.Attributes)
		s.spend = flat(t.SpendByCurrency)
		for _, cs := range s.spend.v {
			s.byCh = append(s.byCh, flat(cs.ByChannel))
		}
		s.sbc = flat(t.SpendByChannel)
		s.occ = flat(t.OrderCountByChannel)
		s.ocs = flat(t.OrderCountByStore)
		s.ev = flat(t.EventCounts)
		rbk := map[string]int{}
		for k, v := range t.RecordsByKind {
			rbk[string(k)] = v
		}
		s.rbk = flat(rbk)
	}
	b.ReportAllocs()
	i := 0
	var sink *profile.Profile // so that the profile is allocated on the heap
	for b.Loop() {
		s := &srcs[i%len(srcs)]
		p := new(profile.Profile)
		p.Identifiers = append([]profile.IdentifierInfo(nil), s.ids...)
		if mode == "all" {
			p.Attributes = build(s.attrs)
		}
		if mode == "nomaps" {
			sink = p
			i++
			continue
		}
		t := &p.Traits
		t.SpendByCurrency = build(s.spend)
		for j, k := range s.spend.k {
			cs := s.spend.v[j]
			cs.ByChannel = build(s.byCh[j])
			t.SpendByCurrency[k] = cs
		}
		t.SpendByChannel = build(s.sbc)
		t.OrderCountByChannel = build(s.occ)
		t.OrderCountByStore = build(s.ocs)
		t.EventCounts = build(s.ev)
		if len(s.rbk.k) > 0 {
			t.RecordsByKind = make(map[profile.Kind]int, len(s.rbk.k))
			for j, k := range s.rbk.k {
				t.RecordsByKind[profile.Kind(k)] = s.rbk.v[j]
			}
		}
		sink = p
		i++
	}
	_ = sink
}
