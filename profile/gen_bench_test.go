package profile_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/unifycdp/unify/internal/gen"
	"github.com/unifycdp/unify/profile"
)

// generatedProfiles returns the encodings of the profiles of n generated
// people, one profile a person (about 10 records each, as in the
// benchmark data set).
func generatedProfiles(tb testing.TB, n int) [][]byte {
	g := gen.New(gen.Options{Seed: 1, People: n})
	encs := make([][]byte, 0, n)
	for i := range n {
		p := profile.Derive(fmt.Sprintf("p%016d", i), normalized(g.Person(i)), profile.Options{})
		p.Segments = []string{"active"}
		b, err := p.AppendBinary(nil)
		if err != nil {
			tb.Fatal(err)
		}
		encs = append(encs, b)
	}
	return encs
}

// BenchmarkUnmarshalBinaryGenerated decodes profiles of generated people,
// cycling over 1,000 of them; ns/op is per profile.
//
//	go test -run XXX -bench UnmarshalBinaryGenerated -benchmem ./profile
func BenchmarkUnmarshalBinaryGenerated(b *testing.B) {
	encs := generatedProfiles(b, 1000)
	size := 0
	for _, e := range encs {
		size += len(e)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		var p profile.Profile
		if err := p.UnmarshalBinary(encs[i%len(encs)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(size)/float64(len(encs)), "bytes/profile")
}

// normalized returns copies of rs whose identifiers have a value, roughly
// normalized (the engine normalizes them properly before deriving).
func normalized(rs []*profile.Record) []*profile.Record {
	out := make([]*profile.Record, len(rs))
	for i, r := range rs {
		c := *r
		c.Identifiers = make([]profile.Identifier, len(r.Identifiers))
		for j, id := range r.Identifiers {
			id.Value = strings.ToLower(strings.Join(strings.Fields(id.Raw), ""))
			c.Identifiers[j] = id
		}
		out[i] = &c
	}
	return out
}
